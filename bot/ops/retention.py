"""What the archive's housekeeping does on a given run. Pure: the clock and the settings come in.

::

    seen ids      forgotten once absent from their feed for seen_days: each full read of a
                  feed marks the ids it lists again once they are half that age, so an id
                  older than that at the feed's last full read was not listed then. A feed
                  whose last answer was not a full read (304, an error) keeps all its ids.
    articles      kept forever (article_days = 0), or their stories removed once they have
                  not grown for article_days; their ids stay known (see bot.store.upkeep)
    outbox        messages sent, failed or dropped more than outbox_days ago are deleted,
                  except each chat's latest digest (it tells a restart what was sent)
    optimize      PRAGMA optimize and a WAL checkpoint on every run
    FTS index     merged every fts_optimize_days (0: never)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import ArchiveSettings
from bot.models import FeedState


@dataclass(frozen=True, slots=True)
class HousekeepingPlan:
    seen_before: datetime
    articles_before: datetime | None
    """None: relevant articles are kept forever."""
    optimize_fts: bool
    outbox_before: datetime
    """Messages delivered (or given up) before this leave the outbox."""


def seen_cutoff(now: datetime, seen_days: int) -> datetime:
    """Seen ids last listed in a feed before this are forgotten."""
    return now - timedelta(days=seen_days)


def seen_refresh_before(now: datetime, seen_days: int) -> datetime:
    """A seen id still listed in a feed is marked again when it was last marked before this:
    half the retention period keeps the writes rare and the id far from its expiry."""
    return now - timedelta(days=seen_days) / 2


def article_cutoff(now: datetime, article_days: int) -> datetime | None:
    return now - timedelta(days=article_days) if article_days else None


def fts_optimize_due(now: datetime, last: datetime | None, every_days: int) -> bool:
    """Merging the index rewrites it whole, so it is done seldom (and on the first run ever,
    when ``last`` is None)."""
    if not every_days:
        return False
    # An hour's slack: the job that checks runs on a fixed interval while ``last`` records when
    # a run actually happened (a little late), so a strict comparison would skip every other
    # day.
    return last is None or now - last >= timedelta(days=every_days) - timedelta(hours=1)


def plan(
    now: datetime, settings: ArchiveSettings, fts_optimized_at: datetime | None
) -> HousekeepingPlan:
    return HousekeepingPlan(
        seen_before=seen_cutoff(now, settings.seen_days),
        articles_before=article_cutoff(now, settings.article_days),
        optimize_fts=fts_optimize_due(now, fts_optimized_at, settings.fts_optimize_days),
        outbox_before=now - timedelta(days=settings.outbox_days),
    )


def seen_prune_limits(
    now: datetime, seen_days: int, feeds: Sequence[FeedState]
) -> dict[str, datetime | None]:
    """For each known feed, the time before which its seen ids may be forgotten (None: keep
    them all). Ids of feeds no longer known are forgotten after ``seen_days``.

    A feed last read in full (HTTP 200) at T marked every id it listed as seen after
    T - seen_days / 2 (see ``seen_refresh_before``); an id marked before that was not listed.
    When its last answer was a 304 or an error, what it lists now is unknown: nothing goes.
    """
    cutoff = seen_cutoff(now, seen_days)
    limits: dict[str, datetime | None] = {}
    for feed in feeds:
        if feed.last_status == 200 and feed.last_fetch_at is not None:
            limits[feed.url] = min(cutoff, seen_refresh_before(feed.last_fetch_at, seen_days))
        else:
            limits[feed.url] = None
    return limits
