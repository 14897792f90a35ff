"""When things run: the pure rules for digest slots, and the APScheduler jobs.

::

    poll tick     every POLL_TICK_S (+ jitter)  polls the feeds that are due (each feed carries
                                                 its own next poll time), summarizes, alerts
    digest tick   every DIGEST_TICK_S           due_digests(chats, handled, now) → queue → deliver
    deliver       every DELIVER_TICK_S          retries what is left in the outbox

Every job runs with ``max_instances=1`` (a tick that outlasts its interval is skipped, never
started on top of itself) and ``coalesce=True`` (runs missed while the loop was busy collapse
into one). A chat's digest is due when its latest slot (its own ``digest_times`` in its own
timezone, else the configured ones) is after the last digest it was sent; the time of that last
digest lives in the stores, so a digest missed while the bot was down is sent once at start,
and a restart never sends it twice. Settings a chat changes are read on the next tick.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.models import Chat

Job = Callable[[], Awaitable[object]]

POLL_TICK_S = 60.0
POLL_JITTER_S = 5.0
"""The tick's own jitter; each feed's next poll time already carries a random part."""
DIGEST_TICK_S = 60.0
DELIVER_TICK_S = 60.0


def latest_slot(times: Sequence[str], zone: ZoneInfo, now: datetime) -> datetime:
    """The most recent scheduled time (``HH:MM`` in ``zone``) at or before ``now``, in UTC.

    Slots are compared as instants, so daylight-saving changes move them correctly. Pure.
    Raises ``ValueError`` when ``times`` is empty or holds something that is not a time.
    """
    local_day = now.astimezone(zone).date()
    best: datetime | None = None
    for day in (local_day, local_day - timedelta(days=1), local_day - timedelta(days=2)):
        for text in times:
            slot = datetime.combine(day, time.fromisoformat(text), tzinfo=zone).astimezone(UTC)
            if slot <= now and (best is None or slot > best):
                best = slot
    if best is None:
        raise ValueError("no digest times given")
    return best


def chat_schedule(
    chat: Chat, default_times: Sequence[str], default_zone: ZoneInfo
) -> tuple[Sequence[str], ZoneInfo]:
    """A chat's digest times and timezone: its own, else the configured ones. A timezone this
    system does not know falls back to the configured one rather than stopping the digests."""
    zone = default_zone
    if chat.timezone:
        try:
            zone = ZoneInfo(chat.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = default_zone
    return (chat.digest_times or default_times), zone


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A chat whose digest for the period ending at ``slot`` is due."""

    chat: Chat
    slot: datetime


def due_digests(
    chats: Iterable[Chat],
    *,
    handled: Mapping[str, datetime],
    default_times: Sequence[str],
    default_zone: ZoneInfo,
    now: datetime,
) -> list[DueDigest]:
    """The subscribed chats whose latest slot is after the last one handled for them. Pure.

    ``handled`` maps a chat's key to the end of its last digest (or the last slot found empty);
    a chat with none is due from the first slot after it subscribed.
    """
    due = []
    for chat in chats:
        if not chat.subscribed:
            continue
        times, zone = chat_schedule(chat, default_times, default_zone)
        try:
            slot = latest_slot(times, zone, now)
        except ValueError:  # a malformed time stored for a chat; the defaults still apply
            slot = latest_slot(default_times, zone, now)
        since = handled.get(chat.key) or chat.subscribed_at
        if since is None or slot > since:
            due.append(DueDigest(chat, slot))
    return due


def periodic(
    scheduler: AsyncIOScheduler,
    job: Job,
    *,
    job_id: str,
    seconds: float,
    first_run_at: datetime | None = None,
    jitter: float | None = None,
) -> None:
    """Register ``job`` every ``seconds`` with the safe defaults: never two at once, missed runs
    collapsed into one, and a run up to one interval late still made."""
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=seconds, jitter=jitter),
        id=job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(seconds)),
        next_run_time=first_run_at,
    )


def build_scheduler(
    *,
    poll: Job,
    digest: Job,
    deliver: Job,
    zone: ZoneInfo,
    first_run_at: datetime | None = None,
    poll_tick_s: float = POLL_TICK_S,
    poll_jitter_s: float | None = POLL_JITTER_S,
) -> AsyncIOScheduler:
    """The scheduler with the poll, digest and deliver ticks registered (not started). More
    periodic jobs (housekeeping …) are added with ``periodic``. All three ticks first run at
    ``first_run_at`` (typically now: a missed digest goes out at start)."""
    scheduler = AsyncIOScheduler(timezone=zone)
    periodic(
        scheduler,
        poll,
        job_id="poll",
        seconds=poll_tick_s,
        first_run_at=first_run_at,
        jitter=poll_jitter_s,
    )
    periodic(scheduler, digest, job_id="digest", seconds=DIGEST_TICK_S, first_run_at=first_run_at)
    # The outbox left over from before a restart is resumed at start, not a tick later.
    periodic(
        scheduler, deliver, job_id="deliver", seconds=DELIVER_TICK_S, first_run_at=first_run_at
    )
    return scheduler
