"""The archive's stories: which articles report one event, and when each story last had news.
A mixin of ``Archive`` over its connection (merging two stories: ``bot.store.merges``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.errors import StoreError
from bot.models import Story
from bot.store.merges import story_content_key
from bot.store.search import article_from_row
from bot.store.times import from_text, to_text
from bot.store.transaction import Transaction


def read_story(db: sqlite3.Connection, story_id: int) -> Story:
    """Story ``story_id`` with its articles; ``StoreError`` when there is none (or it was
    merged into another)."""
    row = db.execute(
        "SELECT * FROM stories WHERE id = ? AND merged_into IS NULL", (story_id,)
    ).fetchone()
    if row is None:
        raise StoreError(f"no story {story_id}")
    articles = tuple(
        article_from_row(r)
        for r in db.execute(
            "SELECT * FROM articles WHERE story_id = ? ORDER BY published, id", (story_id,)
        )
    )
    return Story(
        id=story_id,
        created_at=from_text(row["created_at"]),
        updated_at=from_text(row["updated_at"]),
        articles=articles,
        entities=tuple(json.loads(row["entities"])),
    )


class ArchiveStories:
    """Stories: articles put into them, and those with news in a period."""

    _db: sqlite3.Connection

    def attach(
        self,
        article_id: str,
        story_id: int | None,
        *,
        entities: Sequence[str],
        announce: bool,
        now: datetime,
    ) -> int:
        """Put an article into a story (a new one when ``story_id`` is None); returns its id."""
        with Transaction(self._db):
            if story_id is None:
                cursor = self._db.execute(
                    "INSERT INTO stories (created_at, updated_at, announced_at, entities)"
                    " VALUES (?, ?, ?, ?)",
                    (
                        to_text(now),
                        to_text(now),
                        to_text(now) if announce else None,
                        json.dumps([]),
                    ),
                )
                story_id = int(cursor.lastrowid or 0)
            row = self._db.execute(
                "SELECT entities FROM stories WHERE id = ?", (story_id,)
            ).fetchone()
            merged = sorted(set(json.loads(row["entities"])) | set(entities))
            self._db.execute(
                "UPDATE stories SET updated_at = ?, entities = ?,"
                " announced_at = CASE WHEN ? THEN ? ELSE announced_at END WHERE id = ?",
                (to_text(now), json.dumps(merged), int(announce), to_text(now), story_id),
            )
            self._db.execute(
                "UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id)
            )
            self._db.execute(
                "UPDATE stories SET content_key = ? WHERE id = ?",
                (story_content_key(self._db, story_id), story_id),
            )
        return story_id

    def story(self, story_id: int) -> Story:
        return read_story(self._db, story_id)

    def announced_stories(self, since: datetime | None, until: datetime) -> list[Story]:
        """Stories that gained an announceable article in ``(since, until]``."""
        if since is None:
            rows = self._db.execute(
                "SELECT id FROM stories WHERE announced_at IS NOT NULL AND announced_at <= ?"
                " AND merged_into IS NULL",
                (to_text(until),),
            )
        else:
            rows = self._db.execute(
                "SELECT id FROM stories WHERE announced_at > ? AND announced_at <= ?"
                " AND merged_into IS NULL",
                (to_text(since), to_text(until)),
            )
        return [read_story(self._db, row["id"]) for row in rows.fetchall()]

    def stories_with_news(self, since: datetime | None, until: datetime) -> list[Story]:
        """Stories that gained an announceable article archived in ``(since, until]``.

        Read from the articles, not from the story's ``announced_at`` (which moves to its latest
        article): a digest is composed after its slot — at the next tick, or at start after a
        restart — and a story that grew in between must still be in the period it had news in,
        or a digest whose stories all grew would be skipped and its news held to the next slot.
        """
        if since is None:
            rows = self._db.execute(
                "SELECT DISTINCT story_id FROM articles WHERE announce = 1"
                " AND story_id IS NOT NULL AND seen_at <= ? ORDER BY story_id",
                (to_text(until),),
            )
        else:
            rows = self._db.execute(
                "SELECT DISTINCT story_id FROM articles WHERE announce = 1"
                " AND story_id IS NOT NULL AND seen_at > ? AND seen_at <= ? ORDER BY story_id",
                (to_text(since), to_text(until)),
            )
        return [read_story(self._db, row[0]) for row in rows.fetchall()]
