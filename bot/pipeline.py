"""The pipeline that does the I/O around the pure deciding stages.

::

    poll:       for each feed, at most [ingest] concurrency at once   ── concurrent
                    fetch (conditional GET)                          ── network
                    parse (feedparser)                               ── worker thread
                    new entries → Article → topic filter             ── worker thread
                relevant → archive → cluster into a story            ── event loop (SQLite)
                irrelevant → remembered as seen, never shown
    summarize:  each story whose articles changed → LLM or offline   ── network, 4 at once
    digests:    each subscribed chat whose digest is due
                    compose → render → outbox (one transaction)
    deliver:    outbox → channel (see bot.channels.delivery)

A feed that fails is logged and recorded in its state; it never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import FeedSettings, Settings
from bot.digest.compose import compose
from bot.digest.render import render_plain, render_telegram
from bot.errors import DigestbotError
from bot.i18n import Catalog
from bot.ingest.articles import to_article
from bot.ingest.parse import parse_feed_async
from bot.models import (
    Article,
    Chat,
    ChatLang,
    Decision,
    Digest,
    FeedSource,
    FeedState,
    FetchResult,
    Story,
    Summary,
)
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.stories import WINDOW, Candidate, Features, assign, features
from bot.summarize import Summarizer
from bot.topic.matcher import TopicMatcher

log = logging.getLogger(__name__)

SUMMARY_CONCURRENCY = 4
"""Stories summarized at the same time (LLM requests in flight)."""


class Fetcher(Protocol):
    """Fetches one feed. Raises ``FetchError`` (``BlockedURLError`` for refused URLs)."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


@dataclass
class PollReport:
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    new_items: int = 0
    relevant: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Classified:
    article: Article
    decision: Decision
    entities: tuple[str, ...]


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
        summarizer: Summarizer,
        catalog: Catalog,
        now: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.state = state
        self.archive = archive
        self.fetcher = fetcher
        self.matcher = matcher
        self.summarizer = summarizer
        self.catalog = catalog
        self.now = now
        self._generic = frozenset(matcher.generic_entities())

    # poll

    async def poll(self) -> PollReport:
        now = self.now()
        states = self.state.sync_feeds([_source(feed) for feed in self.settings.feeds], now=now)
        report = PollReport()
        limit = asyncio.Semaphore(self.settings.ingest.concurrency)

        async def one(state: FeedState) -> tuple[FeedState, list[_Classified] | None, str | None]:
            async with limit:
                try:
                    return state, await self._fetch_and_classify(state, now), None
                except DigestbotError as exc:
                    return state, None, str(exc)

        results = await asyncio.gather(*(one(state) for state in states))
        candidates = self._candidates(now)
        for state, items, error in results:
            if error is not None:
                report.feeds_failed += 1
                report.errors.append(f"{state.name}: {error}")
                log.warning("feed failed: %s: %s", state.name, error)
                self.state.save_feed(
                    replace(
                        state,
                        last_error=error,
                        failures=state.failures + 1,
                        last_fetch_at=now,
                    )
                )
                continue
            if items is None:
                report.feeds_not_modified += 1
                continue
            report.feeds_ok += 1
            for item in items:
                report.new_items += 1
                if item.decision.relevant:
                    report.relevant += 1
                    self._archive_relevant(item, candidates, now)
                else:
                    self.archive.add_seen(item.article)
        return report

    async def _fetch_and_classify(
        self, state: FeedState, now: datetime
    ) -> list[_Classified] | None:
        """New items of one feed, classified; None when the feed has not changed."""
        result = await self.fetcher.fetch(
            state.url, etag=state.etag, last_modified=state.last_modified
        )
        fetched = replace(
            state,
            last_status=result.status,
            last_fetch_at=now,
            last_error=None,
            failures=0,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
        )
        if result.not_modified:
            self.state.save_feed(fetched)
            return None
        entries = await parse_feed_async(
            result.body,
            headers=result.headers,
            base_url=result.final_url,
            max_items=self.settings.ingest.max_items,
        )
        self.state.save_feed(replace(fetched, items=len(entries)))
        articles = [
            article
            for entry in entries
            if (article := to_article(entry, feed_url=state.url, source=state.name, now=now))
        ]
        known = self.archive.known([a.id for a in articles])
        fresh = _unique([a for a in articles if a.id not in known])
        return await asyncio.to_thread(self._classify_all, fresh)

    def _classify_all(self, articles: Sequence[Article]) -> list[_Classified]:
        """CPU-bound; runs in a worker thread."""
        result = []
        for article in articles:
            decision = self.matcher.classify(article.title, article.summary)
            entities = (
                self.matcher.entities(f"{article.title}\n{article.summary}")
                if decision.relevant
                else ()
            )
            result.append(_Classified(article, decision, entities))
        return result

    def _candidates(self, now: datetime) -> list[Candidate]:
        return [
            Candidate(story_id=row.story_id, features=self._features(row.article, row.matched))
            for row in self.archive.recent_articles(now - 2 * WINDOW)
            if row.story_id is not None
        ]

    def _features(self, article: Article, entities: Sequence[str]) -> Features:
        return features(
            lang=article.lang,
            title=article.title,
            summary=article.summary,
            entities=entities,
            generic=self._generic,
            published=article.published,
        )

    def _archive_relevant(
        self, item: _Classified, candidates: list[Candidate], now: datetime
    ) -> None:
        max_age = timedelta(hours=self.settings.digest.max_age_hours)
        # Old items (a new feed's backlog) are archived for search but never announced.
        announce = item.article.published >= now - max_age
        decision = replace(item.decision, matched=item.entities or item.decision.matched)
        self.archive.add_article(item.article, decision, announce=announce)
        feats = self._features(item.article, decision.matched)
        story_id = self.archive.attach(
            item.article.id,
            assign(feats, candidates),
            entities=decision.matched,
            announce=announce,
            now=now,
        )
        candidates.append(Candidate(story_id=story_id, features=feats))

    # summarize

    async def summarize(self) -> int:
        """Summarize every story whose articles changed; returns how many were summarized."""
        stories = self.archive.stories_without_current_summary()
        limit = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def one(story: Story) -> Summary:
            async with limit:
                return await self.summarizer.summarize(story)

        summaries = await asyncio.gather(*(one(story) for story in stories))
        for story, summary in zip(stories, summaries, strict=True):
            self.archive.save_summary(story, summary, self.now())
        return len(stories)

    # digests

    def digest(self, *, lang: ChatLang, since: datetime | None, until: datetime) -> Digest:
        pairs: list[tuple[Story, Summary]] = []
        for story in self.archive.announced_stories(since, until):
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
        since = self.since_for(chat, until)
        if since >= until:
            return 0
        digest = self.digest(lang=chat.lang, since=since, until=until)
        if not digest.items:
            return 0
        parts = (
            render_telegram(digest, self.catalog)
            if chat.platform == "telegram"
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
        self.state.save_chat(replace(chat, last_digest_at=until))
        return queued

    def queue_digests(self, *, until: datetime, platform: str | None = None) -> int:
        total = 0
        for chat in self.state.chats(platform=platform, subscribed_only=True):
            total += self.queue_digest(chat, until=until)
        return total


def _source(feed: FeedSettings) -> FeedSource:
    return FeedSource(url=feed.url, name=feed.name, lang=feed.lang)


def _unique(articles: Sequence[Article]) -> list[Article]:
    """Drop repeats of the same id inside one fetch (some feeds list an item twice)."""
    seen: set[str] = set()
    result = []
    for article in articles:
        if article.id not in seen:
            seen.add(article.id)
            result.append(article)
    return result
