"""Merging two stories found to be one event. A mixin of ``Archive`` over its connection.

Clustering may find, when a report arrives that bridges them, that two stories of the archive
report one event (``bot.stories.cluster``). The younger is folded into the older, which keeps
its id, so a story that chats have already seen keeps its identity for later updates:

- its articles move to the survivor, whose entities, first dates and content key follow;
- an alert already sent for either counts for the survivor, so no chat is alerted twice;
- both summaries are dropped, so the survivor's is made again at once from all its articles
  (one LLM call: merges are rare, and the old headline told only half the event);
- the absorbed story stays as a row that points to the survivor (``merged_into``), so its id is
  never given to a new story, whose alert would then share a key already in the outbox;
- digests already queued keep their text: the outbox holds rendered messages, not story ids;
- the search index holds articles, not stories, and needs nothing.

All of it is one transaction: a crash leaves both stories as they were, or one merged story.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.errors import StoreError
from bot.store.times import to_text as _iso
from bot.store.transaction import Transaction


def content_key(article_ids: Iterable[str]) -> str:
    """Identity of a story's content: the same set of articles gives the same key."""
    digest = hashlib.sha256("\n".join(sorted(article_ids)).encode()).hexdigest()
    return digest[:32]


def story_content_key(db: sqlite3.Connection, story_id: int) -> str:
    """The content key of the articles that story ``story_id`` holds now."""
    rows = db.execute("SELECT id FROM articles WHERE story_id = ?", (story_id,))
    return content_key(row[0] for row in rows.fetchall())


class ArchiveMerges:
    """Story merges. Raises ``StoreError`` for a story that does not exist."""

    _db: sqlite3.Connection

    def merge_stories(self, survivor: int, absorbed: int, *, now: datetime) -> None:
        """Fold story ``absorbed`` into story ``survivor`` (see the module docstring)."""
        if survivor == absorbed:
            return
        with Transaction(self._db):
            rows = {
                row["id"]: row
                for row in self._db.execute(
                    "SELECT id, created_at, announced_at, entities FROM stories"
                    " WHERE id IN (?, ?) AND merged_into IS NULL",
                    (survivor, absorbed),
                )
            }
            for story in (survivor, absorbed):
                if story not in rows:
                    raise StoreError(f"no story {story}")
            entities = sorted(
                set(json.loads(rows[survivor]["entities"]))
                | set(json.loads(rows[absorbed]["entities"]))
            )
            created = min(rows[survivor]["created_at"], rows[absorbed]["created_at"])
            announced = [r["announced_at"] for r in rows.values() if r["announced_at"] is not None]
            self._db.execute(
                "UPDATE articles SET story_id = ? WHERE story_id = ?", (survivor, absorbed)
            )
            self._db.execute(
                "INSERT INTO alerts (story_id, sources, alerted_at)"
                " SELECT ?, sources, alerted_at FROM alerts WHERE story_id = ?"
                " ON CONFLICT (story_id) DO UPDATE SET sources = max(sources, excluded.sources)",
                (survivor, absorbed),
            )
            self._db.execute("DELETE FROM alerts WHERE story_id = ?", (absorbed,))
            # what each chat was shown of the absorbed story, and the watch alerts it had, are
            # the survivor's now: its next digest is an update of what the chat saw, never
            # the same links again as a new story (a part that carried both keeps one row)
            for table in ("story_messages", "watch_alerts"):
                self._db.execute(
                    f"UPDATE OR IGNORE {table} SET story_id = ? WHERE story_id = ?",
                    (survivor, absorbed),
                )
                self._db.execute(f"DELETE FROM {table} WHERE story_id = ?", (absorbed,))
            self._db.execute("DELETE FROM summaries WHERE story_id IN (?, ?)", (survivor, absorbed))
            self._db.execute(
                "UPDATE stories SET merged_into = ?, announced_at = NULL, content_key = '',"
                " updated_at = ? WHERE id = ?",
                (survivor, _iso(now), absorbed),
            )
            self._db.execute(
                "UPDATE stories SET created_at = ?, updated_at = ?, announced_at = ?,"
                " entities = ?, content_key = ? WHERE id = ?",
                (
                    created,
                    _iso(now),
                    max(announced) if announced else None,  # its latest news, as attach keeps
                    json.dumps(entities),
                    story_content_key(self._db, survivor),
                    survivor,
                ),
            )
