"""Watch lists end to end, against the fake Bot API and the fake Discord API: `/watch كورسك`
saved and listed with a remove button, a press removing it, a bad term refused with its
reason, the 11th term refused; a new English report about Kursk alerting the chat that
watches "كورسك" once, and a later report of the same story alerting no more. The requests the
bot sent are checked against the platforms' published API specs (``spec_check``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from telegram.ext import Application

from bot.app.container import Services, services
from bot.app.jobs import Heartbeat, Jobs
from bot.config import Settings
from bot.models import Chat
from bot.platforms.discord.channel import DiscordChannel
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.runtime import DigestbotClient
from bot.platforms.discord.watch import WatchView
from bot.platforms.telegram.channel import TelegramChannel
from tests.clock import Clock
from tests.discord_support import rest_client
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI, limit_problems
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI, parse_telegram_html
from tests.spec_support import spec_problems
from tests.telegram_support import polling
from tests.test_discord_commands import CHANNEL, FakeInteraction, command

TOKEN = "123456:E2E-watch"
ARABIC_CHAT = 6161
OTHER_CHAT = 6262
START = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
# beside the repository, like the shared corpora

KURSK = (
    "kursk-1",
    "North Korean troops join Russian forces in the Kursk region",
    "Thousands of North Korean soldiers were deployed to Russia's Kursk region to fight"
    " Ukrainian forces, Ukrainian and South Korean officials said on Tuesday.",
)
KURSK_AGAIN = (
    "kursk-2",
    "North Korean soldiers fight alongside Russian troops in the Kursk region",
    "North Korean soldiers deployed to Russia's Kursk region are fighting Ukrainian forces,"
    " Ukrainian and South Korean officials said on Tuesday.",
)
RAIL = (
    "rail-1",
    "Russia and North Korea agree to build a road bridge over the Tumen river",
    "Moscow and Pyongyang signed an agreement to build a road bridge across the Tumen river.",
)


def wire(*items: tuple[str, str, str], when: datetime) -> bytes:
    body = "".join(
        f"<item><guid>tag:wire.example,2024:{guid}</guid><title>{title}</title>"
        f"<link>https://wire.example/{guid}</link><description>{text}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"{body}</channel></rss>"
    ).encode()


def watch_settings(tmp_path: Path, feed_server: FeedServer, **platform: Any) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path / "data")},
            "ingest": {"allow_private_networks": True},
            "feeds": [{"url": feed_server.url("/wire.xml"), "name": "Wire", "lang": "en"}],
            **platform,
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def telegram_svc(
    tmp_path: Path, feed_server: FeedServer, telegram_api: FakeTelegramAPI, clock: Clock
) -> AsyncIterator[Services]:
    settings = watch_settings(
        tmp_path, feed_server, telegram={"token": TOKEN, "base_url": telegram_api.bot_url}
    )
    async with services(settings, now=clock) as built:
        yield built


@pytest.fixture
async def application(telegram_svc: Services) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with polling(telegram_svc) as app:
        yield app


async def test_telegram_watch_list_buttons_refusals_and_one_cross_lingual_alert(
    telegram_svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
    feed_server: FeedServer,
    clock: Clock,
    tmp_path: Path,
) -> None:
    svc = telegram_svc
    await application.bot_data["commands"].register_menus(application)  # /watch, /unwatch too

    def say(text: str, chat: int = ARABIC_CHAT) -> None:
        telegram_api.user_sends(text, chat_id=chat, language_code="ar")

    async def replies(count: int, chat: int = ARABIC_CHAT) -> list[Any]:
        return await telegram_api.wait_for_messages(count, chat_id=chat)

    def watched(chat: int = ARABIC_CHAT) -> tuple[str, ...]:
        saved = svc.state.chat("telegram", chat)
        return saved.watch if saved is not None else ()

    # saved, then listed with a button that removes it
    say("/watch كورسك")
    [added] = await replies(1)
    assert "كورسك" in added.text and "/subscribe" in added.text  # not subscribed yet: said so
    assert watched() == ("كورسك",)
    say("/watch")
    listed = (await replies(2))[-1]
    assert "كورسك" in listed.text and "1 من 10" in listed.text
    [[button]] = listed.reply_markup["inline_keyboard"]
    assert button["text"] == "✖ كورسك" and len(button["callback_data"].encode()) <= 64
    telegram_api.user_presses(
        button["callback_data"], message_id=listed.message_id, chat_id=ARABIC_CHAT
    )
    edited = await telegram_api.wait_for_messages(1, chat_id=ARABIC_CHAT, method="editMessageText")
    assert watched() == () and "لا تتابع" in edited[-1].text
    assert any("كورسك" in a.get("text", "") for a in telegram_api.callback_answers)

    # a term the engine cannot use is refused with its reason; nothing saved
    say("/watch Kursk lang:en")
    say("/watch ؟؟؟ !!!")
    bad_filter, bad_nothing = (await replies(5))[-2:]  # after the list's edit
    assert "lang:" in bad_filter.text and "/search" in bad_filter.text
    assert "؟؟؟ !!!" in bad_nothing.text
    assert watched() == ()

    # ten terms at most: the 11th is refused and names itself
    terms = ["كورسك", "Tumen", "Shoigu", "Lavrov", "Kim", "rail", "ammunition", "treaty", "Putin"]
    terms.append('"سكك حديدية"')
    for term in terms:
        say(f"/watch {term}", OTHER_CHAT)
    say("/watch Vladivostok", OTHER_CHAT)
    refused = (await replies(11, OTHER_CHAT))[-1]
    assert "10" in refused.text and "Vladivostok" in refused.text
    assert watched(OTHER_CHAT) == tuple(terms)

    # the Arabic chat watches كورسك again and subscribes; the other chat stays unsubscribed
    say("/watch كورسك")
    say("/subscribe ar")
    await replies(7)
    channel = TelegramChannel(application.bot)
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))

    # poll 1: an English report about Kursk, and one about a bridge
    feed_server.add("/wire.xml", wire(KURSK, RAIL, when=START - timedelta(minutes=10)))
    before = len(telegram_api.messages_to(ARABIC_CHAT))
    await jobs.poll()
    alerts = telegram_api.messages_to(ARABIC_CHAT)[before:]
    assert len(alerts) == 1
    [alert] = alerts
    assert "كورسك" in alert.text and 'href="https://wire.example/kursk-1"' in alert.text
    assert KURSK[1] in parse_telegram_html(alert.text)  # no summary in Arabic: the title
    assert telegram_api.messages_to(OTHER_CHAT)[11:] == []  # watches it too, not subscribed

    # poll 2: another report of the same story: no second alert
    clock.now = START + timedelta(hours=2)
    feed_server.add(
        "/wire.xml", wire(KURSK, RAIL, KURSK_AGAIN, when=clock.now - timedelta(minutes=10))
    )
    await jobs.poll()
    first, again = _articles(svc, KURSK, KURSK_AGAIN)
    assert first.story_id == again.story_id is not None  # the same story, grown
    assert len(telegram_api.messages_to(ARABIC_CHAT)) == before + 1

    records = [
        {"method": c.method, "params": c.params, "source": "watch-e2e"} for c in telegram_api.calls
    ]
    # neither refused nor a parameter dropped
    assert spec_problems(records, tmp_path, ("error", "ignored")) == []


def _articles(svc: Services, *items: tuple[str, str, str]) -> list[Any]:
    rows = {row.article.url: row for row in svc.archive.recent_articles(START - timedelta(days=2))}
    return [rows[f"https://wire.example/{guid}"] for guid, _, _ in items]


@pytest.fixture
async def discord_svc(
    tmp_path: Path, feed_server: FeedServer, discord_api: FakeDiscordAPI, clock: Clock
) -> AsyncIterator[Services]:
    settings = watch_settings(tmp_path, feed_server, discord={"token": BOT_TOKEN})
    async with services(settings, now=clock) as built:
        yield built


@pytest.fixture
async def client(discord_svc: Services) -> AsyncIterator[DigestbotClient]:
    async with rest_client(discord_svc) as client:
        yield client


async def test_discord_watch_list_buttons_refusals_and_one_cross_lingual_alert(
    discord_svc: Services,
    client: DigestbotClient,
    discord_api: FakeDiscordAPI,
    feed_server: FeedServer,
    clock: Clock,
    tmp_path: Path,
) -> None:
    svc = discord_svc
    svc.state.save_chat(Chat(BOT_PLATFORM, CHANNEL, lang="en", ui_lang="en", subscribed=True))
    watch, unwatch = command(client, "watch"), command(client, "unwatch")

    async def run(cmd: Any, *args: Any, manage: bool = True) -> FakeInteraction:
        asked = FakeInteraction(manage=manage)
        await cmd.callback(asked, *args)
        return asked

    def watched() -> tuple[str, ...]:
        saved = svc.state.chat(BOT_PLATFORM, CHANNEL)
        return saved.watch if saved is not None else ()

    assert "كورسك" in (await run(watch, "كورسك")).reply
    assert watched() == ("كورسك",)
    # changing the list takes Manage Channel; reading it does not
    assert "Manage Channel" in (await run(watch, "Tumen", manage=False)).reply
    listing = await run(watch, None, manage=False)
    [sent] = listing.response.sent
    assert "كورسك" in sent["content"] and sent["ephemeral"]
    view: WatchView = sent["view"]
    [button] = view.children
    assert isinstance(button, discord.ui.Button) and button.label == "✖ كورسك"
    press = FakeInteraction()
    await button.callback(press)  # type: ignore[arg-type]
    assert watched() == () and "no terms" in press.response.edited[0]["content"]
    view.stop()

    assert "since:" in (await run(watch, "Kursk since:2024-01-01")).reply
    assert "does not watch" in (await run(unwatch, "Kursk")).reply
    for n in range(10):
        await run(watch, f"term{n}")
    assert "10 terms" in (await run(watch, "Kursk")).reply
    assert "No longer" in (await run(unwatch, "term3")).reply
    for n in range(10):
        if n != 3:
            await run(unwatch, f"term{n}")
    await run(watch, "كورسك")
    assert watched() == ("كورسك",)

    jobs = Jobs(svc, [DiscordChannel(client)], Heartbeat(started_at=START))
    feed_server.add("/wire.xml", wire(KURSK, RAIL, when=START - timedelta(minutes=10)))
    await jobs.poll()
    [posted] = discord_api.sent_to(CHANNEL)
    assert not limit_problems(posted) and not posted.get("embeds")
    assert "كورسك" in posted["content"] and "(<https://wire.example/kursk-1>)" in posted["content"]
    clock.now = START + timedelta(hours=2)
    feed_server.add(
        "/wire.xml", wire(KURSK, RAIL, KURSK_AGAIN, when=clock.now - timedelta(minutes=10))
    )
    await jobs.poll()
    first, again = _articles(svc, KURSK, KURSK_AGAIN)
    assert first.story_id == again.story_id is not None
    assert len(discord_api.sent_to(CHANNEL)) == 1

    records: list[dict[str, Any]] = [
        {"method": "POST", "path": f"/api/v10/channels/{p.channel_id}/messages", "json": p.payload}
        for p in discord_api.messages
    ]
    records.append(
        {
            "method": "PUT",
            "path": "/api/v10/applications/1/commands",
            "json": discord_api.synced_commands,
        }
    )
    # errors only: discord.py itself adds "nsfw" to every synced command, which the spec's
    # request schema does not list (Discord ignores it)
    assert spec_problems(records, tmp_path) == []
