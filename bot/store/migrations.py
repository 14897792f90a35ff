"""The archive's schema: its migrations, one per version, run in order.

The schema is versioned with ``PRAGMA user_version``; each migration runs in one transaction,
so a crash mid-migration leaves the previous version intact. Before an archive of an older
version is migrated, a copy of it is kept (``backup``), in case a migration goes wrong in a way
its transaction cannot undo.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.errors import StoreError
from bot.ingest.articles import feed_key, link_key
from bot.search.query import shadow_with_numbers

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
    # 6: which stories each digest part carried to a chat, the links it showed of each, and
    # the platform's id of the message once sent: a story that grows is sent again as an
    # update showing only the links the chat has not seen, in reply to that first message
    """
    CREATE TABLE story_messages (
        outbox_id INTEGER NOT NULL,
        platform TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        story_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        is_update INTEGER NOT NULL,
        links TEXT NOT NULL,
        message_id INTEGER,
        PRIMARY KEY (outbox_id, story_id)
    ) WITHOUT ROWID;
    CREATE INDEX story_messages_chat ON story_messages(platform, chat_id, story_id, outbox_id);
    """,
    # 7: nothing silently dropped: the stories a digest had no room for, kept under a short
    # page token per (chat, digest) that a button carries back (``bot.store.pages``), and the
    # outbox part's button, as the platform's own markup (JSON)
    """
    ALTER TABLE outbox ADD COLUMN markup TEXT;
    CREATE TABLE digest_pages (
        token TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        digest_key TEXT NOT NULL UNIQUE,
        stories TEXT NOT NULL,
        next INTEGER NOT NULL DEFAULT 0,
        period_start TEXT,
        period_end TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX digest_pages_created ON digest_pages(created_at);
    """,
    # 8 (watch lists; numbered after the migrations of the other issue-17 branches at merge):
    # which (chat, story, term) a watch alert was queued for, so a story that grows later
    # alerts no more; and the last article of the full-text index the watch terms were run
    # against, so each poll looks at its new articles only. (IF NOT EXISTS: the tests that
    # build an older archive from a new one wind back user_version without dropping these.)
    """
    CREATE TABLE IF NOT EXISTS watch_alerts (
        platform TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        story_id INTEGER NOT NULL,
        term TEXT NOT NULL,
        alerted_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, story_id, term)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS watch_mark (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_rowid INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO watch_mark (id, last_rowid) SELECT 1, coalesce(max(rowid), 0)
        FROM articles;
    """,
)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def check_readable_version(path: Path, version: int) -> None:
    """Refuse, for reading only, an archive of another schema version than this digestbot's
    (a reader never migrates)."""
    if version > len(MIGRATIONS):
        raise StoreError(f"{path}: schema version {version} is newer than this digestbot knows")
    if version < len(MIGRATIONS):
        raise StoreError(
            f"{path}: schema version {version} is older than this digestbot's"
            f" ({len(MIGRATIONS)}); 'digestbot once' or 'run' migrates it (a copy is kept)"
        )


def migrate(db: sqlite3.Connection, path: Path, backup: Callable[[int], object]) -> None:
    """Bring the archive on ``db`` to the newest schema; ``backup(version)`` keeps a copy of an
    archive of an older version first."""
    # What the migrations compute that SQL cannot: feed-scoped ids and link keys (3), the
    # tokens of figures (4). SQLite wants them even for an archive with no rows to change.
    db.create_function("digestbot_feed_key", 1, feed_key, deterministic=True)
    db.create_function("digestbot_link_key", 2, link_key, deterministic=True)
    db.create_function("digestbot_number_shadow", 3, shadow_with_numbers, deterministic=True)
    version = schema_version(db)
    if version > len(MIGRATIONS):
        raise StoreError(f"{path}: schema version {version} is newer than this digestbot knows")
    if 0 < version < len(MIGRATIONS):
        backup(version)
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        statements = [s.strip() for s in script.split(";") if s.strip()]
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
