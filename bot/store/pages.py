"""The archive's digest pages: the stories a digest had no room for, in order, under a short
page token per (chat, digest) that the digest's button carries back (``bot.digest.more``).
A mixin of ``Archive`` over its connection.

Bounded: one row per digest that overflowed, pruned with the outbox's retention
(``prune_pages``); a press on a pruned or unknown token finds nothing and is answered politely.
Each page is handed out once: ``take_page`` moves the row's ``next`` from the offset pressed to
the end of that page in one UPDATE, so two presses of the same button send it once.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.store.times import from_text as _dt
from bot.store.times import to_text as _iso
from bot.store.transaction import Transaction

TOKEN_BYTES = 9
"""12 URL-safe characters: unguessable, and ``more:TOKEN:OFFSET`` stays far below 64 bytes."""


@dataclass(frozen=True, slots=True)
class Page:
    """The stories of one page, where the next one starts, and the stories left after it."""

    story_ids: tuple[int, ...]
    next_offset: int
    rest: tuple[int, ...]
    period_start: datetime | None
    period_end: datetime


PageRefusal = Literal["stale", "sent"]
"""Why a press gets no page: the token expired or never was, or that page went out already."""


class ArchivePages:
    """Page tokens of digests. Raises ``sqlite3.Error`` as the archive does."""

    _db: sqlite3.Connection

    def save_pages(
        self,
        *,
        platform: str,
        chat_id: int,
        digest_key: str,
        story_ids: Sequence[int],
        offset: int,
        period_start: datetime | None,
        period_end: datetime,
        now: datetime,
    ) -> str:
        """Keep ``story_ids`` (the digest's rest) under a new token, the first page starting at
        ``offset``; the existing token when this digest's were kept already (queueing twice)."""
        with Transaction(self._db):
            row = self._db.execute(
                "SELECT token FROM digest_pages WHERE digest_key = ?", (digest_key,)
            ).fetchone()
            if row is not None:
                return str(row[0])
            token = secrets.token_urlsafe(TOKEN_BYTES)
            self._db.execute(
                """INSERT INTO digest_pages (token, platform, chat_id, digest_key, stories, next,
                       period_start, period_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    token,
                    platform,
                    chat_id,
                    digest_key,
                    json.dumps(list(story_ids)),
                    offset,
                    _iso(period_start) if period_start else None,
                    _iso(period_end),
                    _iso(now),
                ),
            )
        return token

    def take_page(
        self, *, token: str, platform: str, chat_id: int, offset: int, size: int
    ) -> Page | PageRefusal:
        """The ``size`` stories from ``offset`` of ``token`` (a token of another chat is
        unknown here); "sent" when that page was handed out before, "stale" when the token is
        unknown or expired."""
        with Transaction(self._db):
            row = self._db.execute(
                "SELECT stories, next, period_start, period_end FROM digest_pages"
                " WHERE token = ? AND platform = ? AND chat_id = ?",
                (token, platform, chat_id),
            ).fetchone()
            if row is None:
                return "stale"
            stories: list[int] = json.loads(row[0])
            if offset != row[1] or offset >= len(stories):
                return "sent" if offset < row[1] else "stale"
            end = min(offset + size, len(stories))
            self._db.execute("UPDATE digest_pages SET next = ? WHERE token = ?", (end, token))
        return Page(
            story_ids=tuple(stories[offset:end]),
            next_offset=end,
            rest=tuple(stories[end:]),
            period_start=_dt(row[2]) if row[2] else None,
            period_end=_dt(row[3]),
        )

    def give_back_page(self, *, token: str, offset: int, taken: int) -> None:
        """Offer the page from ``offset`` again (it was taken up to ``taken`` but could not be
        sent); a page taken since by another press is left as it is."""
        self._db.execute(
            "UPDATE digest_pages SET next = ? WHERE token = ? AND next = ?", (offset, token, taken)
        )

    def prune_pages(self, before: datetime) -> int:
        """Forget the pages of digests queued before ``before`` (the outbox's retention)."""
        cursor = self._db.execute("DELETE FROM digest_pages WHERE created_at < ?", (_iso(before),))
        return max(cursor.rowcount, 0)
