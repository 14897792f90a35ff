"""Upkeep of the SQLite archive: retention, ``PRAGMA optimize``, the full-text index's merge,
WAL checkpoints and a backup before each schema migration.

``ArchiveUpkeep`` is mixed into ``Archive`` (it uses the archive's one connection); what to
prune and when is decided by the pure functions of ``bot.app.housekeeping``.

Why pruning never makes an article go out twice: an id that leaves the archive goes to the
``seen`` table (a tombstone), and every full read of a feed pushes back the expiry of the
``seen`` ids it still lists (``refresh_seen``; by link key for an item whose guid changes).
So an id is forgotten only once its feed has stopped listing it
(``bot.ops.retention.seen_prune_limits``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import StoreError
from bot.store.state_file import migration_backup_path
from bot.store.times import to_text
from bot.store.transaction import Transaction

# Stories (with their articles) whose last article joined before the cutoff; articles in no
# story are judged by when they were seen.
_STALE_ARTICLES = (
    "story_id IN (SELECT id FROM stories WHERE updated_at < :before)"
    " OR (story_id IS NULL AND seen_at < :before)"
)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one retention pass removed."""

    seen: int = 0
    articles: int = 0
    stories: int = 0
    outbox: int = 0


class ArchiveUpkeep:
    """Retention and maintenance over the archive's connection. Raises ``StoreError`` when the
    database cannot be written."""

    path: Path
    _db: sqlite3.Connection

    def prune_seen(
        self, before: datetime, per_feed: Mapping[str, datetime | None] | None = None
    ) -> int:
        """Forget the irrelevant ids marked seen before ``before``, or before their feed's
        limit in ``per_feed`` (None there: keep every id of that feed)."""
        try:
            self._db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS prune_limits"
                " (feed_url TEXT PRIMARY KEY, before TEXT NOT NULL)"
            )
            self._db.execute("DELETE FROM temp.prune_limits")
            self._db.executemany(
                "INSERT INTO temp.prune_limits (feed_url, before) VALUES (?, ?)",
                [
                    (url, to_text(limit) if limit is not None else "")
                    for url, limit in (per_feed or {}).items()
                ],
            )
            cursor = self._db.execute(
                "DELETE FROM seen WHERE seen_at < coalesce("
                "(SELECT before FROM temp.prune_limits WHERE feed_url = seen.feed_url), ?)",
                (to_text(before),),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: pruning failed: {exc}") from exc
        return max(cursor.rowcount, 0)

    def refresh_seen(
        self,
        ids: Sequence[str],
        *,
        now: datetime,
        older_than: datetime,
        links: Sequence[str] = (),
    ) -> int:
        """Mark the ``seen`` entries among ``ids``, and those with a link key in ``links``
        (items listed in a feed just now, the latter under a guid that changed), as seen
        ``now``.

        Only those last marked before ``older_than`` are written, so a poll costs a write per
        id only about once per half retention period."""
        changed = 0
        for column, values in (("id", ids), ("link_key", [k for k in links if k])):
            for start in range(0, len(values), 500):
                chunk = list(values[start : start + 500])
                marks = ",".join("?" * len(chunk))
                cursor = self._db.execute(
                    f"UPDATE seen SET seen_at = ? WHERE seen_at < ? AND {column} IN ({marks})",
                    [to_text(now), to_text(older_than), *chunk],
                )
                changed += max(cursor.rowcount, 0)
        return changed

    def prune_articles(self, before: datetime, *, now: datetime) -> Pruned:
        """Remove the stories last updated before ``before`` with their articles, summaries
        and search entries, in one transaction. Their ids stay known as ``seen`` ids."""
        args = {"before": to_text(before), "now": to_text(now)}
        stale_stories = "SELECT id FROM stories WHERE updated_at < :before"
        try:
            with Transaction(self._db):
                self._db.execute(
                    "INSERT OR IGNORE INTO seen (id, feed_url, seen_at, link_key)"
                    f" SELECT id, feed_url, :now, link_key FROM articles WHERE {_STALE_ARTICLES}",
                    args,
                )
                self._db.execute(
                    "DELETE FROM articles_fts WHERE rowid IN"
                    f" (SELECT rowid FROM articles WHERE {_STALE_ARTICLES})",
                    args,
                )
                articles = self._db.execute(f"DELETE FROM articles WHERE {_STALE_ARTICLES}", args)
                self._db.execute(f"DELETE FROM summaries WHERE story_id IN ({stale_stories})", args)
                self._db.execute(f"DELETE FROM alerts WHERE story_id IN ({stale_stories})", args)
                self._db.execute(
                    f"DELETE FROM story_messages WHERE story_id IN ({stale_stories})", args
                )
                self._db.execute(
                    f"DELETE FROM watch_alerts WHERE story_id IN ({stale_stories})", args
                )
                stories = self._db.execute("DELETE FROM stories WHERE updated_at < :before", args)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: pruning failed: {exc}") from exc
        return Pruned(articles=max(articles.rowcount, 0), stories=max(stories.rowcount, 0))

    def prune_outbox(self, before: datetime) -> int:
        """Delete the messages sent, failed or dropped before ``before``, except those of each
        chat's latest digest: its period end is how a restart knows that digest went out."""
        try:
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE status != 'pending' AND created_at < ?"
                " AND NOT (kind = 'digest' AND period_end = (SELECT max(o.period_end)"
                " FROM outbox o WHERE o.platform = outbox.platform"
                " AND o.chat_id = outbox.chat_id AND o.kind = 'digest'))",
                (to_text(before),),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: pruning failed: {exc}") from exc
        return max(cursor.rowcount, 0)

    def optimize(self) -> None:
        """Let SQLite refresh the statistics its query planner needs (cheap; see
        https://sqlite.org/pragma.html#pragma_optimize)."""
        self._run("PRAGMA optimize")

    def optimize_fts(self) -> None:
        """Merge the full-text index's segments into one (FTS5 ``optimize``). Each batch of
        inserts adds a segment, and every query probes every segment for each word and phrase it
        asks for, so a search expanded to an entity's many aliases slows down as they pile up
        (bench/search.py: p99 about twice as long before the merge). It also drops what removed
        articles left in the index. About a second per 50,000 articles."""
        self._run("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database and truncate it; False when a reader
        kept it from finishing (it is tried again next time)."""
        try:
            row = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: checkpoint failed: {exc}") from exc
        return row is not None and int(row[0]) == 0

    @property
    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    def backup_to(self, target: Path) -> Path:
        """A consistent copy of the database at ``target``, made with SQLite's backup API
        (safe while the database is in use), written beside it first and renamed into place."""
        temp = target.with_name(f".{target.name}.tmp")
        temp.unlink(missing_ok=True)
        try:
            copy = sqlite3.connect(temp)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            os.replace(temp, target)
        except (sqlite3.Error, OSError) as exc:
            temp.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot back up to {target}: {exc}") from exc
        return target

    def backup_before_migration(self, version: int) -> Path:
        """Keep the archive as it is at schema ``version`` before a migration changes it."""
        return self.backup_to(migration_backup_path(self.path, version))

    def _run(self, sql: str) -> None:
        try:
            self._db.execute(sql)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {sql!r} failed: {exc}") from exc
