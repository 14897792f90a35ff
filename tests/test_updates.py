"""Updates, threaded, against the fake Bot API and the fake Discord API: a story a chat was sent
before comes back only when it grew, as an update ("Update:") showing only the sources the chat
has not seen, in reply to the message that first carried it, and still goes out when that
message was deleted. What the fakes received is checked against the platforms' published API
specs (``../shared/tools/spec_check``)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest

from bot.app.container import Services, services
from bot.delivery.sender import deliver
from bot.digest.render import Part
from bot.i18n import Catalog
from bot.models import Article, Chat, Decision, Summary
from bot.platforms.discord.channel import DiscordChannel, DiscordWebhookChannel
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.render import discord_parts
from bot.platforms.telegram.channel import TelegramChannel
from bot.platforms.telegram.render import telegram_parts
from bot.store.archive import Archive
from tests.clock import Clock
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.settings_support import settings_for
from tests.spec_support import spec_problems
from tests.test_render import sample_digest

TOKEN = "123456:UPDATES"
CHAT = 4242
CHANNEL = 111111111111111111
START = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
CATALOG = Catalog.load()


def report(archive: Archive, key: str, outlet: int, when: datetime, story: int | None) -> int:
    """One outlet's report of story ``key``; its link is the outlet's page for the story."""
    article = Article(
        id=f"{key}-{outlet}-{when.isoformat()}",
        feed_url=f"https://outlet{outlet}.example/rss",
        source=f"Outlet {outlet}",
        url=f"https://outlet{outlet}.example/{key}",
        title=f"Story {key}: Russia and North Korea sign a pact ({outlet})",
        summary="The two governments signed an agreement.",
        lang="en",
        published=when - timedelta(minutes=30),
        seen_at=when,
    )
    decision = Decision(relevant=True, score=0.9, matched=("russia", "dprk"), reason="test")
    archive.add_article(article, decision, announce=True)
    story_id = archive.attach(article.id, story, entities=(), announce=True, now=when)
    assert story_id is not None
    summary = Summary(
        headline_ar=f"عنوان {key}",
        summary_ar="وقّعت الحكومتان اتفاقًا.",
        headline_en=f"Headline {key}",
        summary_en="The two governments signed an agreement.",
        method="llm",
    )
    archive.save_summary(archive.story(story_id), summary, when)
    return story_id


def subscribe(svc: Services, platform: str, chat_id: int, lang: str = "en") -> Chat:
    chat = Chat(
        platform=platform,
        chat_id=chat_id,
        lang=lang,  # type: ignore[arg-type]
        subscribed=True,
        subscribed_at=START - timedelta(days=1),
        last_digest_at=START - timedelta(hours=12),
    )
    svc.state.save_chat(chat)
    return chat


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def svc(tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    settings = settings_for(tmp_path / "data", digest={"max_age_hours": 24 * 30})
    async with services(settings, now=clock) as built:
        yield built


@pytest.fixture
async def bot(telegram_api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=telegram_api.bot_url) as started:
        yield started


@pytest.fixture
async def client(discord_api: FakeDiscordAPI) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30)
    await client.login(BOT_TOKEN)  # REST only: no gateway
    try:
        yield client
    finally:
        await client.close()


async def digest_at(
    svc: Services, clock: Clock, when: datetime, channel: TelegramChannel | DiscordChannel
) -> None:
    clock.now = when
    svc.digests.queue_digests(until=when)
    sent = await deliver(archive=svc.archive, state=svc.state, channel=channel, now=clock)
    assert sent.failed == 0 and sent.deferred == 0


def links(text: str) -> set[str]:
    return set(re.findall(r"https://outlet\d\.example/\w+", text))


async def test_telegram_an_update_replies_to_the_first_message_and_shows_only_new_sources(
    svc: Services, clock: Clock, telegram_api: FakeTelegramAPI, bot: Bot
) -> None:
    subscribe(svc, "telegram", CHAT)
    channel = TelegramChannel(bot)
    a = report(svc.archive, "a", 0, START - timedelta(hours=2), None)
    report(svc.archive, "a", 1, START - timedelta(hours=2), a)
    b = report(svc.archive, "b", 0, START - timedelta(hours=1), None)
    await digest_at(svc, clock, START, channel)
    [first] = telegram_api.messages_to(CHAT)
    assert "Headline a" in first.text and "Headline b" in first.text
    assert "Update:" not in first.text and first.reply_to_message_id is None

    # story a grows by one outlet; story b gets a report again from the page already shown
    report(svc.archive, "a", 2, START + timedelta(hours=2), a)
    report(svc.archive, "b", 0, START + timedelta(hours=3), b)
    await digest_at(svc, clock, START + timedelta(hours=12), channel)
    [_, update] = telegram_api.messages_to(CHAT)
    assert "<b>Update: Headline a</b>" in update.text
    assert "Headline b" not in update.text  # not grown: not repeated
    assert links(update.text) == {"https://outlet2.example/a"}
    assert update.reply_to_message_id == first.message_id
    [call] = [
        c for c in telegram_api.calls_to("sendMessage") if c.params.get("text") == update.text
    ]
    parameters = json.loads(call.params["reply_parameters"])
    assert parameters == {"message_id": first.message_id, "allow_sending_without_reply": True}

    # the first message is deleted in the chat; the next update still goes out, as no reply
    telegram_api.user_deletes(CHAT, first.message_id)
    report(svc.archive, "a", 3, START + timedelta(hours=14), a)
    await digest_at(svc, clock, START + timedelta(hours=24), channel)
    [*_, third] = telegram_api.messages_to(CHAT)
    assert "<b>Update: Headline a</b>" in third.text
    assert links(third.text) == {"https://outlet3.example/a"}
    assert third.reply_to_message_id is None
    assert len(telegram_api.messages_to(CHAT)) == 3

    records = [{"method": c.method, "params": c.params} for c in telegram_api.calls]
    assert spec_problems(records, Path(svc.settings.storage.data_dir)) == []


async def test_an_arabic_update_is_marked_in_arabic(
    svc: Services, clock: Clock, telegram_api: FakeTelegramAPI, bot: Bot
) -> None:
    subscribe(svc, "telegram", CHAT, lang="ar")
    channel = TelegramChannel(bot)
    a = report(svc.archive, "a", 0, START - timedelta(hours=2), None)
    await digest_at(svc, clock, START, channel)
    report(svc.archive, "a", 1, START + timedelta(hours=2), a)
    await digest_at(svc, clock, START + timedelta(hours=12), channel)
    first, update = telegram_api.messages_to(CHAT)
    assert "<b>تحديث: عنوان a</b>" in update.text and "تحديث" not in first.text
    assert update.reply_to_message_id == first.message_id


async def test_the_fake_refuses_a_reply_to_a_deleted_message_unless_allowed(
    telegram_api: FakeTelegramAPI, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "first")
    telegram_api.user_deletes(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "reply", reply_parameters=ReplyParameters(sent.message_id))
    allowed = ReplyParameters(sent.message_id, allow_sending_without_reply=True)
    answer = await bot.send_message(CHAT, "reply", reply_parameters=allowed)
    assert answer.reply_to_message is None


async def test_discord_an_update_references_the_first_message_even_when_gone(
    svc: Services, clock: Clock, discord_api: FakeDiscordAPI, client: discord.Client
) -> None:
    subscribe(svc, BOT_PLATFORM, CHANNEL)
    channel = DiscordChannel(client)
    a = report(svc.archive, "a", 0, START - timedelta(hours=2), None)
    b = report(svc.archive, "b", 1, START - timedelta(hours=1), None)
    await digest_at(svc, clock, START, channel)
    [first] = discord_api.messages
    titles = [embed["title"] for embed in first.payload["embeds"]]
    assert sorted(titles) == ["Headline a", "Headline b"] and first.reference is None

    report(svc.archive, "a", 2, START + timedelta(hours=2), a)
    report(svc.archive, "b", 1, START + timedelta(hours=3), b)
    await digest_at(svc, clock, START + timedelta(hours=12), channel)
    [_, update] = discord_api.messages
    [embed] = update.payload["embeds"]
    assert embed["title"] == "Update: Headline a"
    assert links(json.dumps(update.payload)) == {"https://outlet2.example/a"}
    assert update.reference == first.id
    reference = update.payload["message_reference"]
    assert reference["message_id"] == str(first.id) and reference["fail_if_not_exists"] is False

    discord_api.delete(first.id)
    report(svc.archive, "a", 3, START + timedelta(hours=14), a)
    await digest_at(svc, clock, START + timedelta(hours=24), channel)
    [*_, third] = discord_api.messages
    assert third.payload["embeds"][0]["title"] == "Update: Headline a"
    assert third.reference is None and len(discord_api.messages) == 3

    assert spec_problems(discord_api.bodies, Path(svc.settings.storage.data_dir)) == []


async def test_a_webhook_sends_an_update_without_a_reference(
    discord_api: FakeDiscordAPI,
) -> None:
    import aiohttp

    url = discord_api.add_webhook(333333333333333333, "w" * 68)
    async with aiohttp.ClientSession() as session:
        channel = DiscordWebhookChannel.from_urls({333333333333333333: url}, session)
        payload = json.dumps({"content": "update", "embeds": []})
        await channel.send(333333333333333333, payload, reply_to=12345)
    [body] = discord_api.bodies
    assert "message_reference" not in body["json"]


def test_each_part_names_the_stories_it_carries_in_order() -> None:
    base = sample_digest("both")
    item = base.items[0]
    many = replace(
        base,
        items=tuple(
            replace(item, story_id=number, update=number % 3 == 0) for number in range(1, 60)
        ),
    )
    for render in (telegram_parts, discord_parts):
        parts: list[Part] = render(many, CATALOG)
        assert len(parts) > 1
        assert [story for part in parts for story in part.stories] == list(range(1, 60))
        for part in parts:
            marks = part.text.count("Update:")
            assert marks == sum(1 for story in part.stories if story % 3 == 0)
