"""Discord slash commands through their callbacks, with interaction fakes; the command tree
synced to the fake Discord API with its descriptions in both languages. No gateway.

End to end: the demo feeds on the loopback feed server, a channel subscribed with /subscribe,
one cycle posting the digest as embeds to the fake Discord API, then /search and /latest.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app.container import Services, services
from bot.cli.once import run_cycle
from bot.config import Settings
from bot.models import Chat
from bot.ops.demo import load_manifest
from bot.platforms.discord.channel import DiscordChannel
from bot.platforms.discord.commands import COMMANDS
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.runtime import DigestbotClient
from bot.platforms.discord.search import SEARCH_PAGE, SearchView
from tests.discord_support import rest_client
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI, limit_problems
from tests.fakes.feed_server import FeedServer

ARABIC = re.compile(r"[\u0600-\u06ff]")
CHANNEL = 444444444444444444


class FakeResponse:
    """``interaction.response``: records what the handler answered."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.edited: list[dict[str, Any]] = []

    async def send_message(self, content: Any = None, **kwargs: Any) -> None:
        assert not self.sent, "an interaction is answered once"
        self.sent.append({"content": content, **kwargs})

    async def edit_message(self, **kwargs: Any) -> None:
        self.edited.append(kwargs)

    def is_done(self) -> bool:
        return bool(self.sent or self.edited)


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, content: Any = None, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})


class FakeInteraction:
    """What the handlers read from a ``discord.Interaction``."""

    def __init__(
        self, channel_id: int = CHANNEL, *, manage: bool = True, guild_id: int | None = 1
    ) -> None:
        self.channel_id = channel_id
        self.guild_id = guild_id
        self.channel = SimpleNamespace(name="news-digest")
        self.permissions = discord.Permissions(manage_channels=manage)
        self.locale = discord.Locale.american_english
        self.response = FakeResponse()
        self.followup = FakeFollowup()

    @property
    def reply(self) -> str:
        [sent] = self.response.sent
        return str(sent["content"])


@pytest.fixture
async def svc(
    tmp_path: Path, feed_server: FeedServer, discord_api: FakeDiscordAPI
) -> AsyncIterator[Services]:
    manifest = load_manifest()
    for feed in manifest.feeds:
        feed_server.add(feed.path, feed.body, feed.content_type)
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path / "data")},
            "discord": {"token": BOT_TOKEN},
            "ingest": {"allow_private_networks": True, "backlog_hours": 24 * 20},
            "digest": {"initial_hours": 24 * 20, "max_age_hours": 24 * 20},
            "feeds": [
                {"url": feed_server.url(f.path), "name": f.name, "lang": f.lang}
                for f in manifest.feeds
            ],
        }
    )
    async with services(settings, now=lambda: manifest.now) as built:
        yield built


@pytest.fixture
async def client(svc: Services) -> AsyncIterator[DigestbotClient]:
    async with rest_client(svc) as client:
        yield client


def command(client: DigestbotClient, name: str) -> app_commands.Command[Any, ..., Any]:
    found = client.tree.get_command(name)
    assert isinstance(found, app_commands.Command)
    return found


def choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value, value=value)


async def test_commands_are_synced_with_descriptions_in_both_languages(
    client: DigestbotClient, discord_api: FakeDiscordAPI
) -> None:
    synced = {c["name"]: c for c in discord_api.synced_commands}
    assert set(synced) == set(COMMANDS)
    for name, payload in synced.items():
        default = payload["description"]
        english = payload["description_localizations"]["en-US"]
        assert ARABIC.search(default) and english in default, name  # "English · Arabic"
        assert not ARABIC.search(english) and len(default) <= 100
        assert payload["description_localizations"]["en-GB"] == english
        for option in payload.get("options", []):
            assert ARABIC.search(option["description"]), (name, option["name"])
            assert not ARABIC.search(option["description_localizations"]["en-US"])
    # changing subscriptions needs Manage Channel (1 << 4), and only in servers
    for name in ("subscribe", "unsubscribe"):
        assert int(synced[name]["default_member_permissions"]) == 1 << 4
    assert synced["settings"]["contexts"] == [0] and synced["subscribe"]["contexts"] == [0]
    languages = synced["subscribe"]["options"][0]["choices"]
    assert [c["value"] for c in languages] == ["ar", "en", "both"]
    assert languages[0]["name_localizations"]["en-US"] == "Arabic"
    assert "العربية" in languages[0]["name"]


