"""The [discord] settings: token from the environment, webhook URLs checked without echoing
their secret, and the README's invite URL carrying the permissions the bot needs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import discord
import pytest

from bot.config import discord_webhook_id, load_settings, parse_settings
from bot.errors import ConfigError
from bot.ops.logs import redact_secrets

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t" * 12
URL = f"https://discord.com/api/webhooks/123456789012345678/{SECRET}"


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not parse_settings({}).discord.enabled
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "env-token")
    settings = parse_settings({})
    assert settings.discord.enabled
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "env-token"
    assert "env-token" not in repr(settings)


def test_webhooks_are_read_with_their_ids() -> None:
    settings = parse_settings(
        {
            "discord": {
                "webhooks": [
                    {"name": "news", "url": URL, "lang": "ar"},
                    {
                        "name": "ptb",
                        "url": URL.replace("discord.com", "ptb.discord.com")[:-1].replace(
                            "123456789012345678", "223456789012345678"
                        ),
                    },
                ]
            }
        }
    )
    first, second = settings.discord.webhooks
    assert (first.webhook_id, first.lang) == (123456789012345678, "ar")
    assert (second.webhook_id, second.lang) == (223456789012345678, "both")
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"webhooks": [{"name": "x", "url": URL.replace("discord.com", "evil.example")}]},
            "[discord] webhooks.url: not a Discord webhook URL",
        ),
        (
            {"webhooks": [{"name": "x", "url": URL[:-40]}]},
            "[discord] webhooks.url: not a Discord webhook URL",
        ),
        ({"webhooks": [{"name": "x", "url": URL}] * 2}, "[discord] webhooks: webhook listed twice"),
        ({"webhooks": [{"name": "x", "url": URL, "lang": "fr"}]}, "[discord] webhooks.lang:"),
        ({"webhooks": [{"url": URL}]}, "[discord] webhooks.name: required key is missing"),
        ({"max_ratelimit_wait_s": 5}, "[discord] max_ratelimit_wait_s:"),
        ({"sync_commands": "yes"}, "[discord] sync_commands: expected true or false"),
    ],
)
def test_bad_discord_settings_name_the_key_and_hide_the_secret(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"discord": data})
    assert message in str(info.value)
    assert SECRET not in str(info.value)


def test_webhook_ids() -> None:
    assert discord_webhook_id(URL) == 123456789012345678
    assert discord_webhook_id(
        "https://discordapp.com/api/v10/webhooks/123456789012345678/" + SECRET
    )
    assert discord_webhook_id("https://discord.com.evil.example/api/webhooks/1/" + SECRET) is None


def test_the_example_config_has_no_discord_by_default() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert not settings.discord.enabled and settings.discord.webhooks == []
    assert settings.discord.sync_commands


def test_readme_invite_url_asks_for_exactly_the_permissions_used() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [url] = re.findall(r"https://discord\.com/oauth2/authorize\?\S+?(?=`)", readme)
    assert "scope=bot+applications.commands" in url
    permissions = int(re.search(r"permissions=(\d+)", url)[1])  # type: ignore[index]
    needed = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    assert permissions == needed.value
    assert "Send Messages" in readme and "Embed Links" in readme and "View Channel" in readme


def test_webhook_tokens_and_the_bot_token_are_redacted_from_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # leave the test's handlers alone
    settings = parse_settings(
        {"discord": {"token": "bot-token-secret", "webhooks": [{"name": "x", "url": URL}]}}
    )
    redact = redact_secrets(settings)
    line = f"POST {URL}?wait=1 with bot-token-secret"
    assert SECRET not in redact(line) and "bot-token-secret" not in redact(line)
    assert "123456789012345678" in redact(line)
