"""Delivering the outbox to the fake Telegram Bot API: order, pacing per chat and overall, many
chats at once, blocked chats, migrated groups and refused parts."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.app.container import services
from bot.app.jobs import Heartbeat, Jobs
from bot.config import Settings
from bot.config.sections import DEFAULT_REPLY_SHARE
from bot.delivery.pacing import RateLimits
from bot.delivery.sender import DeliveryReport, Sender
from bot.models import Chat
from bot.platforms.telegram.channel import TelegramChannel, telegram_limits
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.delivery_support import NOW, TOKEN, Clock, Watched, queue
from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limited_api(clock: Clock) -> AsyncIterator[FakeTelegramAPI]:
    """The fake Bot API enforcing Telegram's limits on the test's clock."""
    async with FakeTelegramAPI(flood_limits=FloodLimits(), clock=clock.monotonic) as api:
        yield api


@pytest.fixture
def stores(tmp_path: Path) -> tuple[StateStore, Archive]:
    return StateStore(tmp_path), Archive.in_dir(tmp_path)


async def run(
    api: FakeTelegramAPI,
    stores: tuple[StateStore, Archive],
    clock: Clock,
    *,
    limits: RateLimits | None = None,
    concurrency: int = 8,
    reply_share: float = DEFAULT_REPLY_SHARE,
) -> tuple[DeliveryReport, Watched]:
    state, archive = stores
    async with Bot(TOKEN, base_url=api.bot_url) as bot:
        channel = Watched(TelegramChannel(bot, telegram_limits(reply_share)), clock.monotonic)
        sender = Sender(
            archive=archive,
            state=state,
            channel=channel,
            now=lambda: NOW,
            limits=limits,
            concurrency=concurrency,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )
        return await sender.run(), channel


def texts(api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [m.text for m in api.messages_to(chat_id)]


async def test_parts_go_out_in_order_one_a_second_per_chat(
    limited_api: FakeTelegramAPI, stores: tuple[StateStore, Archive], clock: Clock
) -> None:
    queue(stores[1], 10, ["<b>one</b>", "two", "three"])
    queue(stores[1], 20, ["other chat"])
    report, _ = await run(limited_api, stores, clock)
    assert report.sent == 4
    assert texts(limited_api, 10) == ["<b>one</b>", "two", "three"]
    arrivals = [c.at for c in limited_api.calls_to("sendMessage") if c.params["chat_id"] == "10"]
    assert [b - a >= 1.0 for a, b in itertools.pairwise(arrivals)] == [True, True]
    assert limited_api.flood_refusals == []
    assert stores[1].pending("telegram") == []
    sent = stores[1].outbox_counts()
    assert sent == {"sent": 4}
    # a second run sends nothing again
    assert (await run(limited_api, stores, clock))[0].sent == 0
    assert len(limited_api.sent) == 4


async def test_many_chats_are_served_at_once_within_the_concurrency(
    stores: tuple[StateStore, Archive], clock: Clock
) -> None:
    for chat_id in range(1, 41):
        queue(stores[1], chat_id, [f"digest for {chat_id}"])
    # answers take 50 ms of real time while the test's clock lets the sender start the next part
    # at once: only the concurrency holds it back
    async with FakeTelegramAPI(latency=0.05) as api:
        report, channel = await run(api, stores, clock, concurrency=6)
        assert report.sent == 40
        assert channel.most_in_flight == 6
        assert sorted(int(m.chat_id) for m in api.sent) == list(range(1, 41))


async def test_the_overall_and_group_limits_are_kept_without_a_single_refusal(
    stores: tuple[StateStore, Archive], clock: Clock
) -> None:
    limits = FloodLimits(overall=5, overall_period=1.0, chat_interval=1.0, group=3, group_period=60)
    async with FakeTelegramAPI(flood_limits=limits, clock=clock.monotonic, latency=0.002) as api:
        for chat_id in range(1, 21):
            queue(stores[1], chat_id, [f"user {chat_id} part 1", f"user {chat_id} part 2"])
        queue(stores[1], -500, [f"group part {n}" for n in range(1, 6)])
        sender_limits = RateLimits(overall=5, group=3, group_period=60.0)
        report, _ = await run(api, stores, clock, limits=sender_limits, concurrency=8)
        assert report.sent == 45 and report.flood_waits == 0
        assert api.flood_refusals == []
        assert texts(api, -500) == [f"group part {n}" for n in range(1, 6)]
        arrivals = [c.at for c in api.calls_to("sendMessage")]
        assert max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals) <= 5


def busiest_second(api: FakeTelegramAPI) -> int:
    arrivals = [c.at for c in api.calls_to("sendMessage")]
    return max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals)


@pytest.mark.parametrize(("share", "least", "most"), [(DEFAULT_REPLY_SHARE, 16, 29), (0.5, 1, 15)])
async def test_a_broadcast_leaves_the_reply_share_of_telegrams_rate_free(
    limited_api: FakeTelegramAPI,
    stores: tuple[StateStore, Archive],
    clock: Clock,
    share: float,
    least: int,
    most: int,
) -> None:
    for chat_id in range(1, 91):
        queue(stores[1], chat_id, [f"digest for {chat_id}"])
    report, _ = await run(limited_api, stores, clock, concurrency=32, reply_share=share)
    assert report.sent == 90 and limited_api.flood_refusals == []
    # the sender keeps to its share of Telegram's 30 a second (the fake clock jumps ahead while
    # parts are in flight, so it does not always fill it)
    assert least <= busiest_second(limited_api) <= most


async def test_the_running_bot_paces_telegram_with_the_configured_reply_share(
    tmp_path: Path, telegram_api: FakeTelegramAPI
) -> None:
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "telegram": {"token": TOKEN, "base_url": telegram_api.bot_url, "reply_share": 0.2},
        }
    )
    async with (
        services(settings) as svc,
        svc.platforms.started(svc, commands=False) as channels,
    ):
        heartbeat = Heartbeat(started_at=NOW)
        jobs = Jobs(svc, channels, heartbeat)
        assert jobs._senders["telegram"].pacer.limits.overall == 24


async def test_a_blocked_chat_is_deactivated_and_the_rest_continue(
    telegram_api: FakeTelegramAPI,
    stores: tuple[StateStore, Archive],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, archive = stores
    state.save_chat(Chat("telegram", 10, subscribed=True))
    state.save_chat(Chat("telegram", 20, subscribed=True))
    queue(archive, 10, ["x", "y"])
    queue(archive, 20, ["z"])
    telegram_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user", chat_id=10
    )
    with caplog.at_level(logging.WARNING, "bot.delivery.sender"):
        report, _ = await run(telegram_api, stores, clock)
    assert report.chats_gone == 1 and report.sent == 1
    assert not state.chat("telegram", 10).subscribed  # type: ignore[union-attr]
    assert state.chat("telegram", 20).subscribed  # type: ignore[union-attr]
    assert texts(telegram_api, 20) == ["z"]
    assert texts(telegram_api, 10) == []
    assert archive.pending("telegram") == []
    assert archive.outbox_counts()["dropped"] == 2  # both parts of the blocked chat
    assert "chat 10 deactivated" in caplog.text and "blocked by the user" in caplog.text


async def test_a_migrated_group_keeps_its_subscription_settings_and_parts(
    telegram_api: FakeTelegramAPI, stores: tuple[StateStore, Archive], clock: Clock
) -> None:
    state, archive = stores
    state.save_chat(Chat("telegram", -300, lang="ar", subscribed=True, timezone="Asia/Dubai"))
    queue(archive, -300, ["one", "two", "three"])
    telegram_api.fail_next("sendMessage", status=400, migrate_to_chat_id=-100300, chat_id=-300)
    report, _ = await run(telegram_api, stores, clock)
    assert report.sent == 3 and report.chats_moved == 1
    assert texts(telegram_api, -100300) == ["one", "two", "three"]
    moved = state.chat("telegram", -100300)
    assert moved is not None and moved.subscribed
    assert (moved.lang, moved.timezone) == ("ar", "Asia/Dubai")
    assert state.chat("telegram", -300) is None
    # the next digest for the group is known to have been sent under its new id
    assert archive.last_digest_end("telegram", -100300) == NOW


async def test_a_refused_part_is_logged_and_the_rest_continue(
    telegram_api: FakeTelegramAPI,
    stores: tuple[StateStore, Archive],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue(stores[1], 10, ["first", "<b>broken", "last"])  # Telegram refuses unbalanced HTML
    with caplog.at_level(logging.WARNING, "bot.delivery.sender"):
        report, _ = await run(telegram_api, stores, clock)
    assert report.failed == 1 and report.sent == 2
    assert texts(telegram_api, 10) == ["first", "last"]
    assert stores[1].outbox_counts() == {"sent": 2, "failed": 1}
    assert "part 1 of digest 10:d1 refused for chat 10" in caplog.text
    assert "Can't parse entities" in caplog.text