async def test_subscribe_needs_manage_channel(client: DigestbotClient, svc: Services) -> None:
    member = FakeInteraction(manage=False)
    await command(client, "subscribe").callback(member, choice("ar"))  # type: ignore[call-arg]
    assert member.response.sent[0]["ephemeral"] is True
    assert "Manage Channel" in member.reply
    assert svc.state.chat(BOT_PLATFORM, CHANNEL) is None

    admin = FakeInteraction(manage=True)
    await command(client, "subscribe").callback(admin, choice("ar"))  # type: ignore[call-arg]
    chat = svc.state.chat(BOT_PLATFORM, CHANNEL)
    assert chat is not None and chat.subscribed and chat.lang == "ar" and chat.ui_lang == "ar"
    assert chat.title == "news-digest"
    assert "تم الاشتراك" in admin.reply and "08:00, 20:00 (UTC)" in admin.reply
    assert admin.response.sent[0]["ephemeral"] is False  # the channel sees it

    again = FakeInteraction()
    await command(client, "subscribe").callback(again, None)  # type: ignore[call-arg]
    assert "مشتركة بالفعل" in again.reply

    member = FakeInteraction(manage=False)
    await command(client, "unsubscribe").callback(member)  # type: ignore[call-arg]
    assert svc.state.chat(BOT_PLATFORM, CHANNEL).subscribed  # type: ignore[union-attr]
    admin = FakeInteraction()
    await command(client, "unsubscribe").callback(admin)  # type: ignore[call-arg]
    assert not svc.state.chat(BOT_PLATFORM, CHANNEL).subscribed  # type: ignore[union-attr]
    assert "تم إلغاء الاشتراك" in admin.reply


async def test_settings_are_validated_and_saved_together(
    client: DigestbotClient, svc: Services
) -> None:
    settings = command(client, "settings").callback
    shown = FakeInteraction(manage=False)
    await settings(shown, None, None, None)  # type: ignore[call-arg]
    assert shown.reply == (
        "Language: Arabic and English. Digests at 08:00, 20:00 (UTC). Digits: Western (0123)."
    )
    assert shown.response.sent[0]["ephemeral"] is True

    refused = FakeInteraction(manage=False)
    await settings(refused, None, "09:00", None)  # type: ignore[call-arg]
    assert "Manage Channel" in refused.reply

    bad = FakeInteraction()
    await settings(bad, choice("en"), "9:00, 25:00", "Asia/Riyadh")  # type: ignore[call-arg]
    assert "“25:00” is not a list of times" in bad.reply
    assert svc.state.chat(BOT_PLATFORM, CHANNEL) is None  # nothing half-saved

    zone = FakeInteraction()
    await settings(zone, None, None, "Mars/Olympus")  # type: ignore[call-arg]
    assert "Unknown timezone “Mars/Olympus”" in zone.reply

    good = FakeInteraction()
    await settings(good, choice("en"), "20:00 8:30,20:00", "Asia/Riyadh")  # type: ignore[call-arg]
    chat = svc.state.chat(BOT_PLATFORM, CHANNEL)
    assert chat is not None and not chat.subscribed
    assert (chat.lang, chat.digest_times, chat.timezone) == (
        "en",
        ("08:30", "20:00"),
        "Asia/Riyadh",
    )
    assert good.reply == (
        "Saved. Language: English. Digests at 08:30, 20:00 (Asia/Riyadh). Digits: Western (0123)."
    )


