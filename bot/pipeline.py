"""The pipeline that does the I/O around the pure deciding stages.

::

    poll:       for each feed, at most [ingest] concurrency at once   ── concurrent
                    fetch (conditional GET)                          ── network
                    parse (feedparser)                               ── worker thread
                    new entries → Article → topic filter             ── worker thread
                relevant → archive                                   ── event loop (SQLite)
                irrelevant → remembered as seen, never shown
                all new relevant items at once + recent stories
                    → cluster (joins, new stories, merges)           ── worker thread
                    → archive                                        ── event loop (SQLite)
    summarize:  each story whose articles changed → LLM or offline   ── network, 4 at once
    digests:    each subscribed chat whose digest is due
                    compose → render → outbox (one transaction)
    deliver:    outbox → channel (see bot.channels.delivery)

A feed that fails is logged and recorded in its state; it never stops the others. That holds
for any exception of one feed, a MemoryError or a bug included: the poll archives the other
feeds and saves every state all the same.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.config import Settings
from bot.digest.compose import compose
from bot.digest.discord_render import DISCORD_PLATFORMS, render_discord
from bot.digest.render import render_plain, render_telegram
from bot.errors import DigestbotError
from bot.i18n import Catalog
from bot.ingest.articles import link_key, to_article
from bot.ingest.guard import redact_url
from bot.ingest.limits import HostLimits
from bot.ingest.parse import parse_feed
from bot.ingest.policy import (
    UNCHANGED_STATUS,
    after_failure,
    after_success,
    body_digest,
    is_due,
    parse_retry_after,
)
from bot.models import (
    Article,
    Chat,
    ChatLang,
    Decision,
    Digest,
    Entry,
    FeedState,
    FetchResult,
    Story,
    Summary,
)
from bot.retention import seen_refresh_before
from bot.store.archive import Archive, fingerprint
from bot.store.fts import IndexedText, index_text
from bot.store.state import StateStore
from bot.stories import Features, Reader, Report, cluster
from bot.summarize import FallbackSummarizer
from bot.topic.matcher import TopicMatcher

if TYPE_CHECKING:  # both load the openai SDK, which a bot without an LLM never needs
    from bot.summarize.llm import LLMUsage
    from bot.topic.second_opinion import SecondOpinion

log = logging.getLogger(__name__)
_R = TypeVar("_R")

SUMMARY_CONCURRENCY = 4
"""Stories summarized at the same time (LLM requests in flight)."""
INLINE_DIGEST_BYTES = 256_000
"""A body up to this size is hashed on the event loop (a fraction of a millisecond)."""


class Fetcher(Protocol):
    """Fetches one feed. Raises ``FetchError`` (``BlockedURLError`` for refused URLs)."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


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


@dataclass(frozen=True, slots=True)
class _Classified:
    article: Article
    decision: Decision
    entities: tuple[str, ...]
    text: IndexedText | None = None


@dataclass(frozen=True, slots=True)
class _Pending:
    """A relevant item archived in this poll, waiting for its story."""

    article_id: str
    announce: bool
    entities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What polling one feed produced. ``items`` is None when the feed did not change or failed."""

    state: FeedState
    before: FeedState
    items: list[_Classified] | None = None
    edited: tuple[Article, ...] = ()
    error: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict)
    """Each item's link key (``bot.ingest.articles.link_key``) by id, computed once."""


