"""The archive in SQLite (WAL): articles, stories, summaries, the delivery outbox and the
full-text index. The schema is versioned with ``PRAGMA user_version``; each migration runs in
one transaction, so a crash mid-migration leaves the previous version intact.

One connection, used from one thread (the event loop's); searches from the chats run on a
read-only second one in a thread of their own (``bot.store.search``).

Opening refuses what would silently lose the history: an archive file of 0 bytes (SQLite would
take it for a new, empty database and delete the WAL file beside it) and a file digestbot may
not write (the first write would fail in the middle of a poll). ``read_only=True`` is for the
commands that only look (``status``, ``search``, ``stats``): SQLite's ``mode=ro``, nothing
created, migrated or written, so they work on a data folder the user may only read.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import StoreError
from bot.ingest.articles import feed_key, link_key
from bot.models import Article, Decision, Story, Summary
from bot.search.query import IndexedText, index_text, shadow_with_numbers
from bot.store.archive_file import connect_read_only, error_message, refuse_unusable_file
from bot.store.merges import ArchiveMerges, content_key
from bot.store.outbox import ArchiveOutbox
from bot.store.search import ArchiveSearch, article_from_row
from bot.store.times import from_text, to_text
from bot.store.transaction import Transaction
from bot.store.upkeep import ArchiveUpkeep
from bot.summarize.refresh import SummaryState, summary_is_stale

ARCHIVE_FILE = "archive.sqlite3"
# In an ``llm_usage`` kind, what separates the client ("summary") from a rejection's reason.
REJECTED = " rejected: "

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
    # 3: article ids scoped to their feed (a guid means something only within its feed); the
    # link key that recognises an item whose guid changes; an article with no link of its own
    # no longer shows its feed's URL (which may carry a private token) and is not announced.
    # The ids in stories' and summaries' content keys stay as they were: both keys keep
    # matching until the story changes, so no summary is redone for the upgrade.
    """
    UPDATE articles SET id = substr(id, 1, 2) || digestbot_feed_key(feed_url) || ':'
        || substr(id, 3) WHERE id GLOB '[guh]:*';
    UPDATE seen SET id = substr(id, 1, 2) || digestbot_feed_key(feed_url) || ':'
        || substr(id, 3) WHERE id GLOB '[guh]:*';
    UPDATE articles SET url = '', announce = 0 WHERE url = feed_url;
    ALTER TABLE articles ADD COLUMN link_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE seen ADD COLUMN link_key TEXT NOT NULL DEFAULT '';
    UPDATE articles SET link_key = digestbot_link_key(url, title);
    CREATE INDEX articles_link ON articles(link_key);
    CREATE INDEX seen_link ON seen(link_key);
    """,
    # 4: figures searchable by value whichever way they are written ("1,500", "١٥٠٠", "12 ألف"):
    # the shadow column of every article indexed before gets the tokens of its figures, read
    # from the normalized title and body the index keeps (``bot.search.query.shadow_with_numbers``)
    """
    UPDATE articles_fts SET shadow = digestbot_number_shadow(shadow, title, body);
    """,
    # 5: a story merged into another stays as a row that points to it, so that its id is never
    # given to a new story (SQLite reuses the largest id once its row is deleted), and an
    # alert already queued under that id never stands for another story
    """
    ALTER TABLE stories ADD COLUMN merged_into INTEGER;
    """,
)


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """An article with what the pipeline decided about it."""

    article: Article
    story_id: int | None
    matched: tuple[str, ...]
    announce: bool


_iso = to_text
_dt = from_text


def fingerprint(article: Article) -> str:
    """Identity of an article's visible text: changes when the publisher edits it."""
    text = f"{article.title}\n{article.summary}\n{article.url}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _key(article: Article, key: str | None) -> str:
    return link_key(article.url, article.title) if key is None else key


