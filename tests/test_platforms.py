"""The platform registry of the composition root: every chat is rendered by its own platform
(digests and alerts), an unknown name falls back to the terminal, and listing the platforms
loads no chat library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.container import platforms
from bot.i18n import Catalog
from bot.models import ChatLang
from bot.platforms.discord.channel import parse_payload
from bot.platforms.discord.platform import BOT_PLATFORM, WEBHOOK_PLATFORM
from bot.platforms.telegram.platform import TELEGRAM
from bot.platforms.telegram.render import TELEGRAM_MAX_CHARS
from bot.text.display import utf16_len
from tests.fakes.discord_api import limit_problems
from tests.fakes.telegram_api import parse_telegram_html
from tests.test_render import sample_digest

CATALOG = Catalog.load()
LANGS: tuple[ChatLang, ...] = ("ar", "en", "both")


def test_each_name_belongs_to_one_platform() -> None:
    registry = platforms()
    names = [name for platform in registry for name in platform.names]
    assert len(names) == len(set(names))
    assert {TELEGRAM, BOT_PLATFORM, WEBHOOK_PLATFORM} <= set(names)
    assert registry.fallback.names[0] not in names
    assert registry.of(BOT_PLATFORM) is registry.of(WEBHOOK_PLATFORM)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", [BOT_PLATFORM, WEBHOOK_PLATFORM])
def test_a_discord_alert_is_a_payload_discord_accepts(name: str, lang: ChatLang) -> None:
    item = sample_digest("both").items[0]
    text = platforms().render_alert(name, item, lang=lang, sources=5, catalog=CATALOG)
    message = parse_payload(text)  # what the Discord channel sends; raised before
    assert message.content is not None and "5" in message.content
    assert len(message.embeds) == 1 and message.embeds[0].url == "https://a.example/1?x=1&y=2"
    assert not limit_problems(json.loads(text))


@pytest.mark.parametrize("lang", LANGS)
def test_a_telegram_alert_is_html_within_one_message(lang: ChatLang) -> None:
    item = sample_digest("both").items[0]
    text = platforms().render_alert(TELEGRAM, item, lang=lang, sources=5, catalog=CATALOG)
    assert text.startswith("<b>") and '<a href="https://a.example/1?x=1&amp;y=2">' in text
    assert utf16_len(parse_telegram_html(text)) <= TELEGRAM_MAX_CHARS


def test_digests_follow_the_chats_platform_and_unknown_names_get_plain_text() -> None:
    registry, digest = platforms(), sample_digest("en")
    stories = tuple(item.story_id for item in digest.items)
    [telegram] = registry.render_digest(TELEGRAM, digest, CATALOG)
    assert "<b>" in telegram.text and telegram.stories == stories
    [discord] = registry.render_digest(WEBHOOK_PLATFORM, digest, CATALOG)
    assert parse_payload(discord.text).embeds and discord.stories == stories
    [plain] = registry.render_digest("matrix", digest, CATALOG)
    assert "<b>" not in plain.text and "<https://a.example/1?x=1&y=2>" in plain.text
    assert plain.stories == stories
    alert = registry.render_alert("matrix", digest.items[0], lang="en", sources=3, catalog=CATALOG)
    assert "<b>" not in alert and "<https://a.example/1?x=1&y=2>" in alert


def test_listing_the_platforms_loads_no_chat_library() -> None:
    code = (
        "import sys\n"
        "from bot.app.container import platforms\n"
        "platforms()\n"
        "print(sorted(m for m in ('telegram', 'discord', 'aiohttp') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
