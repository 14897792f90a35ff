"""One feed's turn in a poll: fetch → parse → clean → classify, ending in an ``Outcome``.

::

    fetch (conditional GET)                              ── network
    parse (feedparser)                                   ── worker thread
    entries → Article; drop the known ones               ── worker thread / SQLite
    topic filter (and, in its band, the second opinion)  ── worker thread / network

Every expected failure (``DigestbotError``) ends in the outcome's state, backed off; archiving
what was read is the poller's (``bot.pipeline.poller``), so that a feed's items and its state
are saved in the right order.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.config import IngestSettings
from bot.errors import DigestbotError
from bot.ingest.articles import link_key, to_article
from bot.ingest.guard import redact_url
from bot.ingest.parse import parse_feed
from bot.ingest.policy import (
    UNCHANGED_STATUS,
    after_failure,
    after_success,
    body_digest,
    parse_retry_after,
)
from bot.llm.usage import LLMBudget
from bot.models import Article, Decision, Entry, FeedSource, FeedState, FetchResult
from bot.ops.retention import seen_refresh_before
from bot.pipeline.worker import CpuWorker
from bot.search.query import IndexedText, index_text
from bot.store.archive import Archive, fingerprint
from bot.topic.matcher import TopicMatcher

if TYPE_CHECKING:  # loads the openai SDK, which a bot without an LLM never needs
    from bot.topic.second_opinion import SecondOpinion

log = logging.getLogger(__name__)
INLINE_DIGEST_BYTES = 256_000
"""A body up to this size is hashed on the event loop (a fraction of a millisecond)."""


class Fetcher(Protocol):
    """Fetches one feed. Raises ``FetchError`` (``BlockedURLError`` for refused URLs)."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


@dataclass(frozen=True, slots=True)
class PollSettings:
    """The settings a poll reads: ``[ingest]``, the feeds, and one key each of ``[schedule]``,
    ``[archive]`` and ``[digest]``."""

    ingest: IngestSettings
    feeds: tuple[FeedSource, ...] = ()
    poll_interval: timedelta = timedelta(minutes=30)
    """How often a healthy feed is fetched (``[schedule] poll_minutes``)."""
    seen_days: int = 30
    """How long an item gone from its feed stays known (``[archive] seen_days``)."""
    max_age: timedelta = timedelta(hours=72)
    """An item older than this is archived for search, never announced
    (``[digest] max_age_hours``)."""


@dataclass(frozen=True, slots=True)
class Classified:
    article: Article
    decision: Decision
    entities: tuple[str, ...]
    text: IndexedText | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What polling one feed produced. ``items`` is None when the feed did not change or failed."""

    state: FeedState
    before: FeedState
    items: list[Classified] | None = None
    edited: tuple[Article, ...] = ()
    error: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict)
    """Each item's link key (``bot.ingest.articles.link_key``) by id, computed once."""


class FeedReader:
    """Reads one feed at a time into an ``Outcome``; holds no state between feeds."""

    def __init__(
        self,
        *,
        settings: PollSettings,
        archive: Archive,
        fetcher: Fetcher,
        matcher: TopicMatcher,
        cpu: CpuWorker,
        second_opinion: SecondOpinion | None = None,
        budget: LLMBudget | None = None,
    ) -> None:
        """``budget`` is asked before each second opinion and told after it."""
        self.settings = settings
        self.archive = archive
        self.fetcher = fetcher
        self.matcher = matcher
        self.second_opinion = second_opinion
        self._budget = budget
        self._cpu = cpu
        self._rng = random.Random()

    def failed(
        self, state: FeedState, now: datetime, exc: Exception, message: str | None = None
    ) -> Outcome:
        """The outcome of a feed that failed with ``exc``: backed off, counted, recorded."""
        ingest = self.settings.ingest
        error = message or str(exc)
        failed = after_failure(
            state,
            error,
            now=now,
            interval=self.settings.poll_interval,
            max_interval=timedelta(minutes=ingest.max_poll_minutes),
            rng=self._rng,
            retry_after=parse_retry_after(getattr(exc, "retry_after", None), now),
            status=getattr(exc, "status", None),
            max_failures=ingest.max_failures,
            max_failing=timedelta(days=ingest.max_failing_days),
        )
        return Outcome(failed, state, error=error)

    async def read(self, state: FeedState, now: datetime) -> Outcome:
        """Fetch, parse and classify one feed; every expected failure ends in the returned
        state (the poller turns an unexpected exception into a failure too)."""
        ingest = self.settings.ingest
        interval = self.settings.poll_interval
        max_interval = timedelta(minutes=ingest.max_poll_minutes)

        def failure(exc: DigestbotError) -> Outcome:
            return self.failed(state, now, exc)

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
            return Outcome(fetched, state)
        hashing = functools.partial(body_digest, result, max_items=ingest.max_items)
        # a typical body hashes in well under a millisecond: cheaper here than a thread's hop
        small = len(result.body) <= INLINE_DIGEST_BYTES
        digest = hashing() if small else await self._cpu.run(hashing)
        if digest == state.body_hash:
            # the body of the last full read again (no validators, or a fresh ETag each time)
            return Outcome(replace(fetched, last_status=UNCHANGED_STATUS), state)
        parse = functools.partial(
            parse_feed,
            result.body,
            headers=result.headers,
            base_url=result.final_url,
            max_items=ingest.max_items,
        )
        try:
            entries = await self._cpu.run(parse)
        except DigestbotError as exc:
            return failure(exc)
        articles = await self._cpu.run(
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
            older_than=seen_refresh_before(now, self.settings.seen_days),
        )
        stored = self.archive.fingerprints(ids)
        edited = tuple(a for a in articles if a.id in stored and stored[a.id] != fingerprint(a))
        fresh = [a for a in articles if a.id not in known and keys[a.id] not in linked]
        classified = await self._cpu.run(functools.partial(self._classify_all, fresh))
        if self.second_opinion is not None:
            classified = [await self._reconsider(item) for item in classified]
        done = replace(fetched, items=len(entries), body_hash=digest)
        return Outcome(done, state, classified, edited, keys=keys)

    async def _reconsider(self, item: Classified) -> Classified:
        """Ask the LLM about a borderline decision; a flip to relevant gets its entities."""
        reviewer = self.second_opinion
        if reviewer is None or not reviewer.in_band(item.decision):
            return item
        if self._budget is not None and not self._budget.allows():
            return item
        article = item.article
        decision = await reviewer.review(article.title, article.summary, item.decision)
        if self._budget is not None:
            self._budget.record()
        if decision.relevant == item.decision.relevant:
            return replace(item, decision=decision)
        if not decision.relevant:
            return Classified(article, decision, ())
        entities = self.matcher.entities(f"{article.title}\n{article.summary}")
        return Classified(article, decision, entities, index_text(article.title, article.summary))

    def _classify_all(self, articles: Sequence[Article]) -> list[Classified]:
        """CPU-bound; runs in a worker thread."""
        result = []
        for article in articles:
            decision = self.matcher.classify(article.title, article.summary)
            if not decision.relevant:
                result.append(Classified(article, decision, ()))
                continue
            entities = self.matcher.entities(f"{article.title}\n{article.summary}")
            text = index_text(article.title, article.summary)
            result.append(Classified(article, decision, entities, text))
        return result


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