class Archive(ArchiveOutbox, ArchiveSearch, ArchiveUpkeep, ArchiveMerges):
    """Articles, stories, summaries and the outbox in ``<data_dir>/archive.sqlite3``.

    Raises ``StoreError`` when the database cannot be opened or migrated.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        refuse_unusable_file(path, read_only=read_only)
        if read_only:
            self._db, in_memory = connect_read_only(path)
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA busy_timeout=5000")
                if in_memory:
                    self._migrate()  # no file yet: a fresh install's empty archive, in memory
                else:
                    self._check_readable_version()
            except BaseException as exc:
                self._db.close()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(error_message(path, exc)) from exc
                raise
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the archive: {exc}") from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except BaseException as exc:
            self._db.close()  # no archive object comes out of a failed start: nothing left open
            if isinstance(exc, sqlite3.Error):
                raise StoreError(error_message(path, exc)) from exc
            raise

    def _check_readable_version(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this digestbot knows"
            )
        if version < len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is older than this digestbot's"
                f" ({len(MIGRATIONS)}); 'digestbot once' or 'run' migrates it (a copy is kept)"
            )

    @classmethod
    def in_dir(cls, data_dir: Path, *, read_only: bool = False) -> Archive:
        return cls(data_dir / ARCHIVE_FILE, read_only=read_only)

    def close(self) -> None:
        self.close_search()
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        # What the migrations compute that SQL cannot: feed-scoped ids and link keys (3), the
        # tokens of figures (4). SQLite wants them even for an archive with no rows to change.
        self._db.create_function("digestbot_feed_key", 1, feed_key, deterministic=True)
        self._db.create_function("digestbot_link_key", 2, link_key, deterministic=True)
        self._db.create_function(
            "digestbot_number_shadow", 3, shadow_with_numbers, deterministic=True
        )
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
        self._db.execute(
            "INSERT OR IGNORE INTO seen (id, feed_url, seen_at, link_key) VALUES (?, ?, ?, ?)",
            (article.id, article.feed_url, _iso(article.seen_at), _key(article, key)),
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
        with self.transaction():
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
                    _iso(article.published),
                    _iso(article.seen_at),
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
        with self.transaction():
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
            (_iso(since),),
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

    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def _archived(self, row: sqlite3.Row) -> ArchivedArticle:
        return ArchivedArticle(
            article=article_from_row(row),
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
            self._db.execute(
                "UPDATE stories SET content_key = ? WHERE id = ?",
                (self._story_content_key(story_id), story_id),
            )
        return story_id

    def story(self, story_id: int) -> Story:
        row = self._db.execute(
            "SELECT * FROM stories WHERE id = ? AND merged_into IS NULL", (story_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no story {story_id}")
        articles = tuple(
            article_from_row(r)
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
            " WHERE s.merged_into IS NULL AND (m.content_key IS NULL"
            " OR (m.content_key != s.content_key AND s.updated_at >= ?)) ORDER BY s.id",
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

    def record_llm_rejections(self, day: str, kind: str, reason: str, count: int) -> None:
        """Count ``count`` answers of ``kind`` rejected for ``reason`` (``format``, ``number``,
        ``name``, ``instruction``). Kept as rows of ``llm_usage`` whose kind carries
        ``REJECTED`` and whose ``calls`` is the count, with no tokens: no new table, and the
        rows stay out of ``llm_usage()`` and the token budget."""
        self.record_llm_use(
            day, f"{kind}{REJECTED}{reason}", calls=count, prompt_tokens=0, completion_tokens=0
        )

    def llm_rejections(self, days: int = 7) -> list[tuple[str, str, str, int]]:
        """(day, kind, reason, answers rejected), newest day first, over the last ``days`` days
        with any LLM use."""
        rows = self._db.execute(
            "SELECT day, kind, calls FROM llm_usage WHERE instr(kind, ?) > 0"
            " AND day IN (SELECT DISTINCT day FROM llm_usage ORDER BY day DESC LIMIT ?)"
            " ORDER BY day DESC, kind",
            (REJECTED, days),
        )
        out = []
        for day, key, count in rows:
            kind, _, reason = key.partition(REJECTED)
            out.append((day, kind, reason, count))
        return out

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
            " AND instr(kind, ?) = 0 ORDER BY day DESC, kind",
            (days, REJECTED),
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def counts(self) -> dict[str, int]:
        """Sizes of the archive, for ``digestbot stats``."""
        result = {}
        for table in ("articles", "seen", "stories", "summaries"):
            result[table] = int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        merged = self._db.execute("SELECT count(*) FROM stories WHERE merged_into IS NOT NULL")
        result["stories"] -= int(merged.fetchone()[0])
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
                "SELECT id FROM stories WHERE announced_at IS NOT NULL AND announced_at <= ?"
                " AND merged_into IS NULL",
                (_iso(until),),
            )
        else:
            rows = self._db.execute(
                "SELECT id FROM stories WHERE announced_at > ? AND announced_at <= ?"
                " AND merged_into IS NULL",
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

    def transaction(self) -> Transaction:
        """All writes inside happen together or not at all; transactions nest."""
        return Transaction(self._db)
