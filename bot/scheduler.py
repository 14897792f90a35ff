"""APScheduler jobs: polling the feeds that are due, digests at the configured times, and
outbox retries.

The time of the last digest lives in the archive (the outbox remembers each digest's period), so
a digest missed while the bot was down is sent once at start, and a restart never sends it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[object]]

POLL_TICK_S = 60


def latest_slot(times: Sequence[str], zone: ZoneInfo, now: datetime) -> datetime:
    """The most recent scheduled digest time at or before ``now`` (UTC). Pure."""
    local = now.astimezone(zone)
    best: datetime | None = None
    for day in (local.date(), local.date() - timedelta(days=1)):
        for text in times:
            slot = datetime.combine(day, time.fromisoformat(text), tzinfo=zone)
            if slot <= local and (best is None or slot > best):
                best = slot
    assert best is not None  # a slot yesterday always exists
    return best.astimezone(now.tzinfo)


def build_scheduler(
    *,
    poll: Job,
    digest: Job,
    deliver: Job,
    digest_times: Sequence[str],
    zone: ZoneInfo,
    first_poll_at: datetime | None = None,
) -> AsyncIOScheduler:
    """The scheduler with every job registered (not started)."""
    scheduler = AsyncIOScheduler(timezone=zone)
    # Each feed has its own next poll time (interval, server hints, backoff, jitter); this tick
    # only looks for feeds that are due, so it runs often and costs nothing when none are.
    scheduler.add_job(
        poll,
        IntervalTrigger(seconds=POLL_TICK_S),
        id="poll",
        max_instances=1,  # a slow poll is never started again on top of itself
        coalesce=True,
        misfire_grace_time=POLL_TICK_S,
        next_run_time=first_poll_at,
    )
    for text in digest_times:
        hour, minute = (int(part) for part in text.split(":"))
        scheduler.add_job(
            digest,
            CronTrigger(hour=hour, minute=minute, timezone=zone),
            id=f"digest-{text}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    scheduler.add_job(
        deliver,
        IntervalTrigger(seconds=60),
        id="deliver",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