async def test_search_is_ephemeral_and_pages_with_buttons(
    client: DigestbotClient, svc: Services
) -> None:
    await svc.poller.poll()
    everything = svc.archive.search("روسيا", limit=100, expand=svc.matcher.alias_expander())
    assert len(everything) > SEARCH_PAGE  # enough for two pages
    svc.state.save_chat(Chat(BOT_PLATFORM, CHANNEL, lang="ar", ui_lang="ar"))

    asked = FakeInteraction(manage=False)
    await command(client, "search").callback(asked, "  روسيا ")  # type: ignore[call-arg]
    [sent] = asked.response.sent
    assert sent["ephemeral"] is True
    embed: discord.Embed = sent["embed"]
    assert embed.title == "نتائج البحث عن «روسيا»:"
    assert embed.description is not None
    first_page = re.findall(r"\]\((https://[^)]+)\)", embed.description)
    assert first_page == [hit.article.url for hit in everything[:SEARCH_PAGE]]
    view: SearchView = sent["view"]
    previous, following = view.children
    assert isinstance(previous, discord.ui.Button) and isinstance(following, discord.ui.Button)
    assert (previous.label, following.label) == ("السابق", "التالي")
    assert previous.disabled and not following.disabled

    click = FakeInteraction(manage=False)
    await following.callback(click)  # type: ignore[arg-type]
    [edit] = click.response.edited
    second_page = re.findall(r"\]\((https://[^)]+)\)", edit["embed"].description)
    assert second_page == [hit.article.url for hit in everything[SEARCH_PAGE : 2 * SEARCH_PAGE]]
    assert edit["embed"].footer.text == "الصفحة 2"
    assert not previous.disabled
    assert following.disabled == (len(everything) <= 2 * SEARCH_PAGE)

    back = FakeInteraction(manage=False)
    await previous.callback(back)  # type: ignore[arg-type]
    again = re.findall(r"\]\((https://[^)]+)\)", back.response.edited[0]["embed"].description)
    assert again == first_page and previous.disabled
    view.stop()

    nothing = FakeInteraction()
    await command(client, "search").callback(nothing, "zzzqqq")  # type: ignore[call-arg]
    assert nothing.reply == "لم أجد شيئًا عن «zzzqqq»."
    assert nothing.response.sent[0]["ephemeral"] is True

    bad = FakeInteraction()
    await command(client, "search").callback(bad, "روسيا since:2024-13-45 lang:fr")  # type: ignore[call-arg]
    assert bad.reply.startswith("لا أستطيع استخدام «since:2024-13-45»، «lang:fr»")
    assert "since:YYYY-MM-DD" in bad.reply and "lang:ar أو lang:en" in bad.reply
    assert bad.response.sent[0]["ephemeral"] is True and "view" not in bad.response.sent[0]


async def test_subscribe_then_a_cycle_posts_embeds_then_latest(
    client: DigestbotClient, svc: Services, discord_api: FakeDiscordAPI
) -> None:
    empty = FakeInteraction()
    await command(client, "latest").callback(empty)  # type: ignore[call-arg]
    assert empty.reply == "No new stories in the last 480 hours."

    admin = FakeInteraction()
    await command(client, "subscribe").callback(admin, choice("both"))  # type: ignore[call-arg]
    report = await run_cycle(svc, DiscordChannel(client))
    assert report.poll.relevant == 18
    assert report.delivery.sent == report.queued >= 1

    posted = discord_api.sent_to(CHANNEL)
    assert len(posted) == report.queued
    for message in posted:
        assert limit_problems(message) == []
    assert posted[0]["content"].startswith("**📰")
    embeds = [e for m in posted for e in m["embeds"]]
    assert all(e["url"].startswith("https://") and ".example" in e["url"] for e in embeds)
    sources = " ".join(f["value"] for e in embeds for f in e.get("fields", []))
    assert {"المشرق", "الرافدين", "Eastern Wire", "Pacific Ledger"} <= set(
        re.findall(r"\[([^\]]+)\]\(", sources)
    )
    text = " ".join(e.get("description", "") for e in embeds)
    assert "10900" in text or "10,900" in text

    latest = FakeInteraction(manage=False)
    await command(client, "latest").callback(latest)  # type: ignore[call-arg]
    [first] = latest.response.sent
    assert first["ephemeral"] is True
    shown = first["embeds"] + [e for f in latest.followup.sent for e in f["embeds"]]
    assert [e.title for e in shown] == [e.get("title") for e in embeds]


async def test_a_failing_command_is_logged_and_answered(
    client: DigestbotClient, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = FakeInteraction()
    await client.tree.on_error(fresh, app_commands.AppCommandError("boom"))  # type: ignore[arg-type]
    assert "Something went wrong" in fresh.reply and "حدث خطأ" in fresh.reply
    assert fresh.response.sent[0]["ephemeral"] is True
    answered = FakeInteraction()
    await answered.response.send_message("partial")
    await client.tree.on_error(answered, app_commands.AppCommandError("late"))  # type: ignore[arg-type]
    assert "Something went wrong" in answered.followup.sent[0]["content"]
    assert "discord command failed" in caplog.text and "boom" in caplog.text
