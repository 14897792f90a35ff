"""The archive's articles: the relevant ones, archived and indexed for search, and the ids of
the irrelevant ones, remembered so that they are not classified again. A mixin of ``Archive``
over its connection."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.ingest.articles import link_key
from bot.models import Article, Decision
from bot.search.query import IndexedText, index_text
from bot.store.search import article_from_row
from bot.store.times import to_text
from bot.store.transaction import Transaction


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """An article with what the pipeline decided about it."""

    article: Article
    story_id: int | None
    matched: tuple[str, ...]
    announce: bool


def fingerprint(article: Article) -> str:
    """Identity of an article's visible text: changes when the publisher edits it."""
    text = f"{article.title}\n{article.summary}\n{article.url}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _key(article: Article, key: str | None) -> str:
    return link_key(article.url, article.title) if key is None else key


class ArchiveArticles:
    """Articles and seen ids."""

    _db: sqlite3.Connection

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` were seen before (relevant or not)."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for table in ("articles", "seen"):
                rows = self._db.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)
                found.update(row[0] for row in rows)
        return found

    def known_links(self, keys: Sequence[str]) -> set[str]:
        """Which of the link keys ``keys`` (``bot.ingest.articles.link_key``) belong to an item
        seen before, in any feed: the same link and title is the same article, whatever its
        guid says."""
        found: set[str] = set()
        wanted = [key for key in keys if key]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for table in ("articles", "seen"):
                rows = self._db.execute(
                    f"SELECT link_key FROM {table} WHERE link_key IN ({marks})", chunk
                )
                found.update(row[0] for row in rows)
        return found

    def add_seen(self, article: Article, *, key: str | None = None) -> None:
        """Remember an irrelevant item so it is not classified again (``key``: its link key
        when computed beforehand)."""
        self.add_seen_many([(article, key)])

    def add_seen_many(self, items: Sequence[tuple[Article, str | None]]) -> None:
        """``add_seen`` for each (article, link key or None) of ``items``, in one statement: a
        feed's irrelevant items are most of what a poll archives."""
        self._db.executemany(
            "INSERT OR IGNORE INTO seen (id, feed_url, seen_at, link_key) VALUES (?, ?, ?, ?)",
            [(a.id, a.feed_url, to_text(a.seen_at), _key(a, key)) for a, key in items],
        )

    def add_article(
        self,
        article: Article,
        decision: Decision,
        *,
        announce: bool,
        text: IndexedText | None = None,
        key: str | None = None,
    ) -> None:
        """Archive a relevant article and index it (``text`` and its link key ``key`` when
        computed beforehand)."""
        text = text or index_text(article.title, article.summary)
        with Transaction(self._db):
            cursor = self._db.execute(
                """INSERT INTO articles (id, feed_url, source, url, title, summary, lang,
                       published, seen_at, score, matched, reason, announce, fingerprint,
                       link_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    article.id,
                    article.feed_url,
                    article.source,
                    article.url,
                    article.title,
                    article.summary,
                    article.lang,
                    to_text(article.published),
                    to_text(article.seen_at),
                    decision.score,
                    json.dumps(decision.matched),
                    decision.reason,
                    int(announce),
                    fingerprint(article),
                    _key(article, key),
                ),
            )
            self._db.execute(
                "INSERT INTO articles_fts (rowid, title, body, shadow) VALUES (?, ?, ?, ?)",
                (cursor.lastrowid, text.title, text.body, text.shadow),
            )

    def fingerprints(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored fingerprints of those of ``ids`` that are archived articles."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, fingerprint FROM articles WHERE id IN ({marks})", chunk
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def update_text(self, article: Article) -> None:
        """Take in a publisher's edit: new text, link and index; never announced again.

        An edit that drops the link keeps the one the article had: a link that was shown
        stays, and an article never loses it (``fingerprint`` is of the edit as received, so
        the same edit is not taken in again)."""
        text = index_text(article.title, article.summary)
        with Transaction(self._db):
            row = self._db.execute("SELECT rowid, url FROM articles WHERE id = ?", (article.id,))
            found = row.fetchone()
            if found is None:
                return
            url = article.url or found["url"]
            self._db.execute(
                "UPDATE articles SET title = ?, summary = ?, url = ?, fingerprint = ?,"
                " link_key = ? WHERE rowid = ?",
                (
                    article.title,
                    article.summary,
                    url,
                    fingerprint(article),
                    link_key(url, article.title),
                    found[0],
                ),
            )
            self._db.execute(
                "UPDATE articles_fts SET title = ?, body = ?, shadow = ? WHERE rowid = ?",
                (text.title, text.body, text.shadow, found[0]),
            )

    def recent_articles(self, since: datetime) -> list[ArchivedArticle]:
        rows = self._db.execute(
            "SELECT * FROM articles WHERE seen_at >= ? AND story_id IS NOT NULL ORDER BY rowid",
            (to_text(since),),
        )
        return [self._archived(row) for row in rows]

    def unclustered(self) -> list[ArchivedArticle]:
        """Archived relevant articles not in a story yet: those of a poll that was interrupted
        between archiving its items and clustering them."""
        # An article without a link of its own is kept for search only, never in a story.
        rows = self._db.execute(
            "SELECT * FROM articles WHERE story_id IS NULL AND url != '' ORDER BY rowid"
        )
        return [self._archived(row) for row in rows]

    def has_unclustered(self) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM articles WHERE story_id IS NULL AND url != '' LIMIT 1"
        )
        return row.fetchone() is not None

    def articles(self, ids: Sequence[str]) -> list[ArchivedArticle]:
        """The archived articles of ``ids`` that exist, in archive order."""
        found: list[ArchivedArticle] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY rowid", chunk
            )
            found.extend(self._archived(row) for row in rows)
        return found

    def _archived(self, row: sqlite3.Row) -> ArchivedArticle:
        return ArchivedArticle(
            article=article_from_row(row),
            story_id=row["story_id"],
            matched=tuple(json.loads(row["matched"])),
            announce=bool(row["announce"]),
        )
