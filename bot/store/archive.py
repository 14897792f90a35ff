"""The archive in SQLite (WAL): articles, stories, summaries, the delivery outbox and the
full-text index. The schema is versioned with ``PRAGMA user_version``; each migration runs in
one transaction, so a crash mid-migration leaves the previous version intact.

One connection, used from one thread (the event loop's).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import StoreError
from bot.models import Article, Decision, SearchHit, Story, Summary
from bot.store.fts import AliasExpander, IndexedText, build_match, index_text, split_filters
from bot.store.ranking import (
    RANK_CANDIDATES,
    candidates_bounds_sql,
    older_matches_sql,
    ranked_page_sql,
)
from bot.store.times import to_text
from bot.store.transaction import Transaction
from bot.store.upkeep import ArchiveUpkeep
from bot.summarize.refresh import SummaryState, summary_is_stale

ARCHIVE_FILE = "archive.sqlite3"

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        feed_url TEXT NOT NULL,
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        lang TEXT NOT NULL,
        published TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        score REAL NOT NULL,
        matched TEXT NOT NULL,
        reason TEXT NOT NULL,
        announce INTEGER NOT NULL,
        story_id INTEGER REFERENCES stories(id),
        fingerprint TEXT NOT NULL
    );
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_seen ON articles(seen_at);
    CREATE TABLE seen (
        id TEXT PRIMARY KEY,
        feed_url TEXT NOT NULL,
        seen_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        announced_at TEXT,
        entities TEXT NOT NULL,
        content_key TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX stories_announced ON stories(announced_at);
    CREATE TABLE summaries (
        story_id INTEGER PRIMARY KEY REFERENCES stories(id),
        content_key TEXT NOT NULL,
        headline_ar TEXT, summary_ar TEXT, headline_en TEXT, summary_en TEXT,
        method TEXT NOT NULL,
        model TEXT,
        created_at TEXT NOT NULL,
        articles INTEGER NOT NULL DEFAULT 0,
        langs TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE llm_usage (
        day TEXT NOT NULL,
        kind TEXT NOT NULL,
        calls INTEGER NOT NULL DEFAULT 0,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, kind)
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        thread_id INTEGER,
        digest_key TEXT NOT NULL,
        period_end TEXT NOT NULL,
        part INTEGER NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        message_id INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (digest_key, part)
    );
    CREATE INDEX outbox_status ON outbox(status, id);
    CREATE INDEX outbox_chat ON outbox(platform, chat_id, period_end);
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, shadow, tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 2: instant alerts for big stories; the outbox tells digests from alerts
    """
    ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest';
    CREATE TABLE alerts (
        story_id INTEGER PRIMARY KEY,
        sources INTEGER NOT NULL,
        alerted_at TEXT NOT NULL
    );
    CREATE INDEX stories_updated ON stories(updated_at);
    """,
)


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """An article with what the pipeline decided about it."""

    article: Article
    story_id: int | None
    matched: tuple[str, ...]
    announce: bool


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


def _iso(value: datetime) -> str:
    return to_text(value)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def fingerprint(article: Article) -> str:
    """Identity of an article's visible text: changes when the publisher edits it."""
    text = f"{article.title}\n{article.summary}\n{article.url}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def content_key(article_ids: Iterable[str]) -> str:
    """Identity of a story's content: the same set of articles gives the same key."""
    digest = hashlib.sha256("\n".join(sorted(article_ids)).encode()).hexdigest()
    return digest[:32]