class Pipeline:
    """Poll, summarize and queue digests, with every dependency passed in."""

    def __init__(
        self,
        *,
        settings: Settings,
        state: StateStore,
        archive: Archive,
        fetcher: Fetcher,
        matcher: TopicMatcher,
        summarizer: FallbackSummarizer,
        catalog: Catalog,
        now: Callable[[], datetime],
        second_opinion: SecondOpinion | None = None,
        meters: Sequence[tuple[str, LLMUsage]] = (),
    ) -> None:
        self.settings = settings
        self.state = state
        self.archive = archive
        self.fetcher = fetcher
        self.matcher = matcher
        self.summarizer = summarizer
        self.catalog = catalog
        self.now = now
        self.second_opinion = second_opinion
        self._meters = tuple(meters)
        self._metered: dict[str, tuple[int, int, int]] = {}
        self._rejected: dict[tuple[str, str], int] = {}
        topic_file = Path(settings.topic.file) if settings.topic.file else None
        self._stories = Reader(matcher.lexicon, topic_file)
        self._rules = self._stories.rules(
            threshold=settings.stories.threshold, horizon_hours=settings.stories.horizon_hours
        )
        self._rng = random.Random()
        # One worker thread for the CPU-bound stages: under the GIL more threads only take
        # turns (and cost switches), while the event loop keeps the network busy meanwhile.
        self._cpu_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digestbot-cpu")

    def close(self) -> None:
        self._cpu_pool.shutdown(wait=True, cancel_futures=True)

    async def _cpu(self, work: Callable[[], _R]) -> _R:
        return await asyncio.get_running_loop().run_in_executor(self._cpu_pool, work)

    # poll

    def feeds(self) -> list[FeedState]:
        """The feeds to poll: the configured ones and those an operator added."""
        return self.state.sync_feeds(self.settings.feed_sources(), now=self.now())

    async def poll(self, *, force: bool = False, progress: Progress | None = None) -> PollReport:
        """Poll the feeds that are due (every enabled feed with ``force``)."""
        now = self.now()
        # the feeds' states are read and written in a worker thread: the event loop answers
        # commands and sends meanwhile
        states = await self.state.sync_feeds_async(self.settings.feed_sources(), now)
        due = [s for s in states if (force and not s.disabled) or is_due(s, now)]
        report = PollReport(feeds_not_due=len(states) - len(due))
        ingest = self.settings.ingest
        limits = HostLimits(overall=ingest.concurrency, per_host=ingest.per_host_concurrency)
        done = 0

        async def one(state: FeedState) -> _Outcome:
            nonlocal done
            async with limits.slot(state.fetch_url or state.url):
                try:
                    outcome = await self._poll_feed(state, now)
                except Exception as exc:  # one feed's fault (MemoryError too), not the poll's
                    log.exception("polling %s failed unexpectedly", state.name)
                    detail = str(exc)[:200]
                    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
                    outcome = self._failed(state, now, exc, reason)
            done += 1
            if progress is not None:
                progress(done, len(due))
            return outcome

        outcomes = await asyncio.gather(*(one(state) for state in due))
        archived: set[str] = set()
        pending: list[_Pending] = []
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
        if pending or self.archive.has_unclustered():
            try:
                await self._cluster(pending, now)
            except Exception:
                # The items stay archived without a story and are clustered by the next poll;
                # the feeds' states are saved all the same, so nothing is fetched twice.
                log.exception("grouping the new items into stories failed; retried next poll")
        # Saved only once the items are archived: a crash before this line means the feeds
        # are fetched again, never that their items are skipped.
        await self.state.save_feeds_async(polled)
        return report

    def _archive_feed(
        self,
        outcome: _Outcome,
        pending: list[_Pending],
        archived: set[str],
        now: datetime,
        report: PollReport,
    ) -> None:
        for article in outcome.edited:
            self.archive.update_text(article)
        report.edited += len(outcome.edited)
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
                self.archive.add_seen(item.article, key=key)

    def _failed(
        self, state: FeedState, now: datetime, exc: Exception, message: str | None = None
    ) -> _Outcome:
        """The outcome of a feed that failed with ``exc``: backed off, counted, recorded."""
        ingest = self.settings.ingest
        error = message or str(exc)
        failed = after_failure(
            state,
            error,
            now=now,
            interval=timedelta(minutes=self.settings.schedule.poll_minutes),
            max_interval=timedelta(minutes=ingest.max_poll_minutes),
            rng=self._rng,
            retry_after=parse_retry_after(getattr(exc, "retry_after", None), now),
            status=getattr(exc, "status", None),
            max_failures=ingest.max_failures,
            max_failing=timedelta(days=ingest.max_failing_days),
        )
        return _Outcome(failed, state, error=error)

    async def _poll_feed(self, state: FeedState, now: datetime) -> _Outcome:
        """Fetch, parse and classify one feed; every expected failure ends in the returned
        state (``poll`` turns an unexpected exception into a failure too)."""
        ingest = self.settings.ingest
        interval = timedelta(minutes=self.settings.schedule.poll_minutes)
        max_interval = timedelta(minutes=ingest.max_poll_minutes)

        def failure(exc: DigestbotError) -> _Outcome:
            return self._failed(state, now, exc)

        try:
            result = await self.fetcher.fetch(
                state.fetch_url or state.url, etag=state.etag, last_modified=state.last_modified
            )
        except DigestbotError as exc:
            return failure(exc)
        fetched = after_success(
            state, result, now=now, interval=interval, max_interval=max_interval, rng=self._rng
        )
        if result.permanent_url and result.permanent_url != (state.fetch_url or state.url):
            log.info(
                "feed moved permanently: %s → %s", state.name, redact_url(result.permanent_url)
            )
            fetched = replace(fetched, fetch_url=result.permanent_url)
        if result.not_modified:
            return _Outcome(fetched, state)
        hashing = functools.partial(body_digest, result, max_items=ingest.max_items)
        # a typical body hashes in well under a millisecond: cheaper here than a thread's hop
        small = len(result.body) <= INLINE_DIGEST_BYTES
        digest = hashing() if small else await self._cpu(hashing)
        if digest == state.body_hash:
            # the body of the last full read again (no validators, or a fresh ETag each time)
            return _Outcome(replace(fetched, last_status=UNCHANGED_STATUS), state)
        parse = functools.partial(
            parse_feed,
            result.body,
            headers=result.headers,
            base_url=result.final_url,
            max_items=ingest.max_items,
        )
        try:
            entries = await self._cpu(parse)
        except DigestbotError as exc:
            return failure(exc)
        articles = await self._cpu(
            functools.partial(_articles, entries, state, now, result.final_url)
        )
        ids = [a.id for a in articles]
        known = self.archive.known(ids)
        # An item under a new id but with a link and title seen before (a guid that changes on
        # every poll, or an article another feed gave first) is the same article.
        keys = {a.id: link_key(a.url, a.title) for a in articles}
        linked = self.archive.known_links([keys[i] for i in ids if i not in known])
        # ids still listed in the feed stay known: pruning forgets only those gone for a while
        self.archive.refresh_seen(
            [i for i in ids if i in known],
            links=[keys[i] for i in ids if i not in known and keys[i] in linked],
            now=now,
            older_than=seen_refresh_before(now, self.settings.archive.seen_days),
        )
        stored = self.archive.fingerprints(ids)
        edited = tuple(a for a in articles if a.id in stored and stored[a.id] != fingerprint(a))
        fresh = [a for a in articles if a.id not in known and keys[a.id] not in linked]
        classified = await self._cpu(functools.partial(self._classify_all, fresh))
        if self.second_opinion is not None:
            classified = [await self._reconsider(item) for item in classified]
        done = replace(fetched, items=len(entries), body_hash=digest)
        return _Outcome(done, state, classified, edited, keys=keys)

    async def _reconsider(self, item: _Classified) -> _Classified:
        """Ask the LLM about a borderline decision; a flip to relevant gets its entities."""
        reviewer = self.second_opinion
        if reviewer is None or not reviewer.in_band(item.decision):
            return item
        if not self.within_llm_budget():
            return item
        article = item.article
        decision = await reviewer.review(article.title, article.summary, item.decision)
        self.record_llm_use()
        if decision.relevant == item.decision.relevant:
            return replace(item, decision=decision)
        if not decision.relevant:
            return _Classified(article, decision, ())
        entities = self.matcher.entities(f"{article.title}\n{article.summary}")
        return _Classified(article, decision, entities, index_text(article.title, article.summary))

    def _classify_all(self, articles: Sequence[Article]) -> list[_Classified]:
        """CPU-bound; runs in a worker thread."""
        result = []
        for article in articles:
            decision = self.matcher.classify(article.title, article.summary)
            if not decision.relevant:
                result.append(_Classified(article, decision, ()))
                continue
            entities = self.matcher.entities(f"{article.title}\n{article.summary}")
            text = index_text(article.title, article.summary)
            result.append(_Classified(article, decision, entities, text))
        return result

    # stories

    async def _cluster(self, pending: Sequence[_Pending], now: datetime) -> None:
        """Put the relevant items of this poll into stories, all at once: the decision depends
        on the set of new items, never on the order in which their feeds were read. Items left
        unclustered by an interrupted poll are taken up here too."""
        horizon = self._rules.horizon
        recent = self.archive.recent_articles(now - 2 * horizon)
        waiting = {p.article_id: p for p in pending}
        for row in self.archive.unclustered():
            if row.article.id not in waiting:
                waiting[row.article.id] = _Pending(row.article.id, row.announce, row.matched)
        articles = {
            row.article.id: row
            for row in self.archive.articles(list(waiting))
            if row.story_id is None  # never move an article a story already holds
        }
        summaries = {
            story_id: self.archive.summary(story_id)
            for story_id in sorted({r.story_id for r in recent if r.story_id is not None})
        }

        def decide() -> tuple[list[Report], list[Report]]:
            old = [
                Report(row.article.id, self._features(row.article, row.matched), row.story_id)
                for row in recent
            ]
            first: dict[int, datetime] = {}
            speaks: dict[int, set[str]] = {}
            for report in old:
                story = report.story_id
                assert story is not None
                published = report.features.published
                first[story] = min(first.get(story, published), published)
                speaks.setdefault(story, set()).add(report.features.lang)
            for story_id, summary in summaries.items():
                if summary is None or summary.method != "llm":
                    continue
                for lang in ("ar", "en"):
                    # The story's summary in a language it has no report in stands in for one,
                    # so a report in that language is compared in words; where the story has
                    # reports in that language, they say more than a summary of them.
                    headline = summary.headline(lang)
                    if not headline or lang in speaks[story_id]:
                        continue
                    text = summary.text(lang) or ""
                    read = self._stories.read(
                        lang=lang,
                        title=headline,
                        summary=text,
                        entities=self.matcher.entities(f"{headline}\n{text}"),
                        published=first[story_id],
                    )
                    if read.marks:  # one that names nothing has nothing to compare
                        old.append(Report(f"~summary:{story_id}:{lang}", read, story_id, True))
            new = [
                Report(key, self._features(row.article, row.matched))
                for key, row in articles.items()
            ]
            return old, new

        decided = await self._cpu(lambda: cluster(*decide(), self._rules))
        with self.archive.transaction():
            for survivor, absorbed in decided.merges:
                log.info("stories %d and %d report one event: merged", survivor, absorbed)
                self.archive.merge_stories(survivor, absorbed, now=now)
            for key, story_id in sorted(decided.joins.items()):
                self._attach(waiting[key], story_id, now)
            for group in decided.new_stories:
                story: int | None = None
                for key in group:
                    story = self._attach(waiting[key], story, now)

    def _attach(self, item: _Pending, story_id: int | None, now: datetime) -> int:
        return self.archive.attach(
            item.article_id, story_id, entities=item.entities, announce=item.announce, now=now
        )

    def _features(self, article: Article, entities: Sequence[str]) -> Features:
        return self._stories.read(
            lang=article.lang,
            title=article.title,
            summary=article.summary,
            entities=entities,
            published=article.published,
        )

    def _announce(self, article: Article, feed: FeedState, now: datetime) -> bool:
        """Whether a new relevant article may appear in digests. Old items, such as the backlog
        of a feed that was just added or re-enabled, are archived for search but never
        announced."""
        max_age = timedelta(hours=self.settings.digest.max_age_hours)
        if article.published < now - max_age:
            return False
        if feed.added_at is None:
            return True
        return article.published >= feed.added_at - timedelta(
            hours=self.settings.ingest.backlog_hours
        )

    def _archive_relevant(self, item: _Classified, feed: FeedState, now: datetime) -> _Pending:
        """Archive a relevant item; it joins a story once the whole poll is read."""
        announce = self._announce(item.article, feed, now)
        decision = replace(item.decision, matched=item.entities or item.decision.matched)
        self.archive.add_article(item.article, decision, announce=announce, text=item.text)
        return _Pending(item.article.id, announce, tuple(decision.matched))

    # summarize

    async def summarize(self) -> int:
        """Summarize every story whose articles changed; returns how many were summarized."""
        now = self.now()
        stories = self.archive.stories_without_current_summary(
            min_new_articles=self.settings.llm.resummarize_new_articles,
            since=now - 2 * self._rules.horizon,
        )
        limit = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def one(story: Story) -> Summary:
            async with limit:
                if not self.within_llm_budget():
                    return self.summarizer.offline(story)
                summary = await self.summarizer.summarize(story)
                self.record_llm_use()
                return summary

        summaries = await asyncio.gather(*(one(story) for story in stories))
        for story, summary in zip(stories, summaries, strict=True):
            self.archive.save_summary(story, summary, self.now())
        return len(stories)

    def within_llm_budget(self) -> bool:
        budget = self.settings.llm.daily_token_budget
        return budget == 0 or self.archive.llm_tokens(f"{self.now():%Y-%m-%d}") < budget

    def record_llm_use(self) -> None:
        """Add what each LLM client spent since the last call to today's counters, and the
        answers it rejected, by reason."""
        day = f"{self.now():%Y-%m-%d}"
        for kind, usage in self._meters:
            last = self._metered.get(kind, (0, 0, 0))
            current = (usage.calls, usage.prompt_tokens, usage.completion_tokens)
            if current != last:
                self.archive.record_llm_use(
                    day,
                    kind,
                    calls=current[0] - last[0],
                    prompt_tokens=current[1] - last[1],
                    completion_tokens=current[2] - last[2],
                )
                self._metered[kind] = current
            for reason, count in usage.rejections.items():
                done = self._rejected.get((kind, reason), 0)
                if count != done:
                    self.archive.record_llm_rejections(day, kind, reason, count - done)
                    self._rejected[kind, reason] = count

    # digests

    def digest(self, *, lang: ChatLang, since: datetime | None, until: datetime) -> Digest:
        pairs: list[tuple[Story, Summary]] = []
        for story in self.archive.stories_with_news(since, until):
            summary = self.archive.summary(story.id)
            if summary is not None:
                pairs.append((story, summary))
        return compose(
            pairs,
            lang=lang,
            since=since,
            until=until,
            max_stories=self.settings.digest.max_stories,
            entity_names=self.matcher.entity_names,
        )

    def since_for(self, chat: Chat, now: datetime) -> datetime:
        """Where a chat's next digest starts: after its last one, or N hours back for a new chat."""
        last = self.archive.last_digest_end(chat.platform, chat.chat_id)
        candidates = [t for t in (last, chat.last_digest_at) if t is not None]
        if candidates:
            return max(candidates)
        return now - timedelta(hours=self.settings.digest.initial_hours)

    def queue_digest(self, chat: Chat, *, until: datetime) -> int:
        """Compose and render ``chat``'s digest up to ``until`` and write it to the outbox.

        Returns the number of message parts queued (0 when there was nothing new). Idempotent:
        the digest key is the chat and the period's end, so queueing twice sends once.
        """
        queued, done = self._queue_digest(chat, until)
        if done is not None:
            self.state.save_chat(done)
        return queued

    def queue_due(self, due: Sequence[tuple[Chat, datetime]]) -> int:
        """``queue_digest`` for each (chat, end of its period); returns the parts queued.

        The chats' ``last_digest_at`` are saved together at the end: each save rewrites the
        whole state file, and one per chat held the event loop for minutes when thousands of
        chats were due at the same time. Each digest's outbox rows are committed as it is
        queued, and the outbox is what the next period starts from, so a crash before that
        one write sends nothing twice.
        """
        total = 0
        done: list[Chat] = []
        for chat, until in due:
            queued, saved = self._queue_digest(chat, until)
            total += queued
            if saved is not None:
                done.append(saved)
        self.state.save_chats(done)
        return total

    def _queue_digest(self, chat: Chat, until: datetime) -> tuple[int, Chat | None]:
        """The parts queued for ``chat`` and the chat to save (None when nothing was new)."""
        since = self.since_for(chat, until)
        if since >= until:
            return 0, None
        digest = self.digest(lang=chat.lang, since=since, until=until)
        if not digest.items:
            return 0, None
        parts = (
            render_telegram(digest, self.catalog)
            if chat.platform == "telegram"
            else render_discord(digest, self.catalog)
            if chat.platform in DISCORD_PLATFORMS
            else [render_plain(digest, self.catalog)]
        )
        queued = self.archive.queue_digest(
            platform=chat.platform,
            chat_id=chat.chat_id,
            thread_id=chat.thread_id,
            digest_key=f"{chat.key}:{until.isoformat()}",
            period_end=until,
            parts=parts,
            now=self.now(),
        )
        return queued, replace(chat, last_digest_at=until)

    def queue_digests(self, *, until: datetime, platform: str | None = None) -> int:
        chats = self.state.chats(platform=platform, subscribed_only=True)
        return self.queue_due([(chat, until) for chat in chats])


def _articles(
    entries: Sequence[Entry], feed: FeedState, now: datetime, final_url: str
) -> list[Article]:
    """Clean every entry into an article (CPU-bound: runs in a worker thread). The URLs the
    feed was fetched from are never taken for an item's link."""
    fetched_from = tuple(u for u in (feed.fetch_url, final_url) if u)
    return _unique(
        [
            article
            for entry in entries
            if (
                article := to_article(
                    entry, feed_url=feed.url, source=feed.name, now=now, fetched_from=fetched_from
                )
            )
        ]
    )


def _unique(articles: Sequence[Article]) -> list[Article]:
    """Drop repeats inside one fetch (some feeds list an item twice): the same id, or the same
    link and title under another guid."""
    seen: set[str] = set()
    result = []
    for article in articles:
        key = link_key(article.url, article.title)
        if article.id not in seen and key not in seen:
            seen.update((article.id, key) if key else (article.id,))
            result.append(article)
    return result
