"""Instant alerts to Discord: the jobs queue an alert for a story that became big, rendered by
the chat's platform, and deliver it to the fake Discord REST API with the real discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import discord
import pytest

from bot.app.container import Services, services
from bot.app.jobs import Heartbeat, Jobs
from bot.platforms.discord.channel import DiscordChannel
from bot.platforms.discord.platform import BOT_PLATFORM
from tests.clock import Clock
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI, limit_problems
from tests.test_jobs import START, add_story, settings_for, subscribe

CHANNEL = 111111111111111111


@pytest.fixture
async def client(discord_api: FakeDiscordAPI) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30)
    await client.login(BOT_TOKEN)  # REST only: no gateway
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    async with services(settings_for(tmp_path), now=Clock(START)) as built:
        yield built


async def test_a_discord_alert_is_an_embed_that_discord_accepts(
    svc: Services, client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    subscribe(svc, CHANNEL, platform=BOT_PLATFORM, alerts=True, lang="both")
    add_story(svc.archive, "big", range(4), START - timedelta(minutes=20))
    jobs = Jobs(svc, [DiscordChannel(client)], Heartbeat(started_at=START))
    assert jobs.queue_alerts() == 1
    report = await jobs.deliver()
    assert (report.sent, report.failed) == (1, 0)
    [posted] = discord_api.sent_to(CHANNEL)
    assert not limit_problems(posted)
    assert "reported by 4 sources" in posted["content"] and "خبر بارز" in posted["content"]
    [embed] = posted["embeds"]
    assert embed["title"] == "عنوان big"  # the story, in the chat's first language
    assert "**Headline big**" in embed["description"]
    assert embed["url"] == "https://outlet0.example/big"
    assert posted["allowed_mentions"] == {"parse": []}
    assert not svc.archive.pending(BOT_PLATFORM)
