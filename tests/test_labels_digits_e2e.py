"""Outlet labels and a chat's digits end to end, against the fake Bot API and the fake Discord
API: the demo feeds plus a feed whose links are on TASS's host (labelled by the built-in data),
a feed the config labels itself, and outlets without a label. `/settings digits arab` makes the
next digest's header count and date Arabic-Indic; `/sources` lists the labels."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.app.container import Services, services
from bot.cli.once import run_cycle
from bot.config import Settings
from bot.ops.demo import load_manifest
from bot.platforms.discord.channel import DiscordChannel
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.runtime import DigestbotClient
from bot.platforms.telegram.channel import TelegramChannel
from tests.discord_support import rest_client
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI, limit_problems
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI, parse_telegram_html
from tests.telegram_support import polling
from tests.test_discord_commands import CHANNEL, FakeInteraction, choice, command

TOKEN = "123456:E2E-labels"
USER_CHAT = 5151
ARABIC_INDIC = re.compile("[٠-٩]")
WESTERN = re.compile("[0-9]")


def feeds_settings(tmp_path: Path, feed_server: FeedServer, **platform: Any) -> Settings:
    """The demo feeds, "المشرق" labelled "public" by the config, and a TASS feed: the Eastern
    Wire items again, linking to tass.com."""
    manifest = load_manifest()
    feeds = []
    for feed in manifest.feeds:
        feed_server.add(feed.path, feed.body, feed.content_type)
        entry = {"url": feed_server.url(feed.path), "name": feed.name, "lang": feed.lang}
        if feed.name == "المشرق":
            entry["label"] = "public"
        feeds.append(entry)
        if feed.name == "Eastern Wire":
            tass = feed.body.replace(b"easternwire.example.org", b"tass.com")
            feed_server.add("/tass.xml", tass, feed.content_type)
            feeds.append({"url": feed_server.url("/tass.xml"), "name": "TASS", "lang": "en"})
    return Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path / "data")},
            "ingest": {"allow_private_networks": True, "backlog_hours": 24 * 20},
            "digest": {"initial_hours": 24 * 20, "max_age_hours": 24 * 20},
            "feeds": feeds,
            **platform,
        }
    )


def label_after(text: str, name: str) -> set[str]:
    """What stands after each link named ``name``, up to the next separator or line end."""
    found = re.findall(rf">{re.escape(name)}</a>([^·\n]*)", text)
    assert found, name
    return {after.strip() for after in found}


@pytest.fixture
async def telegram_svc(
    tmp_path: Path, feed_server: FeedServer, telegram_api: FakeTelegramAPI
) -> AsyncIterator[Services]:
    settings = feeds_settings(
        tmp_path, feed_server, telegram={"token": TOKEN, "base_url": telegram_api.bot_url}
    )
    async with services(settings, now=lambda: load_manifest().now) as built:
        yield built


@pytest.fixture
async def application(telegram_svc: Services) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with polling(telegram_svc) as app:
        yield app


async def test_telegram_labels_sources_and_arabic_indic_digits(
    telegram_svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/subscribe en", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings digits arab", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings digits roman", chat_id=USER_CHAT, language_code="en")
    _, shown, refused = await telegram_api.wait_for_messages(3, chat_id=USER_CHAT)
    assert "Digits: Arabic-Indic (٠١٢٣)" in shown.text
    assert "/settings digits arab" in refused.text
    chat = telegram_svc.state.chat("telegram", USER_CHAT)
    assert chat is not None and chat.digits == "arab"

    report = await run_cycle(telegram_svc, TelegramChannel(application.bot))
    assert report.delivery.sent == report.queued >= 1
    digest = telegram_api.messages_to(USER_CHAT)[3:]
    assert len(digest) == report.queued
    for message in digest:
        assert len(parse_telegram_html(message.text)) <= 4096
    text = "\n".join(m.text for m in digest)

    # labels beside their links: TASS by its links' host, المشرق by the config, none for others
    assert label_after(text, "TASS") == {"(state media)"}
    assert label_after(text, "المشرق") == {"(public media)"}
    assert label_after(text, "Pacific Ledger") == {""}
    assert label_after(text, "Eastern Wire") == {""}
    assert re.search(r'<a href="https://tass\.com/2024/11/05/[^"]+">TASS</a>', text)

    # the header's count and date in Arabic-Indic digits; links and summaries as they were
    header = digest[0].text.split("\n\n")[0]
    stories = int(
        re.search(r"· ([٠-٩]+) stor", header)
        .group(1)
        .translate(  # type: ignore[union-attr]
            str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
        )
    )
    assert stories >= 2 and not WESTERN.search(header) and ARABIC_INDIC.search(header)
    assert "10,900" in text or "10900" in text
    body = text.split("\n\n", 1)[1]
    links = re.findall(r'href="([^"]+)"', body)
    assert links and not any(ARABIC_INDIC.search(link) for link in links)

    telegram_api.user_sends("/sources", chat_id=USER_CHAT, language_code="en")
    sources = (await telegram_api.wait_for_messages(len(digest) + 4, chat_id=USER_CHAT))[-1]
    lines = sources.text.splitlines()
    assert lines[0] == "The bot reads 5 feeds:"
    assert "• المشرق (ar) (public media)" in lines
    assert "• Pacific Ledger (en)" in lines
    # the TASS feed is served from loopback: its own host carries no label, only its links do
    assert "• TASS (en)" in lines


@pytest.fixture
async def discord_svc(
    tmp_path: Path, feed_server: FeedServer, discord_api: FakeDiscordAPI
) -> AsyncIterator[Services]:
    settings = feeds_settings(tmp_path, feed_server, discord={"token": BOT_TOKEN})
    async with services(settings, now=lambda: load_manifest().now) as built:
        yield built


@pytest.fixture
async def client(discord_svc: Services) -> AsyncIterator[DigestbotClient]:
    async with rest_client(discord_svc) as client:
        yield client


async def test_discord_labels_sources_and_arabic_indic_digits(
    client: DigestbotClient, discord_svc: Services, discord_api: FakeDiscordAPI
) -> None:
    synced = {c["name"]: c for c in discord_api.synced_commands}
    [digits] = [o for o in synced["settings"]["options"] if o["name"] == "digits"]
    assert [c["value"] for c in digits["choices"]] == ["latn", "arab"]

    subscribe = FakeInteraction()
    await command(client, "subscribe").callback(subscribe, choice("ar"))  # type: ignore[call-arg]
    change = FakeInteraction()
    settings = command(client, "settings").callback
    await settings(change, None, None, None, choice("arab"))  # type: ignore[call-arg]
    assert "الأرقام: هندية (٠١٢٣)" in change.reply
    chat = discord_svc.state.chat(BOT_PLATFORM, CHANNEL)
    assert chat is not None and chat.digits == "arab"
    bad = FakeInteraction()
    await settings(bad, None, None, None, choice("roman"))  # type: ignore[call-arg]
    assert "roman" in bad.reply and bad.response.sent[0]["ephemeral"] is True

    report = await run_cycle(discord_svc, DiscordChannel(client))
    assert report.delivery.sent == report.queued >= 1
    posted = discord_api.sent_to(CHANNEL)
    for message in posted:
        assert limit_problems(message) == []
    header = posted[0]["content"]
    assert ARABIC_INDIC.search(header) and not WESTERN.search(header)
    fields = " · ".join(f["value"] for m in posted for e in m["embeds"] for f in e["fields"])
    assert re.search(r"\[TASS\]\(https://tass\.com/[^)]+\) \(إعلام رسمي\)", fields)
    assert re.search(r"\[المشرق\]\([^)]+\) \(إعلام عام\)", fields)
    assert re.search(r"\[Pacific Ledger\]\([^)]+\)( · |$)", fields)
    assert not ARABIC_INDIC.search(fields)  # links untouched

    asked = FakeInteraction(manage=False)
    await command(client, "sources").callback(asked)  # type: ignore[call-arg]
    assert asked.response.sent[0]["ephemeral"] is True
    lines = asked.reply.splitlines()
    assert "• المشرق (ar) (إعلام عام)" in lines and "• Pacific Ledger (en)" in lines
