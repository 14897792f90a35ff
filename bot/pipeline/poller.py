"""A poll: every feed that is due, fetched and read at once, then archived and grouped into
stories. Summaries (``bot.pipeline.summaries``) and digests (``bot.pipeline.digests``) follow
it as jobs of their own.

::

    poll:       for each feed, at most [ingest] concurrency at once   ── concurrent
                    fetch → parse → classify (bot.pipeline.feed)
                relevant → archive                                   ── event loop (SQLite)
                irrelevant → remembered as seen, never shown
                all new relevant items at once + recent stories
                    → stories (bot.pipeline.grouping)                ── worker thread
                    → archive                                        ── event loop (SQLite)

A feed that fails is logged and recorded in its state; it never stops the others. That holds
for any exception of one feed, a MemoryError or a bug included: the poll archives the other
feeds and saves every state all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.ingest.articles import link_key
from bot.ingest.limits import HostLimits
from bot.ingest.policy import is_due
from bot.models import Article, FeedState
from bot.pipeline.feed import Classified, FeedReader, Outcome, PollSettings
from bot.pipeline.grouping import Pending, StoryGrouper
from bot.store.archive import Archive
from bot.store.state import StateStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (feeds done, feeds to poll) as a poll advances."""


@dataclass
class PollReport:
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    feeds_not_due: int = 0
    new_items: int = 0
    relevant: int = 0
    edited: int = 0
    errors: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    @property
    def polled(self) -> int:
        """Feeds fetched in this poll (the others were not due)."""
        return self.feeds_ok + self.feeds_not_modified + self.feeds_failed


class Poller:
    """Polls the feeds that are due: each read by ``feed``, archived here, and the new
    relevant items grouped into stories by ``grouper``."""

    def __init__(
        self,
        *,
        settings: PollSettings,
        state: StateStore,
        archive: Archive,
        feed: FeedReader,
        grouper: StoryGrouper,
        now: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.state = state
        self.archive = archive
        self.feed = feed
        self.grouper = grouper
        self.now = now

    def feeds(self) -> list[FeedState]:
        """The feeds to poll: the configured ones and those an operator added."""
        return self.state.sync_feeds(self.settings.feeds, now=self.now())

    async def poll(self, *, force: bool = False, progress: Progress | None = None) -> PollReport:
        """Poll the feeds that are due (every enabled feed with ``force``)."""
        now = self.now()
        # the feeds' states are read and written in a worker thread: the event loop answers
        # commands and sends meanwhile
        states = await self.state.sync_feeds_async(self.settings.feeds, now)
        due = [s for s in states if (force and not s.disabled) or is_due(s, now)]
        report = PollReport(feeds_not_due=len(states) - len(due))
        ingest = self.settings.ingest
        limits = HostLimits(overall=ingest.concurrency, per_host=ingest.per_host_concurrency)
        done = 0

        async def one(state: FeedState) -> Outcome:
            nonlocal done
            async with limits.slot(state.fetch_url or state.url):
                try:
                    outcome = await self.feed.read(state, now)
                except Exception as exc:  # one feed's fault (MemoryError too), not the poll's
                    log.exception("polling %s failed unexpectedly", state.name)
                    detail = str(exc)[:200]
                    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
                    outcome = self.feed.failed(state, now, exc, reason)
            done += 1
            if progress is not None:
                progress(done, len(due))
            return outcome

        outcomes = await asyncio.gather(*(one(state) for state in due))
        pending, polled = self._archive_outcomes(outcomes, now, report)
        # Only ``pending`` goes on: the articles read (a cold poll of many feeds holds tens of
        # thousands) are let go before grouping, the poll's peak of memory.
        del outcomes
        if pending or self.archive.has_unclustered():
            try:
                await self.grouper.group(pending, now)
            except Exception:
                # The items stay archived without a story and are clustered by the next poll;
                # the feeds' states are saved all the same, so nothing is fetched twice.
                log.exception("grouping the new items into stories failed; retried next poll")
        # Saved only once the items are archived: a crash before this line means the feeds
        # are fetched again, never that their items are skipped.
        await self.state.save_feeds_async(polled)
        return report

    def _archive_outcomes(
        self, outcomes: list[Outcome], now: datetime, report: PollReport
    ) -> tuple[list[Pending], list[FeedState]]:
        """Archive what each feed read, in the order of the feeds: the items left to group, and
        every polled feed's state to save."""
        archived: set[str] = set()
        pending: list[Pending] = []
        polled: list[FeedState] = []
        for outcome in outcomes:
            state = outcome.state
            if outcome.error is not None:
                report.feeds_failed += 1
                report.errors.append(f"{state.name}: {outcome.error}")
                log.warning(
                    "feed failed (%d in a row): %s: %s", state.failures, state.name, outcome.error
                )
                if state.disabled:
                    report.disabled.append(state.name)
                    log.error("feed disabled after %d failures: %s", state.failures, state.name)
            elif outcome.items is None:
                report.feeds_not_modified += 1
            else:
                try:
                    with self.archive.transaction():
                        self._archive_feed(outcome, pending, archived, now, report)
                except Exception:
                    # Keep the feed's old cache state so its items are fetched again next time.
                    log.exception("archiving %s failed; it will be fetched again", state.name)
                    state = outcome.before
                else:
                    report.feeds_ok += 1
            polled.append(state)
        return pending, polled

    def _archive_feed(
        self,
        outcome: Outcome,
        pending: list[Pending],
        archived: set[str],
        now: datetime,
        report: PollReport,
    ) -> None:
        for article in outcome.edited:
            self.archive.update_text(article)
        report.edited += len(outcome.edited)
        seen: list[tuple[Article, str | None]] = []
        for item in outcome.items or ():
            key = outcome.keys.get(item.article.id)
            if key is None:
                key = link_key(item.article.url, item.article.title)
            if item.article.id in archived or key in archived:
                continue  # the same article in two feeds polled together
            archived.update((item.article.id, key) if key else (item.article.id,))
            report.new_items += 1
            if item.decision.relevant:
                report.relevant += 1
                if item.article.url:
                    pending.append(self._archive_relevant(item, outcome.state, now))
                else:
                    # No link of its own: kept for search, never in a story, a digest or an
                    # alert (a digest names its sources by their links).
                    self.archive.add_article(
                        item.article, item.decision, announce=False, text=item.text, key=key
                    )
            else:
                seen.append((item.article, key))
        if seen:
            self.archive.add_seen_many(seen)

    def _announce(self, article: Article, feed: FeedState, now: datetime) -> bool:
        """Whether a new relevant article may appear in digests. Old items, such as the backlog
        of a feed that was just added or re-enabled, are archived for search but never
        announced."""
        if article.published < now - self.settings.max_age:
            return False
        if feed.added_at is None:
            return True
        return article.published >= feed.added_at - timedelta(
            hours=self.settings.ingest.backlog_hours
        )

    def _archive_relevant(self, item: Classified, feed: FeedState, now: datetime) -> Pending:
        """Archive a relevant item; it joins a story once the whole poll is read."""
        announce = self._announce(item.article, feed, now)
        decision = replace(item.decision, matched=item.entities or item.decision.matched)
        self.archive.add_article(item.article, decision, announce=announce, text=item.text)
        return Pending(item.article.id, announce, tuple(decision.matched))
