"""Digest slots, which chats are due, and the scheduler's jobs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.triggers.interval import IntervalTrigger

from bot.app.scheduler import build_scheduler, due_digests, latest_slot
from bot.models import Chat

RIYADH = ZoneInfo("Asia/Riyadh")  # UTC+3
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9
DEFAULT = ["08:00", "20:00"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2024, 11, 5, 9, 0, tzinfo=UTC), datetime(2024, 11, 5, 5, 0, tzinfo=UTC)),
        (datetime(2024, 11, 5, 4, 59, tzinfo=UTC), datetime(2024, 11, 4, 17, 0, tzinfo=UTC)),
        (datetime(2024, 11, 5, 17, 0, tzinfo=UTC), datetime(2024, 11, 5, 17, 0, tzinfo=UTC)),
        (datetime(2024, 11, 5, 23, 30, tzinfo=UTC), datetime(2024, 11, 5, 17, 0, tzinfo=UTC)),
    ],
)
def test_latest_slot_in_the_configured_zone(now: datetime, expected: datetime) -> None:
    assert latest_slot(DEFAULT, RIYADH, now) == expected


def test_latest_slot_across_daylight_saving() -> None:
    london = ZoneInfo("Europe/London")
    # the night the clocks go back: 08:00 local is 08:00 UTC on 27 Oct 2024 (after the change)
    now = datetime(2024, 10, 27, 9, 0, tzinfo=UTC)
    assert latest_slot(["08:00"], london, now) == datetime(2024, 10, 27, 8, 0, tzinfo=UTC)
    # 00:30 UTC on 27 Oct is 01:30 BST, before the 01:30 GMT slot: yesterday's is the latest
    early = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert latest_slot(["01:30"], london, early) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert latest_slot(["01:45"], london, early) == datetime(2024, 10, 26, 0, 45, tzinfo=UTC)


def test_latest_slot_when_the_clocks_go_forward() -> None:
    london = ZoneInfo("Europe/London")
    # 31 Mar 2024: 01:00 GMT becomes 02:00 BST, so 07:00 local is 06:00 UTC
    now = datetime(2024, 3, 31, 5, 30, tzinfo=UTC)  # 06:30 BST
    assert latest_slot(["07:00"], london, now) == datetime(2024, 3, 30, 7, 0, tzinfo=UTC)
    later = datetime(2024, 3, 31, 6, 0, tzinfo=UTC)
    assert latest_slot(["07:00"], london, later) == datetime(2024, 3, 31, 6, 0, tzinfo=UTC)


def chat(chat_id: int, **changes: object) -> Chat:
    base = Chat(
        platform="telegram",
        chat_id=chat_id,
        subscribed=True,
        subscribed_at=datetime(2024, 11, 1, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def due(chats: list[Chat], now: datetime, handled: dict[str, datetime] | None = None) -> dict:
    found = due_digests(
        chats, handled=handled or {}, default_times=DEFAULT, default_zone=RIYADH, now=now
    )
    return {item.chat.chat_id: item.slot for item in found}


def test_each_chat_is_due_at_its_own_times_in_its_own_zone() -> None:
    now = datetime(2024, 11, 5, 5, 30, tzinfo=UTC)  # 08:30 Riyadh, 14:30 Tokyo
    last = datetime(2024, 11, 4, 17, 0, tzinfo=UTC)  # everyone got yesterday's 20:00 Riyadh
    chats = [
        chat(1),  # the defaults: 08:00 Riyadh passed
        chat(2, timezone="Asia/Tokyo", digest_times=("14:00",)),  # 05:00 UTC, passed
        chat(3, timezone="Asia/Tokyo", digest_times=("15:00",)),  # 06:00 UTC, not yet
        chat(4, digest_times=("09:00",)),  # 09:00 Riyadh, not yet
        chat(5, timezone="Nowhere/Unknown"),  # an unknown zone falls back to Riyadh
        chat(6, subscribed=False),
    ]
    handled = {c.key: last for c in chats}
    assert due(chats, now, handled) == {
        1: datetime(2024, 11, 5, 5, 0, tzinfo=UTC),
        2: datetime(2024, 11, 5, 5, 0, tzinfo=UTC),
        5: datetime(2024, 11, 5, 5, 0, tzinfo=UTC),
    }


def test_a_handled_slot_is_not_due_again_and_changed_settings_count_at_once() -> None:
    now = datetime(2024, 11, 5, 5, 30, tzinfo=UTC)
    slot = datetime(2024, 11, 5, 5, 0, tzinfo=UTC)
    one = chat(1)
    assert due([one], now, {one.key: slot}) == {}
    # the chat moves its digest to 07:00 Riyadh: that slot is before its last digest
    assert due([replace(one, digest_times=("07:00",))], now, {one.key: slot}) == {}
    # …to 08:15: a new slot after the last digest, due on this very tick
    moved = replace(one, digest_times=("08:15",))
    assert due([moved], now, {one.key: slot}) == {1: datetime(2024, 11, 5, 5, 15, tzinfo=UTC)}


def test_a_new_subscriber_waits_for_the_first_slot_after_subscribing() -> None:
    now = datetime(2024, 11, 5, 5, 30, tzinfo=UTC)
    fresh = chat(1, subscribed_at=datetime(2024, 11, 5, 5, 10, tzinfo=UTC))
    early = chat(2, subscribed_at=datetime(2024, 11, 5, 4, 0, tzinfo=UTC))
    unknown = chat(3, subscribed_at=None)
    assert set(due([fresh, early, unknown], now)) == {2, 3}


def test_a_long_downtime_gives_one_digest_for_the_latest_slot() -> None:
    last = datetime(2024, 11, 1, 5, 0, tzinfo=UTC)
    now = datetime(2024, 11, 5, 12, 0, tzinfo=UTC)  # 15:00 Riyadh, four days later
    one = chat(1)
    assert due([one], now, {one.key: last}) == {1: datetime(2024, 11, 5, 5, 0, tzinfo=UTC)}


async def test_jobs_are_registered_safely() -> None:
    async def job() -> None:
        return None

    scheduler = build_scheduler(poll=job, digest=job, deliver=job, zone=RIYADH)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"poll", "digest", "deliver"}
    for found in jobs.values():
        assert isinstance(found.trigger, IntervalTrigger)
        assert found.max_instances == 1 and found.coalesce
        assert found.misfire_grace_time == found.trigger.interval.total_seconds()
    poll = jobs["poll"].trigger
    assert isinstance(poll, IntervalTrigger)
    assert poll.interval.total_seconds() == 60  # a tick; feeds carry their own times
    assert poll.jitter


async def test_a_poll_that_outlasts_its_interval_is_not_started_on_top_of_itself() -> None:
    release = asyncio.Event()
    running = 0
    most = 0
    started = 0
    skipped: list[JobExecutionEvent] = []
    two_skipped = asyncio.Event()

    async def slow_poll() -> None:
        nonlocal running, most, started
        started += 1
        running += 1
        most = max(most, running)
        try:
            await release.wait()
        finally:
            running -= 1

    async def nothing() -> None:
        return None

    def on_skip(event: JobExecutionEvent) -> None:
        if event.job_id == "poll":
            skipped.append(event)
            if len(skipped) >= 2:
                two_skipped.set()

    scheduler = build_scheduler(
        poll=slow_poll,
        digest=nothing,
        deliver=nothing,
        zone=RIYADH,
        first_run_at=datetime.now(UTC),
        poll_tick_s=0.05,
        poll_jitter_s=None,
    )
    scheduler.add_listener(on_skip, EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    try:
        # Two ticks came while the first poll was still running, and both were skipped.
        await asyncio.wait_for(two_skipped.wait(), timeout=30)
        assert started == 1 and most == 1
        release.set()
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
    assert most == 1
