"""The housekeeping job of ``digestbot run``: retention, then SQLite upkeep. What it does on a
run is decided by ``bot.ops.retention.plan``; this module does it and logs what it did.

::

    plan(now, [archive] settings, when the FTS index was last merged)
    → prune seen ids → prune old stories (when article_days is set) → prune the outbox
    → PRAGMA optimize → FTS merge (when due) → WAL checkpoint
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.app.container import Services
from bot.app.scheduler import Job
from bot.ops.retention import plan, seen_prune_limits
from bot.store.upkeep import Pruned

log = logging.getLogger(__name__)

FTS_MARKER = "fts_optimized_at"


@dataclass(frozen=True, slots=True)
class HousekeepingReport:
    pruned: Pruned
    fts_optimized: bool
    checkpointed: bool


def housekeep(svc: Services) -> HousekeepingReport:
    """One housekeeping run over the services' stores. Raises ``StoreError``."""
    now = svc.now()
    archive = svc.archive
    todo = plan(now, svc.settings.archive, svc.state.marker(FTS_MARKER))
    limits = seen_prune_limits(now, svc.settings.archive.seen_days, svc.state.feeds())
    seen = archive.prune_seen(todo.seen_before, limits)
    stories = Pruned()
    if todo.articles_before is not None:
        stories = archive.prune_articles(todo.articles_before, now=now)
    outbox = archive.prune_outbox(todo.outbox_before)
    archive.prune_pages(todo.outbox_before)  # a digest's "more" button expires with it
    pruned = Pruned(seen=seen, articles=stories.articles, stories=stories.stories, outbox=outbox)
    archive.optimize()
    if todo.optimize_fts:
        archive.optimize_fts()
        svc.state.set_marker(FTS_MARKER, now)
    checkpointed = archive.journal_mode == "wal" and archive.checkpoint()
    log.info(
        "housekeeping: forgot %d seen ids; removed %d articles in %d stories%s"
        " and %d delivered outbox messages; optimized%s",
        pruned.seen,
        pruned.articles,
        pruned.stories,
        "" if todo.articles_before is not None else " (articles are kept)",
        pruned.outbox,
        ", search index merged" if todo.optimize_fts else "",
    )
    return HousekeepingReport(pruned, todo.optimize_fts, checkpointed)


def housekeeping_job(svc: Services) -> Job:
    """``housekeep`` as a scheduler job. It runs on the loop's thread, which owns the stores:
    a few quick SQLite statements, nothing awaited in between."""

    async def housekeeping() -> None:
        housekeep(svc)

    return housekeeping
