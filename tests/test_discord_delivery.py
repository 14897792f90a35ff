"""Delivering the outbox to the fake Discord API with the real discord.py: a bot posting to
channels, webhooks, rate limits (waited out, never dropped), lost channels and webhooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.delivery.sender import DeliveryReport, deliver
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.models import Chat
from bot.platforms.discord.channel import (
    DiscordChannel,
    DiscordWebhookChannel,
    parse_payload,
    redact,
)
from bot.platforms.discord.platform import BOT_PLATFORM, WEBHOOK_PLATFORM
from bot.platforms.discord.render import render_discord
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI
from tests.test_delivery import Clock
from tests.test_render import sample_digest

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
CHANNEL = 111111111111111111
OTHER = 222222222222222222
WEBHOOK_ID = 333333333333333333
WEBHOOK_TOKEN = "w" * 68


@pytest.fixture
async def client(discord_api: FakeDiscordAPI) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30)
    await client.login(BOT_TOKEN)  # REST only: no gateway
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def stores(tmp_path: Path) -> tuple[StateStore, Archive]:
    return StateStore(tmp_path), Archive.in_dir(tmp_path)


def message(text: str) -> str:
    return json.dumps({"content": text, "embeds": [{"title": text, "description": "d"}]})


def queue(archive: Archive, platform: str, chat_id: int, parts: list[str], key: str = "d1") -> None:
    archive.queue_digest(
        platform=platform,
        chat_id=chat_id,
        thread_id=None,
        digest_key=f"{platform}:{chat_id}:{key}",
        period_end=NOW,
        parts=parts,
        now=NOW,
    )


def subscribe(state: StateStore, platform: str, chat_id: int) -> None:
    state.save_chat(Chat(platform, chat_id, lang="both", subscribed=True, subscribed_at=NOW))


async def run(
    channel: DiscordChannel | DiscordWebhookChannel,
    stores: tuple[StateStore, Archive],
    clock: Clock | None = None,
) -> DeliveryReport:
    state, archive = stores
    clock = clock or Clock()
    return await deliver(
        archive=archive,
        state=state,
        channel=channel,
        now=lambda: NOW,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


async def test_a_rendered_digest_goes_out_in_order_without_mentions(
    client: discord.Client, stores: tuple[StateStore, Archive], discord_api: FakeDiscordAPI
) -> None:
    parts = render_discord(sample_digest("both"), Catalog.load())
    queue(stores[1], BOT_PLATFORM, CHANNEL, [*parts, message("second part")])
    queue(stores[1], BOT_PLATFORM, OTHER, [message("other channel")])
    report = await run(DiscordChannel(client), stores)
    assert report.sent == 3 and report.failed == 0
    sent = discord_api.sent_to(CHANNEL)
    assert [m["embeds"][0]["title"] for m in sent] == [
        "جنود كوريون شماليون في كورسك",
        "second part",
    ]
    assert sent[0]["content"] == json.loads(parts[0])["content"]
    assert sent[0]["embeds"][0]["url"] == "https://a.example/1?x=1&y=2"
    assert all(m["allowed_mentions"] == {"parse": []} for m in sent)  # no @everyone from a feed
    assert discord_api.sent_to(OTHER)[0]["content"] == "other channel"
    assert not stores[1].pending(BOT_PLATFORM)
    # the bot's token went in the Authorization header, as Discord wants it
    assert discord_api.messages[0].headers["Authorization"] == f"Bot {BOT_TOKEN}"


async def test_a_short_429_is_waited_out_by_discord_py(
    client: discord.Client, stores: tuple[StateStore, Archive], discord_api: FakeDiscordAPI
) -> None:
    discord_api.fail(CHANNEL, 429, retry_after=0.01)
    queue(stores[1], BOT_PLATFORM, CHANNEL, [message("one"), message("two")])
    clock = Clock()
    report = await run(DiscordChannel(client), stores, clock)
    assert report.sent == 2
    assert [m["content"] for m in discord_api.sent_to(CHANNEL)] == ["one", "two"]
    posts = [r for r in discord_api.requests if r == ("POST", f"/channels/{CHANNEL}/messages")]
    assert len(posts) == 3  # the refused one was sent again, once


async def test_a_long_429_comes_back_to_the_delivery_loop_and_nothing_is_dropped(
    client: discord.Client, stores: tuple[StateStore, Archive], discord_api: FakeDiscordAPI
) -> None:
    discord_api.fail(CHANNEL, 429, retry_after=90)  # above the client's 30 s: not waited inside
    queue(stores[1], BOT_PLATFORM, CHANNEL, [message("one"), message("two")])
    clock = Clock()
    report = await run(DiscordChannel(client), stores, clock)
    assert report.sent == 2 and report.failed == 0
    assert 90 in clock.slept  # the delivery loop waited what Discord asked
    assert [m["content"] for m in discord_api.sent_to(CHANNEL)] == ["one", "two"]


@pytest.mark.parametrize("status", [403, 404])
async def test_a_lost_channel_is_unsubscribed_and_its_parts_dropped(
    client: discord.Client,
    stores: tuple[StateStore, Archive],
    discord_api: FakeDiscordAPI,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, archive = stores
    subscribe(state, BOT_PLATFORM, CHANNEL)
    subscribe(state, BOT_PLATFORM, OTHER)
    discord_api.fail(CHANNEL, status)
    queue(archive, BOT_PLATFORM, CHANNEL, [message("one"), message("two")])
    queue(archive, BOT_PLATFORM, OTHER, [message("fine")])
    report = await run(DiscordChannel(client), stores)
    assert report.chats_gone == 1 and report.sent == 1
    gone = state.chat(BOT_PLATFORM, CHANNEL)
    assert gone is not None and not gone.subscribed
    other = state.chat(BOT_PLATFORM, OTHER)
    assert other is not None and other.subscribed
    assert discord_api.sent_to(CHANNEL) == []
    assert not archive.pending(BOT_PLATFORM)
    assert archive.outbox_counts() == {"dropped": 2, "sent": 1}
    expected = "Missing Access" if status == 403 else "Unknown Channel"
    assert f"chat {CHANNEL} deactivated" in caplog.text and expected in caplog.text


async def test_a_message_discord_refuses_fails_alone(
    client: discord.Client, stores: tuple[StateStore, Archive], discord_api: FakeDiscordAPI
) -> None:
    too_long = json.dumps({"content": "x" * 2001})
    queue(stores[1], BOT_PLATFORM, CHANNEL, [too_long, message("next")])
    report = await run(DiscordChannel(client), stores)
    assert report.failed == 1 and report.sent == 1
    assert [m["content"] for m in discord_api.sent_to(CHANNEL)] == ["next"]


@pytest.mark.parametrize("text", ["not json", "[]", '{"embeds": []}', '{"content": 5}'])
def test_a_broken_outbox_row_is_a_delivery_error(text: str) -> None:
    with pytest.raises(DeliveryError):
        parse_payload(text)


# webhooks


@pytest.fixture
async def session(discord_api: FakeDiscordAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_webhooks_post_without_a_bot(
    session: aiohttp.ClientSession, stores: tuple[StateStore, Archive], discord_api: FakeDiscordAPI
) -> None:
    url = discord_api.add_webhook(WEBHOOK_ID, WEBHOOK_TOKEN)
    channel = DiscordWebhookChannel.from_urls({WEBHOOK_ID: url}, session)
    parts = render_discord(sample_digest("ar"), Catalog.load())
    queue(stores[1], WEBHOOK_PLATFORM, WEBHOOK_ID, parts)
    discord_api.fail(WEBHOOK_ID, 429, retry_after=0.01)
    report = await run(channel, stores)
    assert report.sent == len(parts)
    [sent] = discord_api.sent_to(WEBHOOK_ID)
    expected = json.loads(parts[0])
    assert sent["content"] == expected["content"]
    assert sent["allowed_mentions"] == {"parse": []}
    # discord.py adds "flags" and "type" to each embed; every key we rendered arrives as is
    for ours, theirs in zip(expected["embeds"], sent["embeds"], strict=True):
        assert {key: theirs[key] for key in ours} == ours
    assert "Authorization" not in discord_api.messages[0].headers  # the URL is the credential
    assert discord_api.requests.count(("GET", "/users/@me")) == 0


@pytest.mark.parametrize("case", ["deleted", "token reset", "not configured"])
async def test_a_lost_webhook_is_unsubscribed(
    session: aiohttp.ClientSession,
    stores: tuple[StateStore, Archive],
    discord_api: FakeDiscordAPI,
    case: str,
) -> None:
    state, archive = stores
    url = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
    if case == "token reset":
        discord_api.add_webhook(WEBHOOK_ID, "n" * 68)
    urls = {} if case == "not configured" else {WEBHOOK_ID: url}
    channel = DiscordWebhookChannel.from_urls(urls, session)
    subscribe(state, WEBHOOK_PLATFORM, WEBHOOK_ID)
    queue(archive, WEBHOOK_PLATFORM, WEBHOOK_ID, [message("one")])
    report = await run(channel, stores)
    assert report.chats_gone == 1 and report.sent == 0
    chat = state.chat(WEBHOOK_PLATFORM, WEBHOOK_ID)
    assert chat is not None and not chat.subscribed
    assert discord_api.messages == []


def test_webhook_tokens_are_redacted_from_errors() -> None:
    text = (
        f"ClientError('https://discord.com/api/v10/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}?wait=1')"
    )
    assert WEBHOOK_TOKEN not in redact(text)
    assert str(WEBHOOK_ID) in redact(text)
