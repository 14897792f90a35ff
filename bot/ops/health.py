"""Is the running bot healthy, and its metrics in the Prometheus text format. Pure.

Unhealthy means one of:

- polling has stalled: no poll tick completed for ``stall_factor`` × ``poll_minutes`` (counted
  from the start while no tick has completed yet);
- the outbox is stuck: its oldest pending message was queued more than ``outbox_stuck_minutes``
  ago;
- every enabled feed is failing (the bot reads nothing);
- the last delivery failed for good (the newest message no longer pending was given up on
  after its retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import FeedState
from bot.ops.status import Status


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...]


def verdict(
    status: Status,
    *,
    started_at: datetime,
    last_tick_at: datetime | None,
    poll_interval: timedelta,
    stall_factor: float,
    outbox_stuck: timedelta,
) -> Verdict:
    reasons = []
    since = last_tick_at or started_at
    allowed = poll_interval * stall_factor
    if status.now - since > allowed:
        minutes = int((status.now - since).total_seconds() // 60)
        what = "no poll tick has completed" if last_tick_at is None else "the last poll tick"
        reasons.append(
            f"polling stalled: {what} {minutes} min ago"
            if last_tick_at is not None
            else f"polling stalled: {what} in the {minutes} min since start"
        )
    oldest = status.oldest_pending_at
    if oldest is not None and status.now - oldest > outbox_stuck:
        minutes = int((status.now - oldest).total_seconds() // 60)
        pending = status.outbox.get("pending", 0)
        reasons.append(f"outbox stuck: {pending} pending, the oldest queued {minutes} min ago")
    failing = status.feed_count("failing")
    if failing and not status.feed_count("ok"):
        reasons.append(f"feeds failing: all {failing} enabled feeds are failing")
    if status.last_delivery == "failed":
        error = status.last_delivery_error or "no error recorded"
        reasons.append(f"delivery failed: the last message was given up on ({error})")
    return Verdict(ok=not reasons, reasons=tuple(reasons))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def metrics(status: Status, *, healthy: Verdict, last_tick_at: datetime | None) -> str:
    """The Prometheus text exposition format (version 0.0.4)."""
    out: list[str] = []

    def family(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            out.append(f"{name}{labels} {_number(value)}")

    def label(key: str, value: str) -> str:
        return f'{{{key}="{_escape(value)}"}}'

    family("digestbot_up", "gauge", "1 when healthy, 0 when not.", [("", int(healthy.ok))])
    family(
        "digestbot_feeds",
        "gauge",
        "Feeds by state.",
        [(label("state", s), status.feed_count(s)) for s in ("ok", "failing", "disabled")],
    )
    family("digestbot_articles", "gauge", "Relevant articles archived.", [("", status.articles)])
    family("digestbot_stories", "gauge", "Stories archived.", [("", status.stories)])
    outbox = {"pending": 0, "sent": 0, "failed": 0, "dropped": 0, **status.outbox}
    family(
        "digestbot_outbox_messages",
        "gauge",
        "Outbox messages by status.",
        [(label("status", key), value) for key, value in sorted(outbox.items())],
    )
    family(
        "digestbot_llm_calls_today",
        "gauge",
        "LLM calls made today (UTC).",
        [("", status.llm_calls_today)],
    )
    family(
        "digestbot_llm_tokens_today",
        "gauge",
        "LLM tokens (prompt and completion) spent today (UTC).",
        [("", status.llm_tokens_today)],
    )
    tick = last_tick_at.timestamp() if last_tick_at is not None else 0
    family(
        "digestbot_last_poll_timestamp_seconds",
        "gauge",
        "Unix time of the last completed poll tick (0: none yet).",
        [("", tick)],
    )
    fetched = status.last_poll_at.timestamp() if status.last_poll_at is not None else 0
    family(
        "digestbot_last_fetch_timestamp_seconds",
        "gauge",
        "Unix time of the last feed fetch (0: none yet).",
        [("", fetched)],
    )
    return "\n".join(out) + "\n"


def poll_overdue_since(feeds: Sequence[FeedState]) -> datetime | None:
    """The earliest time an enabled feed was due to be polled (a feed never polled is due from
    when it was added). A running bot polls a feed within a tick of its due time, so a due
    time far in the past means polling has stalled, or the bot is not running."""
    due = [
        feed.next_poll_at or feed.added_at
        for feed in feeds
        if not feed.disabled and (feed.next_poll_at or feed.added_at) is not None
    ]
    return min((d for d in due if d is not None), default=None)


def stored_verdict(
    status: Status,
    feeds: Sequence[FeedState],
    *,
    poll_interval: timedelta,
    stall_factor: float,
    outbox_stuck: timedelta,
) -> Verdict:
    """The verdict from the stores alone, for ``digestbot status`` (a process of its own that
    cannot see the running bot's ticks): polling has stalled when a feed's poll has been due
    for more than ``stall_factor`` × ``poll_interval``; the outbox, feed and delivery rules are
    ``verdict``'s."""
    outbox_only = verdict(
        status,
        started_at=status.now,
        last_tick_at=status.now,
        poll_interval=poll_interval,
        stall_factor=stall_factor,
        outbox_stuck=outbox_stuck,
    )
    reasons = list(outbox_only.reasons)
    due = poll_overdue_since(feeds)
    if due is not None and status.now - due > poll_interval * stall_factor:
        minutes = int((status.now - due).total_seconds() // 60)
        reasons.insert(0, f"polling stalled: a feed's poll has been due for {minutes} min")
    return Verdict(ok=not reasons, reasons=tuple(reasons))
