"""The archive's side of watch lists: which new articles a watched term matches, and which
(chat, story, term) were alerted. A mixin of ``Archive`` over its connection.

Each poll runs every distinct watched term once, against the articles added since the last
run only: the ``watch_mark`` row keeps the highest article row id already looked at, and FTS5
reads ``rowid > ?`` as a seek in each term's list of matches, so the cost follows the poll's
new articles and the number of distinct terms, never the archive's size or the number of
chats. An article still waiting for its story (a grouping that failed) holds the mark below
it, so it is looked at once it has one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.times import to_text as _iso
from bot.store.transaction import Transaction


@dataclass(frozen=True, slots=True)
class WatchWindow:
    """The article row ids a watch run looks at: ``after`` < rowid <= ``upto``."""

    after: int
    upto: int

    @property
    def empty(self) -> bool:
        return self.upto <= self.after


@dataclass(frozen=True, slots=True)
class WatchHit:
    """A new announceable article, in a story, matching a watched term."""

    rowid: int
    story_id: int
    title: str
    url: str
    lang: str


@dataclass(frozen=True, slots=True)
class WatchMessage:
    """One watch alert to queue: the chat, the story, the terms it names (as ``term_key``
    compares them) and the text its platform rendered."""

    platform: str
    chat_id: int
    thread_id: int | None
    story_id: int
    term_keys: tuple[str, ...]
    text: str


def _key_digest(term_keys: Sequence[str]) -> str:
    # the outbox key stays short whatever the terms' length (up to 100 characters each)
    return hashlib.sha256("\n".join(sorted(term_keys)).encode()).hexdigest()[:16]


class ArchiveWatch:
    """Watch runs over the full-text index. Raises ``sqlite3.Error`` as the archive does."""

    _db: sqlite3.Connection

    def watch_window(self) -> WatchWindow:
        """The articles added since the last watch run that are settled in a story (or will
        never have one): up to, not including, the first one still waiting for its story."""
        after = int(self._db.execute("SELECT last_rowid FROM watch_mark").fetchone()[0])
        top = int(
            self._db.execute(
                "SELECT coalesce(max(rowid), 0) FROM articles WHERE rowid > ?", (after,)
            ).fetchone()[0]
        )
        waiting = self._db.execute(
            "SELECT min(rowid) FROM articles WHERE rowid > ? AND story_id IS NULL AND url != ''",
            (after,),
        ).fetchone()[0]
        upto = max(top, after) if waiting is None else int(waiting) - 1
        return WatchWindow(after=after, upto=max(upto, after))

    def watch_hits(self, match: str, window: WatchWindow) -> list[WatchHit]:
        """The announceable articles of ``window`` in a story that FTS5 ``match`` finds, in
        archive order; none for an expression FTS5 cannot read."""
        if window.empty:
            return []
        try:
            rows = self._db.execute(
                "SELECT a.rowid, a.story_id, a.title, a.url, a.lang FROM articles_fts f"
                " JOIN articles a ON a.rowid = f.rowid"
                " WHERE articles_fts MATCH ? AND f.rowid > ? AND f.rowid <= ?"
                " AND a.story_id IS NOT NULL AND a.announce = 1 ORDER BY f.rowid",
                (match, window.after, window.upto),
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a term the index cannot answer matches nothing; it never stops a poll
        return [WatchHit(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def watch_alerted(self, stories: Iterable[int]) -> set[tuple[str, int, int, str]]:
        """The (platform, chat id, story id, term key) already alerted among ``stories``."""
        ids = sorted(set(stories))
        found: set[tuple[str, int, int, str]] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT platform, chat_id, story_id, term FROM watch_alerts"
                f" WHERE story_id IN ({marks})",
                chunk,
            )
            found.update((row[0], row[1], row[2], row[3]) for row in rows)
        return found

    def queue_watch_alerts(
        self, messages: Sequence[WatchMessage], window: WatchWindow, now: datetime
    ) -> None:
        """Queue the alerts, remember each (chat, story, term) and move the mark past
        ``window``, in one transaction: an article is looked at, and a story alerted for a
        term in a chat, once."""
        with Transaction(self._db):
            for m in messages:
                key = f"{m.platform}:{m.chat_id}:watch:{m.story_id}:{_key_digest(m.term_keys)}"
                self._db.execute(
                    """INSERT OR IGNORE INTO outbox (platform, chat_id, thread_id, digest_key,
                           period_end, part, text, created_at, kind)
                       VALUES (?, ?, ?, ?, ?, 0, ?, ?, 'watch')""",
                    (m.platform, m.chat_id, m.thread_id, key, _iso(now), m.text, _iso(now)),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO watch_alerts"
                    " (platform, chat_id, story_id, term, alerted_at) VALUES (?, ?, ?, ?, ?)",
                    [(m.platform, m.chat_id, m.story_id, k, _iso(now)) for k in m.term_keys],
                )
            self._db.execute(
                "UPDATE watch_mark SET last_rowid = max(last_rowid, ?)", (window.upto,)
            )
