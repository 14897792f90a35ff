"""The archive in SQLite (WAL): articles, stories, summaries, the delivery outbox and the
full-text index. ``Archive`` is the one object callers use; what it holds is kept, one concern
a module, in mixins over its one connection:

- ``bot.store.migrations``  the schema and its migrations (``PRAGMA user_version``)
- ``bot.store.articles``    archived articles and the ids of irrelevant items seen
- ``bot.store.stories``     stories, and which had news in a period
- ``bot.store.merges``      two stories found to be one event, folded into one
- ``bot.store.summaries``   a summary per story, and what it was made from
- ``bot.store.usage``       LLM calls, tokens and rejected answers per day
- ``bot.store.outbox``      messages to send and alerts sent
- ``bot.store.story_messages`` which stories each part carried to a chat, and its message id
- ``bot.store.pages``       the stories a digest had no room for, page by page
- ``bot.store.search``      full-text search, and its read-only connection for the chats
- ``bot.store.upkeep``      retention, optimize, checkpoints and backups
- ``bot.store.watch``       watched terms run against each poll's new articles, and the
                            alerts they sent

Its error contract (``bot.store.boundary``): every public method raises ``StoreError``, with the
SQLite error as its cause, never ``sqlite3.Error``.

One connection, used from one thread (the event loop's); searches from the chats run on a
read-only second one in a thread of their own (``bot.store.search``).

Opening refuses what would silently lose the history: an archive file of 0 bytes (SQLite would
take it for a new, empty database and delete the WAL file beside it) and a file digestbot may
not write (the first write would fail in the middle of a poll). ``read_only=True`` is for the
commands that only look (``status``, ``search``, ``stats``): SQLite's ``mode=ro``, nothing
created, migrated or written, so they work on a data folder the user may only read.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.errors import StoreError
from bot.store.archive_file import connect_read_only, error_message, refuse_unusable_file
from bot.store.articles import ArchiveArticles, ArchivedArticle, fingerprint
from bot.store.boundary import store_boundary
from bot.store.merges import ArchiveMerges, content_key
from bot.store.migrations import MIGRATIONS, check_readable_version, migrate, schema_version
from bot.store.outbox import ArchiveOutbox
from bot.store.pages import ArchivePages
from bot.store.search import ArchiveSearch
from bot.store.stories import ArchiveStories
from bot.store.story_messages import ArchiveStoryMessages
from bot.store.summaries import ArchiveSummaries
from bot.store.transaction import StoreTransaction
from bot.store.upkeep import ArchiveUpkeep
from bot.store.usage import REJECTED, ArchiveUsage
from bot.store.watch import ArchiveWatch

# What callers import from here, wherever it is kept.
__all__ = [
    "ARCHIVE_FILE",
    "MIGRATIONS",
    "REJECTED",
    "Archive",
    "ArchivedArticle",
    "content_key",
    "fingerprint",
]

ARCHIVE_FILE = "archive.sqlite3"


@store_boundary
class Archive(
    ArchiveArticles,
    ArchiveStories,
    ArchiveSummaries,
    ArchiveUsage,
    ArchiveOutbox,
    ArchiveStoryMessages,
    ArchivePages,
    ArchiveSearch,
    ArchiveUpkeep,
    ArchiveMerges,
    ArchiveWatch,
):
    """Articles, stories, summaries and the outbox in ``<data_dir>/archive.sqlite3``.

    Raises ``StoreError`` when the database cannot be opened, migrated, read or written.
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
                    check_readable_version(path, schema_version(self._db))
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

    def _migrate(self) -> None:
        # an older archive is kept as it was, in case a migration goes wrong in a way its
        # transaction cannot undo
        migrate(self._db, self.path, self.backup_before_migration)

    @classmethod
    def in_dir(cls, data_dir: Path, *, read_only: bool = False) -> Archive:
        return cls(data_dir / ARCHIVE_FILE, read_only=read_only)

    def close(self) -> None:
        self.close_search()
        self._db.close()

    @property
    def schema_version(self) -> int:
        return schema_version(self._db)

    def counts(self) -> dict[str, int]:
        """Sizes of the archive, for ``digestbot stats``."""
        result = {}
        for table in ("articles", "seen", "stories", "summaries"):
            result[table] = int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        merged = self._db.execute("SELECT count(*) FROM stories WHERE merged_into IS NOT NULL")
        result["stories"] -= int(merged.fetchone()[0])
        return result

    def last_delivery(self) -> tuple[str | None, str | None]:
        """The status and error of the newest outbox message that was sent or given up on (a
        message dropped because its chat left is neither), for ``digestbot status``."""
        row = self._db.execute(
            "SELECT status, error FROM outbox WHERE status IN ('sent', 'failed')"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return (str(row[0]), row[1]) if row is not None else (None, None)

    def move_chat(self, platform: str, old_id: int, new_id: int) -> None:
        """Everything the archive keeps of a chat follows it to its new id (a Telegram group
        that became a supergroup), in one transaction: its outbox, the stories it was shown,
        its watch alerts and its page tokens."""
        with self.transaction():
            self.move_outbox(platform, old_id, new_id)
            self.move_chat_stories(platform, old_id, new_id)

    def transaction(self) -> StoreTransaction:
        """All writes inside happen together or not at all; transactions nest."""
        return StoreTransaction(self._db, self.path)
