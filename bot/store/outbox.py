"""The archive's outbox: one row per message part to send (digests and alerts), with its
status; and the alerts already sent. A mixin of ``Archive`` over its connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.times import from_text as _dt
from bot.store.times import to_text as _iso
from bot.store.transaction import Transaction


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    platform: str
    chat_id: int
    thread_id: int | None
    digest_key: str
    part: int
    text: str
    attempts: int
    markup: str | None = None
    """The part's button as the platform's markup (JSON), or None."""


class ArchiveOutbox:
    """Queueing and sending state of the outbox. Raises ``sqlite3.Error`` as the archive does."""

    _db: sqlite3.Connection

    def queue_digest(
        self,
        *,
        platform: str,
        chat_id: int,
        thread_id: int | None,
        digest_key: str,
        period_end: datetime,
        parts: Sequence[str],
        now: datetime,
        markups: Sequence[str | None] = (),
    ) -> int:
        """Write every part of a digest to the outbox in one transaction. Idempotent per key.
        ``markups`` holds the parts' buttons (the platform's markup), by part, if any."""
        with Transaction(self._db):
            for index, text in enumerate(parts):
                self._db.execute(
                    """INSERT OR IGNORE INTO outbox (platform, chat_id, thread_id, digest_key,
                           period_end, part, text, created_at, markup)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        platform,
                        chat_id,
                        thread_id,
                        digest_key,
                        _iso(period_end),
                        index,
                        text,
                        _iso(now),
                        markups[index] if index < len(markups) else None,
                    ),
                )
        return len(parts)

    def last_digest_end(self, platform: str, chat_id: int) -> datetime | None:
        row = self._db.execute(
            "SELECT max(period_end) FROM outbox WHERE platform = ? AND chat_id = ?"
            " AND kind = 'digest'",
            (platform, chat_id),
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None

    def last_digest_ends(self) -> dict[str, datetime]:
        """The end of each chat's last queued digest, by chat key (``platform:chat_id``)."""
        rows = self._db.execute(
            "SELECT platform, chat_id, max(period_end) FROM outbox WHERE kind = 'digest'"
            " GROUP BY platform, chat_id"
        )
        return {f"{row[0]}:{row[1]}": _dt(row[2]) for row in rows}

    def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still waiting in the outbox was queued."""
        row = self._db.execute(
            "SELECT min(created_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None

    # alerts

    def alert_candidates(self, since: datetime) -> list[tuple[int, int]]:
        """(story id, distinct outlets among its announceable articles) for the stories that
        grew after ``since`` and were never alerted."""
        rows = self._db.execute(
            "SELECT s.id, count(DISTINCT a.source) FROM stories s"
            " JOIN articles a ON a.story_id = s.id AND a.announce = 1"
            " WHERE s.updated_at >= ? AND s.id NOT IN (SELECT story_id FROM alerts)"
            " GROUP BY s.id ORDER BY s.id",
            (_iso(since),),
        )
        return [(row[0], row[1]) for row in rows]

    def queue_alert(
        self,
        *,
        story_id: int,
        sources: int,
        messages: Sequence[tuple[str, int, int | None, str]],
        now: datetime,
    ) -> None:
        """Queue one alert message per (platform, chat id, thread id, text) and remember that
        the story was alerted, all in one transaction: a story is alerted once."""
        with Transaction(self._db):
            for platform, chat_id, thread_id, text in messages:
                self._db.execute(
                    """INSERT OR IGNORE INTO outbox (platform, chat_id, thread_id, digest_key,
                           period_end, part, text, created_at, kind)
                       VALUES (?, ?, ?, ?, ?, 0, ?, ?, 'alert')""",
                    (
                        platform,
                        chat_id,
                        thread_id,
                        f"{platform}:{chat_id}:alert:{story_id}",
                        _iso(now),
                        text,
                        _iso(now),
                    ),
                )
            self._db.execute(
                "INSERT OR IGNORE INTO alerts (story_id, sources, alerted_at) VALUES (?, ?, ?)",
                (story_id, sources, _iso(now)),
            )

    def pending(self, platform: str) -> list[OutboxItem]:
        rows = self._db.execute(
            "SELECT * FROM outbox WHERE status = 'pending' AND platform = ? ORDER BY id",
            (platform,),
        )
        return [
            OutboxItem(
                id=row["id"],
                platform=row["platform"],
                chat_id=row["chat_id"],
                thread_id=row["thread_id"],
                digest_key=row["digest_key"],
                part=row["part"],
                text=row["text"],
                attempts=row["attempts"],
                markup=row["markup"],
            )
            for row in rows
        ]

    def mark_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        self._db.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            (message_id, _iso(now), item_id),
        )

    def mark_failed(self, item_id: int, error: str, *, final: bool) -> None:
        self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ?,"
            " status = CASE WHEN ? THEN 'failed' ELSE status END WHERE id = ?",
            (error[:500], int(final), item_id),
        )

    def drop_chat_pending(self, platform: str, chat_id: int, reason: str) -> None:
        self._db.execute(
            "UPDATE outbox SET status = 'dropped', error = ?"
            " WHERE platform = ? AND chat_id = ? AND status = 'pending'",
            (reason[:500], platform, chat_id),
        )

    def move_outbox(self, platform: str, old_id: int, new_id: int) -> None:
        """A chat's outbox rows follow it to its new id (part of ``Archive.move_chat``)."""
        self._db.execute(
            "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ?",
            (new_id, platform, old_id),
        )

    def outbox_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in rows}
