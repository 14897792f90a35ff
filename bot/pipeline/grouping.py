"""The relevant items of a poll into stories, all at once (see ``bot.stories``).

The decision depends on the set of new items, never on the order in which their feeds were read:
the items wait in the archive without a story until the whole poll is read, and items left so by
an interrupted poll are taken up by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import Article
from bot.pipeline.worker import CpuWorker
from bot.store.archive import Archive
from bot.stories import Features, Reader, Report, cluster
from bot.stories.cluster import Rules
from bot.topic.matcher import TopicMatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pending:
    """A relevant item archived in this poll, waiting for its story."""

    article_id: str
    announce: bool
    entities: tuple[str, ...]


class StoryGrouper:
    """Joins the waiting items to recent stories, starts new ones, and merges stories that turn
    out to report one event."""

    def __init__(
        self,
        *,
        archive: Archive,
        matcher: TopicMatcher,
        reader: Reader,
        rules: Rules,
        cpu: CpuWorker,
    ) -> None:
        self.archive = archive
        self.matcher = matcher
        self.rules = rules
        self._reader = reader
        self._cpu = cpu

    async def group(self, pending: Sequence[Pending], now: datetime) -> None:
        """Put ``pending`` and every item still without a story into stories."""
        horizon = self.rules.horizon
        recent = self.archive.recent_articles(now - 2 * horizon)
        waiting = {p.article_id: p for p in pending}
        for row in self.archive.unclustered():
            if row.article.id not in waiting:
                waiting[row.article.id] = Pending(row.article.id, row.announce, row.matched)
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
                    read = self._reader.read(
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

        decided = await self._cpu.run(lambda: cluster(*decide(), self.rules))
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

    def _attach(self, item: Pending, story_id: int | None, now: datetime) -> int:
        return self.archive.attach(
            item.article_id, story_id, entities=item.entities, announce=item.announce, now=now
        )

    def _features(self, article: Article, entities: Sequence[str]) -> Features:
        return self._reader.read(
            lang=article.lang,
            title=article.title,
            summary=article.summary,
            entities=entities,
            published=article.published,
        )
