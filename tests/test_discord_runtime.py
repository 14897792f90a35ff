"""Starting Discord for `digestbot run`: webhook chats follow the config, a refused token is a
clear error, and webhook-only mode posts the outbox with no bot login and no gateway."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.container import services
from bot.app.daemon import run_forever
from bot.cli.once import once
from bot.config import DiscordWebhookSettings, Settings
from bot.errors import DigestbotError
from bot.platforms.discord.platform import WEBHOOK_PLATFORM
from bot.platforms.discord.runtime import start_discord, sync_webhook_chats
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.feed_server import FeedServer

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
WEBHOOK_ID = 555555555555555555
WEBHOOK_TOKEN = "t" * 68


def webhook(webhook_id: int, name: str, lang: str = "both") -> DiscordWebhookSettings:
    url = f"https://discord.com/api/webhooks/{webhook_id}/{WEBHOOK_TOKEN}"
    return DiscordWebhookSettings.model_validate({"name": name, "url": url, "lang": lang})


def test_webhook_chats_follow_the_config(tmp_path: Path) -> None:
    state = StateStore(tmp_path)
    sync_webhook_chats(
        state, [webhook(WEBHOOK_ID, "news", "ar"), webhook(WEBHOOK_ID + 1, "b")], NOW
    )
    chats = {c.chat_id: c for c in state.chats(platform=WEBHOOK_PLATFORM, subscribed_only=True)}
    assert set(chats) == {WEBHOOK_ID, WEBHOOK_ID + 1}
    assert (chats[WEBHOOK_ID].lang, chats[WEBHOOK_ID].title) == ("ar", "news")
    assert chats[WEBHOOK_ID].subscribed_at == NOW

    later = NOW + timedelta(days=1)
    sync_webhook_chats(state, [webhook(WEBHOOK_ID, "renamed", "en")], later)
    kept = state.chat(WEBHOOK_PLATFORM, WEBHOOK_ID)
    assert kept is not None and kept.subscribed and (kept.lang, kept.ui_lang) == ("en", "en")
    assert kept.title == "renamed" and kept.subscribed_at == NOW  # the same subscription
    removed = state.chat(WEBHOOK_PLATFORM, WEBHOOK_ID + 1)
    assert removed is not None and not removed.subscribed

    sync_webhook_chats(state, [webhook(WEBHOOK_ID + 1, "b")], later)
    back = state.chat(WEBHOOK_PLATFORM, WEBHOOK_ID + 1)
    assert back is not None and back.subscribed and back.subscribed_at == later
    state.close()


async def test_a_refused_token_is_a_clear_error_without_the_token(
    tmp_path: Path, discord_api: FakeDiscordAPI
) -> None:
    settings = Settings.model_validate(
        {"storage": {"data_dir": str(tmp_path)}, "discord": {"token": "wrong-secret-token"}}
    )
    async with services(settings) as svc:
        with pytest.raises(DigestbotError) as info:
            await start_discord(svc, gateway=False)
    assert "token was refused" in str(info.value)
    assert "wrong-secret-token" not in str(info.value)
    assert ("GET", "/users/@me") in discord_api.requests


async def test_nothing_starts_without_discord_settings(tmp_path: Path) -> None:
    settings = Settings.model_validate({"storage": {"data_dir": str(tmp_path)}})
    async with services(settings) as svc:
        runtime = await start_discord(svc)
        assert runtime.channels == [] and runtime.client is None and runtime.session is None
        await runtime.close()


def rss() -> bytes:
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>'
        b"<item><guid>w1</guid><title>Rain in the Levant</title><link>https://w.example/1</link>"
        b"</item></channel></rss>"
    )


async def test_run_posts_the_outbox_through_webhooks_without_a_gateway(
    tmp_path: Path, feed_server: FeedServer, discord_api: FakeDiscordAPI
) -> None:
    feed_server.add("/w.xml", rss())
    url = discord_api.add_webhook(WEBHOOK_ID, WEBHOOK_TOKEN)
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "feeds": [{"url": feed_server.url("/w.xml"), "name": "W"}],
            "discord": {"webhooks": [{"name": "news", "url": url, "lang": "en"}]},
        }
    )
    archive = Archive.in_dir(tmp_path)  # a part left over from before a restart
    archive.queue_digest(
        platform=WEBHOOK_PLATFORM,
        chat_id=WEBHOOK_ID,
        thread_id=None,
        digest_key="left-over",
        period_end=datetime.now(UTC) - timedelta(hours=1),
        parts=[json.dumps({"content": "left over", "embeds": [{"title": "story"}]})],
        now=datetime.now(UTC),
    )
    archive.close()
    stop = asyncio.Event()
    running = asyncio.create_task(run_forever(settings, stop))
    posted = asyncio.ensure_future(discord_api.wait_for_messages(1))
    try:
        await asyncio.wait({posted, running}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    finally:
        posted.cancel()
        stop.set()
        await running
    [posted] = discord_api.sent_to(WEBHOOK_ID)
    assert posted["content"] == "left over" and posted["embeds"][0]["title"] == "story"
    assert ("GET", "/users/@me") not in discord_api.requests  # no bot login, no gateway
    state = StateStore(tmp_path)
    chat = state.chat(WEBHOOK_PLATFORM, WEBHOOK_ID)
    assert chat is not None and chat.subscribed and chat.title == "news"
    state.close()


async def test_once_posts_the_digest_to_a_webhook_instead_of_the_terminal(
    tmp_path: Path, feed_server: FeedServer, discord_api: FakeDiscordAPI
) -> None:
    feed_server.add(
        "/k.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>K</title>'
        b"<item><guid>k1</guid><title>North Korean troops fight in Kursk beside Russian forces"
        b"</title><link>https://k.example/1</link><description>Pyongyang sent soldiers to"
        b" Russia's Kursk region, Moscow said.</description></item></channel></rss>",
    )
    url = discord_api.add_webhook(WEBHOOK_ID, WEBHOOK_TOKEN)
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "feeds": [{"url": feed_server.url("/k.xml"), "name": "K"}],
            "discord": {"webhooks": [{"name": "news", "url": url, "lang": "en"}]},
        }
    )
    out = io.StringIO()
    report = await once(settings, out)
    assert report.poll.relevant == 1 and report.delivery.sent == report.queued >= 1
    [posted] = discord_api.sent_to(WEBHOOK_ID)
    assert "https://k.example/1" in json.dumps(posted["embeds"])
    assert out.getvalue() == ""  # a configured channel takes the digest, not the terminal
    assert ("GET", "/users/@me") not in discord_api.requests