class Archive(ArchiveUpkeep):
    """Articles, stories, summaries and the outbox in ``<data_dir>/archive.sqlite3``.

    Raises ``StoreError`` when the database cannot be opened or migrated.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the archive: {exc}") from exc

    @classmethod
    def in_dir(cls, data_dir: Path) -> Archive:
        return cls(data_dir / ARCHIVE_FILE)

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this digestbot knows"
            )
        if 0 < version < len(MIGRATIONS):
            # kept as it was, in case a migration goes wrong in a way its transaction cannot undo
            self.backup_before_migration(version)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            statements = [s.strip() for s in script.split(";") if s.strip()]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # articles

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

    def add_seen(self, article: Article) -> None:
        """Remember an irrelevant item so it is not classified again."""
        self._db.execute(
            "INSERT OR IGNORE INTO seen (id, feed_url, seen_at) VALUES (?, ?, ?)",
            (article.id, article.feed_url, _iso(article.seen_at)),
        )

    def add_article(
        self,
        article: Article,
        decision: Decision,
        *,
        announce: bool,
        text: IndexedText | None = None,
    ) -> None:
        """Archive a relevant article and index it (``text`` when computed beforehand)."""
        text = text or index_text(article.title, article.summary)
        with self.transaction():
            cursor = self._db.execute(
                """INSERT INTO articles (id, feed_url, source, url, title, summary, lang,
                       published, seen_at, score, matched, reason, announce, fingerprint)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    article.id,
                    article.feed_url,
                    article.source,
                    article.url,
                    article.title,
                    article.summary,
                    article.lang,
                    _iso(article.published),
                    _iso(article.seen_at),
                    decision.score,
                    json.dumps(decision.matched),
                    decision.reason,
                    int(announce),
                    fingerprint(article),
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
        """Take in a publisher's edit: new text, link and index; never announced again."""
        text = index_text(article.title, article.summary)
        with self.transaction():
            row = self._db.execute("SELECT rowid FROM articles WHERE id = ?", (article.id,))
            found = row.fetchone()
            if found is None:
                return
            self._db.execute(
                "UPDATE articles SET title = ?, summary = ?, url = ?, fingerprint = ?"
                " WHERE rowid = ?",
                (article.title, article.summary, article.url, fingerprint(article), found[0]),
            )
            self._db.execute(
                "UPDATE articles_fts SET title = ?, body = ?, shadow = ? WHERE rowid = ?",
                (text.title, text.body, text.shadow, found[0]),
            )

    def recent_articles(self, since: datetime) -> list[ArchivedArticle]:
        rows = self._db.execute(
            "SELECT * FROM articles WHERE seen_at >= ? AND story_id IS NOT NULL ORDER BY rowid",
            (_iso(since),),
        )
        return [self._archived(row) for row in rows]

    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def _archived(self, row: sqlite3.Row) -> ArchivedArticle:
        return ArchivedArticle(
            article=_article(row),
            story_id=row["story_id"],
            matched=tuple(json.loads(row["matched"])),
            announce=bool(row["announce"]),
        )

    # stories

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
        with self.transaction():
            if story_id is None:
                cursor = self._db.execute(
                    "INSERT INTO stories (created_at, updated_at, announced_at, entities)"
                    " VALUES (?, ?, ?, ?)",
                    (_iso(now), _iso(now), _iso(now) if announce else None, json.dumps([])),
                )
                story_id = int(cursor.lastrowid or 0)
            row = self._db.execute(
                "SELECT entities FROM stories WHERE id = ?", (story_id,)
            ).fetchone()
            merged = sorted(set(json.loads(row["entities"])) | set(entities))
            self._db.execute(
                "UPDATE stories SET updated_at = ?, entities = ?,"
                " announced_at = CASE WHEN ? THEN ? ELSE announced_at END WHERE id = ?",
                (_iso(now), json.dumps(merged), int(announce), _iso(now), story_id),
            )
            self._db.execute(
                "UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id)
            )
            members = self._db.execute("SELECT id FROM articles WHERE story_id = ?", (story_id,))
            self._db.execute(
                "UPDATE stories SET content_key = ? WHERE id = ?",
                (content_key(r[0] for r in members.fetchall()), story_id),
            )
        return story_id

    def story(self, story_id: int) -> Story:
        row = self._db.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise StoreError(f"no story {story_id}")
        articles = tuple(
            _article(r)
            for r in self._db.execute(
                "SELECT * FROM articles WHERE story_id = ? ORDER BY published, id", (story_id,)
            )
        )
        return Story(
            id=story_id,
            created_at=_dt(row["created_at"]),
            updated_at=_dt(row["updated_at"]),
            articles=articles,
            entities=tuple(json.loads(row["entities"])),
        )

    def stories_without_current_summary(
        self, *, min_new_articles: int = 1, since: datetime | None = None
    ) -> list[Story]:
        """Stories never summarized, and stories whose summary is stale by
        ``bot.summarize.refresh.summary_is_stale``. Grown stories are looked for among those
        updated after ``since`` only (older ones no longer grow), so this stays cheap however
        large the archive gets."""
        rows = self._db.execute(
            "SELECT s.id, m.articles, m.langs, m.method, m.content_key FROM stories s"
            " LEFT JOIN summaries m ON m.story_id = s.id"
            " WHERE m.content_key IS NULL"
            " OR (m.content_key != s.content_key AND s.updated_at >= ?) ORDER BY s.id",
            (_iso(since) if since else "",),
        ).fetchall()
        result: list[Story] = []
        for row in rows:
            story = self.story(row["id"])
            if row["content_key"] is None:
                result.append(story)
                continue
            done = SummaryState(
                row["articles"], frozenset(row["langs"].split(",")) - {""}, row["method"]
            )
            if summary_is_stale(
                done,
                articles=len(story.articles),
                langs=frozenset(a.lang for a in story.articles),
                resummarize_after=min_new_articles,
            ):
                result.append(story)
        return result

    def record_llm_use(
        self, day: str, kind: str, *, calls: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        self._db.execute(
            """INSERT INTO llm_usage (day, kind, calls, prompt_tokens, completion_tokens)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (day, kind) DO UPDATE SET calls = calls + excluded.calls,
                   prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                   completion_tokens = completion_tokens + excluded.completion_tokens""",
            (day, kind, calls, prompt_tokens, completion_tokens),
        )

    def llm_tokens(self, day: str) -> int:
        row = self._db.execute(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_usage"
            " WHERE day = ?",
            (day,),
        ).fetchone()
        return int(row[0])

    def llm_usage(self, days: int = 7) -> list[tuple[str, str, int, int, int]]:
        """(day, kind, calls, prompt tokens, completion tokens), newest day first."""
        rows = self._db.execute(
            "SELECT day, kind, calls, prompt_tokens, completion_tokens FROM llm_usage"
            " WHERE day IN (SELECT DISTINCT day FROM llm_usage ORDER BY day DESC LIMIT ?)"
            " ORDER BY day DESC, kind",
            (days,),
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def counts(self) -> dict[str, int]:
        """Sizes of the archive, for ``digestbot stats``."""
        result = {}
        for table in ("articles", "seen", "stories", "summaries"):
            result[table] = int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return result

    def save_summary(self, story: Story, summary: Summary, now: datetime) -> None:
        self._db.execute(
            """INSERT INTO summaries (story_id, content_key, headline_ar, summary_ar, headline_en,
                   summary_en, method, model, created_at, articles, langs)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (story_id) DO UPDATE SET content_key = excluded.content_key,
                   headline_ar = excluded.headline_ar, summary_ar = excluded.summary_ar,
                   headline_en = excluded.headline_en, summary_en = excluded.summary_en,
                   method = excluded.method, model = excluded.model,
                   created_at = excluded.created_at, articles = excluded.articles,
                   langs = excluded.langs""",
            (
                story.id,
                content_key(a.id for a in story.articles),
                summary.headline_ar,
                summary.summary_ar,
                summary.headline_en,
                summary.summary_en,
                summary.method,
                summary.model,
                _iso(now),
                len(story.articles),
                ",".join(sorted({a.lang for a in story.articles})),
            ),
        )

    def summary(self, story_id: int) -> Summary | None:
        row = self._db.execute("SELECT * FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
        if row is None:
            return None
        return Summary(
            headline_ar=row["headline_ar"],
            summary_ar=row["summary_ar"],
            headline_en=row["headline_en"],
            summary_en=row["summary_en"],
            method=row["method"],
            model=row["model"],
        )

    def announced_stories(self, since: datetime | None, until: datetime) -> list[Story]:
        """Stories that gained an announceable article in ``(since, until]``."""
        if since is None:
            rows = self._db.execute(
                "SELECT id FROM stories WHERE announced_at IS NOT NULL AND announced_at <= ?",
                (_iso(until),),
            )
        else:
            rows = self._db.execute(
                "SELECT id FROM stories WHERE announced_at > ? AND announced_at <= ?",
                (_iso(since), _iso(until)),
            )
        return [self.story(row["id"]) for row in rows.fetchall()]

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
                (_iso(until),),
            )
        else:
            rows = self._db.execute(
                "SELECT DISTINCT story_id FROM articles WHERE announce = 1"
                " AND story_id IS NOT NULL AND seen_at > ? AND seen_at <= ? ORDER BY story_id",
                (_iso(since), _iso(until)),
            )
        return [self.story(row[0]) for row in rows.fetchall()]

    # outbox

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
    ) -> int:
        """Write every part of a digest to the outbox in one transaction. Idempotent per key."""
        with self.transaction():
            for index, text in enumerate(parts):
                self._db.execute(
                    """INSERT OR IGNORE INTO outbox (platform, chat_id, thread_id, digest_key,
                           period_end, part, text, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        platform,
                        chat_id,
                        thread_id,
                        digest_key,
                        _iso(period_end),
                        index,
                        text,
                        _iso(now),
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
        with self.transaction():
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

    def move_chat(self, platform: str, old_id: int, new_id: int) -> None:
        self._db.execute(
            "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ?",
            (new_id, platform, old_id),
        )

    def outbox_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in rows}

    # search

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        offset: int = 0,
        expand: AliasExpander | None = None,
    ) -> list[SearchHit]:
        """Articles matching ``query``, best first (bm25 and recency, see ``bot.store.ranking``);
        odd input never raises.

        ``lang:``, ``source:`` and ``since:`` filters narrow the result (see ``split_filters``);
        a query of filters only lists the newest matching articles.
        """
        words, filters = split_filters(query)
        match = build_match(words, expand)
        if match is None and not filters.any:
            return []
        where: list[str] = []
        params: list[object] = []
        if filters.lang is not None:
            where.append("a.lang = ?")
            params.append(filters.lang)
        if filters.source is not None:
            where.append("instr(lower(a.source), ?) > 0")
            params.append(filters.source)
        if filters.since is not None:
            where.append("a.published >= ?")
            params.append(_iso(filters.since))
        if match is None:
            sql = (
                "SELECT a.* FROM articles a WHERE "
                + " AND ".join(where)
                + " ORDER BY a.published DESC LIMIT ? OFFSET ?"
            )
            try:
                rows = self._db.execute(sql, [*params, limit, offset]).fetchall()
            except sqlite3.OperationalError:
                return []
            return [_hit(row) for row in rows]
        try:
            rowids = self._ranked_matches(match, where, params, limit, offset)
            if not rowids:
                return []
            marks = ",".join("?" * len(rowids))
            found = {
                row["rowid"]: row
                for row in self._db.execute(
                    f"SELECT * FROM articles WHERE rowid IN ({marks})", rowids
                )
            }
        except sqlite3.OperationalError:
            return []  # a query the index cannot answer is "no results", never a crash
        return [_hit(found[rowid]) for rowid in rowids if rowid in found]

    def _ranked_matches(
        self, match: str, where: list[str], params: list[object], limit: int, offset: int
    ) -> list[int]:
        """Row ids of one page of matches (see ``bot.store.ranking``)."""
        filters = "".join(f" AND {clause}" for clause in where)
        rows = self._db.execute(ranked_page_sql(filters), [match, *params, limit, offset])
        page = [row[0] for row in rows]
        if len(page) == limit:
            return page
        # The page ran past the ranked candidates: are there older matches?
        count, oldest = self._db.execute(
            candidates_bounds_sql(filters), [match, *params]
        ).fetchone()
        if count < RANK_CANDIDATES:
            return page
        skip = max(0, offset - count)
        older = self._db.execute(
            older_matches_sql(filters), [match, oldest, *params, limit - len(page), skip]
        )
        return page + [row[0] for row in older]

    def transaction(self) -> Transaction:
        """All writes inside happen together or not at all; transactions nest."""
        return Transaction(self._db)


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        feed_url=row["feed_url"],
        source=row["source"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        lang=row["lang"],
        published=_dt(row["published"]),
        seen_at=_dt(row["seen_at"]),
    )


def _hit(row: sqlite3.Row) -> SearchHit:
    return SearchHit(article=_article(row), snippet=_snippet(row["summary"]))


def _snippet(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
