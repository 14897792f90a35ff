"""Delivery under faults, against the fake Telegram Bot API: a flood-control storm, the network
dropping mid-digest, the Bot API unreachable, a long flood wait, and a restart mid-outbox."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from telegram import Bot

from bot.delivery.channel import RetryLaterError
from bot.delivery.pacing import RateLimits
from bot.delivery.sender import MAX_PAUSE_S, NETWORK_FAILURES_TO_STOP, DeliveryReport, Sender
from bot.platforms.telegram.channel import TelegramChannel
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.delivery_support import NOW, TOKEN, Clock, Watched, queue
from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits


def sender_for(
    channel: Watched,
    state: StateStore,
    archive: Archive,
    clock: Clock,
    *,
    limits: RateLimits | None = None,
    concurrency: int = 8,
) -> Sender:
    return Sender(
        archive=archive,
        state=state,
        channel=channel,
        now=lambda: NOW,
        limits=limits,
        concurrency=concurrency,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


async def deliver_once(
    api: FakeTelegramAPI,
    tmp_path: Path,
    clock: Clock,
    *,
    limits: RateLimits | None = None,
    concurrency: int = 8,
    after_send: Callable[[int, str], None] | None = None,
) -> tuple[DeliveryReport, Watched]:
    state, archive = StateStore(tmp_path), Archive.in_dir(tmp_path)
    try:
        async with Bot(TOKEN, base_url=api.bot_url) as bot:
            channel = Watched(TelegramChannel(bot), clock.monotonic, after_send)
            sender = sender_for(
                channel, state, archive, clock, limits=limits, concurrency=concurrency
            )
            return await sender.run(), channel
    finally:
        archive.close()
        state.close()


def queue_all(tmp_path: Path, digests: dict[int, list[str]]) -> None:
    archive = Archive.in_dir(tmp_path)
    for chat_id, parts in digests.items():
        queue(archive, chat_id, parts)
    archive.close()


def pending(tmp_path: Path) -> list[str]:
    archive = Archive.in_dir(tmp_path)
    try:
        return [item.text for item in archive.pending("telegram")]
    finally:
        archive.close()


def each_sent_once_in_order(api: FakeTelegramAPI, digests: dict[int, list[str]]) -> None:
    for chat_id, parts in digests.items():
        assert [m.text for m in api.messages_to(chat_id)] == parts, f"chat {chat_id}"
    assert len(api.sent) == sum(len(parts) for parts in digests.values())


async def test_a_429_storm_loses_nothing_keeps_order_and_pauses_everyone(tmp_path: Path) -> None:
    clock = Clock()
    digests = {
        chat_id: [f"chat {chat_id} part {n}" for n in range(1, 4)]
        for chat_id in [*range(1, 25), -501, -502, -503]
    }
    queue_all(tmp_path, digests)
    # The sender believes it may go 20 times faster than the fake Bot API allows.
    fake_limits = FloodLimits(overall=4, chat_interval=1.0, group=2, group_period=10.0)
    too_fast = RateLimits(overall=80, chat_interval=0.0, group=100)
    async with FakeTelegramAPI(flood_limits=fake_limits, clock=clock.monotonic) as api:
        api.fail_next("sendMessage", status=429, retry_after=5, count=3, chat_id=7)
        report, channel = await deliver_once(api, tmp_path, clock, limits=too_fast, concurrency=10)
    assert report.flood_waits >= 10, "the storm did not happen"
    assert report.sent == 81 and report.failed == report.deferred == 0
    each_sent_once_in_order(api, digests)
    assert pending(tmp_path) == []
    # After each 429 came back, no part started before the time Telegram named.
    for refused in channel.attempts:
        if isinstance(refused.error, RetryLaterError):
            resume = refused.answered + refused.error.seconds
            later = [a for a in channel.attempts if a.started_seq > refused.answered_seq]
            early = [a for a in later if a.started < resume]
            assert early == [], f"parts started during the wait after {refused}"


async def test_flood_waits_are_exactly_as_long_as_told(tmp_path: Path) -> None:
    clock = Clock()
    queue_all(tmp_path, {10: ["a", "b"]})
    async with FakeTelegramAPI(clock=clock.monotonic) as api:
        api.fail_next("sendMessage", status=429, retry_after=7, count=3)
        report, channel = await deliver_once(api, tmp_path, clock)
    assert report.sent == 2 and report.flood_waits == 3 and report.failed == 0
    assert [m.text for m in api.messages_to(10)] == ["a", "b"]
    starts = [a.started for a in channel.attempts]
    assert [b - a for a, b in itertools.pairwise(starts)][:3] == [7.0, 7.0, 7.0]


async def test_a_flood_wait_longer_than_a_run_is_waited_out_by_the_next_run(
    tmp_path: Path,
) -> None:
    clock = Clock()
    queue_all(tmp_path, {10: ["a", "b"], 20: ["c"]})
    wait = int(MAX_PAUSE_S) + 600
    async with FakeTelegramAPI(clock=clock.monotonic) as api:
        api.fail_next("sendMessage", status=429, retry_after=wait, count=1, chat_id=10)
        state, archive = StateStore(tmp_path), Archive.in_dir(tmp_path)
        async with Bot(TOKEN, base_url=api.bot_url) as bot:
            channel = Watched(TelegramChannel(bot), clock.monotonic)
            sender = sender_for(channel, state, archive, clock, concurrency=1)
            first = await sender.run()
            assert first.sent == 0 and first.deferred == 3
            assert [i.text for i in archive.pending("telegram")] == ["a", "b", "c"]
            refused_at = channel.attempts[0].answered
            clock.t += 60  # the scheduler runs delivery again a minute later: still waiting
            second = await sender.run()
            assert second.sent == 0 and len(channel.attempts) == 1
            clock.t = refused_at + wait - 100  # a later run waits the rest out
            third = await sender.run()
        archive.close()
        state.close()
    assert third.sent == 3 and third.flood_waits == 0
    assert channel.attempts[1].started == refused_at + wait
    each_sent_once_in_order(api, {10: ["a", "b"], 20: ["c"]})


async def test_the_network_dropping_mid_digest_is_retried_with_backoff(tmp_path: Path) -> None:
    clock = Clock()
    digests = {10: ["one", "two", "three", "four"], 20: ["five", "six"]}
    queue_all(tmp_path, digests)
    async with FakeTelegramAPI(clock=clock.monotonic) as api:

        def cut_after_first(chat_id: int, text: str) -> None:
            if text == "one":
                api.drop_next("sendMessage", count=2, chat_id=10)

        report, channel = await deliver_once(api, tmp_path, clock, after_send=cut_after_first)
    assert report.network_errors == 2 and report.sent == 6 and report.deferred == 0
    each_sent_once_in_order(api, digests)
    tries = [a for a in channel.attempts if a.text == "two"]
    assert [a.error is not None for a in tries] == [True, True, False]
    assert tries[1].started - tries[0].answered == 1.0  # backoff: 1 s, then 2 s
    assert tries[2].started - tries[1].answered == 2.0


async def test_an_unreachable_bot_api_ends_the_run_and_loses_nothing(tmp_path: Path) -> None:
    clock = Clock()
    digests = {chat_id: [f"{chat_id}-a", f"{chat_id}-b"] for chat_id in range(1, 31)}
    queue_all(tmp_path, digests)
    async with FakeTelegramAPI(clock=clock.monotonic) as api:
        api.drop_next("sendMessage", count=None)
        down, _ = await deliver_once(api, tmp_path, clock)
        assert down.sent == 0 and down.failed == 0
        assert down.network_errors <= NETWORK_FAILURES_TO_STOP + 8  # stopped, not 60 tries
        assert down.deferred == 60
        assert len(pending(tmp_path)) == 60
        api.clear_failures()  # the Bot API is back
        back, _ = await deliver_once(api, tmp_path, clock)
    assert back.sent == 60
    each_sent_once_in_order(api, digests)


async def test_a_restart_resumes_the_outbox_where_it_stopped(tmp_path: Path) -> None:
    clock = Clock()
    digests = {chat_id: [f"{chat_id}/{n}" for n in range(1, 4)] for chat_id in range(1, 11)}
    queue_all(tmp_path, digests)
    async with FakeTelegramAPI(clock=clock.monotonic) as api:
        task: asyncio.Task[object] | None = None

        def stop_after_twelve(chat_id: int, text: str) -> None:
            if len(api.sent) == 12 and task is not None:
                task.cancel()  # SIGTERM mid-outbox: stop taking work, finish what is in flight

        task = asyncio.ensure_future(
            deliver_once(api, tmp_path, clock, concurrency=4, after_send=stop_after_twelve)
        )
        with pytest.raises(asyncio.CancelledError):
            await task
        stopped_at = len(api.sent)
        assert 12 <= stopped_at < 30
        assert len(pending(tmp_path)) == 30 - stopped_at  # every accepted part was recorded
        resumed, _ = await deliver_once(api, tmp_path, clock, concurrency=4)
    assert resumed.sent == 30 - stopped_at
    each_sent_once_in_order(api, digests)


async def test_an_answer_lost_after_telegram_accepted_is_the_documented_duplicate(
    tmp_path: Path,
) -> None:
    clock = Clock()
    queue_all(tmp_path, {10: ["one", "two"]})
    async with FakeTelegramAPI(clock=clock.monotonic) as api:
        api.drop_next("sendMessage", count=1, chat_id=10, after_accept=True)
        report, _ = await deliver_once(api, tmp_path, clock)
    # Telegram has no idempotency key: a part whose answer never came back is sent again.
    assert report.sent == 2 and report.network_errors == 1
    assert Counter(m.text for m in api.messages_to(10)) == {"one": 2, "two": 1}
