"""Digest slots and the scheduler's jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduler import build_scheduler, latest_slot

RIYADH = ZoneInfo("Asia/Riyadh")  # UTC+3


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
    assert latest_slot(["08:00", "20:00"], RIYADH, now) == expected


def test_latest_slot_across_daylight_saving() -> None:
    london = ZoneInfo("Europe/London")
    # the night the clocks go back: 08:00 local is 08:00 UTC on 27 Oct 2024 (after the change)
    now = datetime(2024, 10, 27, 9, 0, tzinfo=UTC)
    assert latest_slot(["08:00"], london, now) == datetime(2024, 10, 27, 8, 0, tzinfo=UTC)


async def test_jobs_are_registered_safely() -> None:
    async def job() -> None:
        return None

    scheduler = build_scheduler(
        poll=job,
        digest=job,
        deliver=job,
        digest_times=["08:00", "20:00"],
        zone=RIYADH,
    )
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"poll", "digest-08:00", "digest-20:00", "deliver"}
    poll = jobs["poll"]
    assert isinstance(poll.trigger, IntervalTrigger)
    assert poll.trigger.interval.total_seconds() == 60  # a tick; feeds carry their own times
    assert poll.max_instances == 1 and poll.coalesce
    digest = jobs["digest-20:00"]
    assert isinstance(digest.trigger, CronTrigger)
    assert str(digest.trigger.timezone) == "Asia/Riyadh"
    fire = digest.trigger.get_next_fire_time(None, datetime(2024, 11, 5, 12, 0, tzinfo=UTC))
    assert fire == datetime(2024, 11, 5, 17, 0, tzinfo=UTC)
