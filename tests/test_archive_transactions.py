"""Archive transactions never stay open after an error: a commit SQLite refuses (as on a full
disk) is rolled back, and the writes after it are committed, not swallowed by a transaction
that never ends. (``tests/reliability/test_full_disk.py`` shows the same on a real full disk.)"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Article
from bot.store.archive import ARCHIVE_FILE, Archive

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)


def seen(number: int) -> Article:
    return Article(
        id=f"seen-{number}",
        feed_url="https://wire.example/rss",
        source="Wire",
        url=f"https://wire.example/{number}",
        title="Weather",
        summary="",
        lang="en",
        published=NOW,
        seen_at=NOW,
    )


def committed(path: Path) -> set[str]:
    """What another connection (``digestbot status``, the next run) sees."""
    db = sqlite3.connect(path / ARCHIVE_FILE)
    try:
        return {row[0] for row in db.execute("SELECT id FROM seen")}
    finally:
        db.close()


def test_a_refused_commit_is_rolled_back_and_later_writes_are_committed(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    try:
        # A deferred constraint makes the commit itself fail, as a full disk can.
        with pytest.raises(StoreError) as refused, archive.transaction():
            archive._db.execute("PRAGMA defer_foreign_keys = ON")
            archive.add_seen(seen(1))
            archive._db.execute(  # a summary of a story that does not exist
                "INSERT INTO summaries (story_id, content_key, method, created_at)"
                " VALUES (999, 'k', 'offline', '2024-11-05')"
            )
        assert isinstance(refused.value.__cause__, sqlite3.IntegrityError)
        assert not archive._db.in_transaction
        archive.add_seen(seen(2))
        with archive.transaction():
            archive.add_seen(seen(3))
        assert committed(tmp_path) == {"seen-2", "seen-3"}
    finally:
        archive.close()


def test_an_error_inside_a_nested_transaction_undoes_only_its_part(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    try:
        with archive.transaction():
            archive.add_seen(seen(1))
            with pytest.raises(ValueError), archive.transaction():
                archive.add_seen(seen(2))
                raise ValueError("this part fails")
            archive.add_seen(seen(3))
        assert committed(tmp_path) == {"seen-1", "seen-3"}
    finally:
        archive.close()


def test_a_prune_whose_commit_is_refused_leaves_no_transaction_open(tmp_path: Path) -> None:
    from datetime import timedelta

    archive = Archive.in_dir(tmp_path)
    refused = []

    def refuse_first_release(action: int, arg1: str | None, *rest: object) -> int:
        # the commit of the prune is refused once, as a full disk can refuse it
        if action == sqlite3.SQLITE_SAVEPOINT and arg1 == "RELEASE" and not refused:
            refused.append(True)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    try:
        archive._db.set_authorizer(refuse_first_release)
        with pytest.raises(StoreError, match="pruning failed"):
            archive.prune_articles(NOW - timedelta(days=1), now=NOW)
        assert refused and not archive._db.in_transaction
        archive.add_seen(seen(1))
        assert committed(tmp_path) == {"seen-1"}
    finally:
        archive.close()
