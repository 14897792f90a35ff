"""Backups: the archive is copied before a schema migration, the state file before a format
migration, and its last good copy is refreshed at start (a corrupt state file is in
tests/reliability/test_corrupt_state.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.errors import StoreError
from bot.store import state_file
from bot.store.archive import ARCHIVE_FILE, MIGRATIONS, Archive
from bot.store.feed_table import FEEDS_FILE
from bot.store.state import STATE_FILE, StateStore
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import digestbot, write_config

# the archive


def old_archive(path: Path, version: int) -> None:
    """An archive as an older digestbot left it: the first ``version`` migrations, one row."""
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute("INSERT INTO seen VALUES ('old-id', 'https://f.example/rss', '2024-01-01')")
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


def test_a_migration_first_backs_up_the_archive(tmp_path: Path) -> None:
    path = tmp_path / ARCHIVE_FILE
    old_archive(path, 1)
    archive = Archive(path)
    assert archive.schema_version == len(MIGRATIONS)
    archive.close()
    backup = tmp_path / f"{ARCHIVE_FILE}.bak-v1"
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
        assert copy.execute("SELECT id FROM seen").fetchall() == [("old-id",)]
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert not list(tmp_path.glob(".*.tmp"))


def test_no_backup_for_a_new_or_current_archive(tmp_path: Path) -> None:
    Archive.in_dir(tmp_path).close()  # created at the current version
    Archive.in_dir(tmp_path).close()  # reopened: nothing to migrate
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == []


def test_a_failed_backup_stops_the_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ARCHIVE_FILE
    old_archive(path, 1)

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bot.store.upkeep.os.replace", full_disk)
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr("bot.store.archive.sqlite3.connect", recording_connect)
    with pytest.raises(StoreError, match=r"cannot back up to .*bak-v1"):
        Archive(path)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")  # the failed start left no connection open
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1  # not migrated
    db.close()


# the state file: migrations


def test_a_state_migration_copies_the_file_first(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_text(json.dumps({"chats": {"1": {"platform": "telegram", "chat_id": 5}}}))
    original = path.read_bytes()

    def rename_platform(doc: dict[str, Any]) -> dict[str, Any]:
        for chat in doc["chats"].values():
            chat["platform"] = chat["platform"].upper()
        return doc

    assert state_file.prepare(path, version=2, migrations=(rename_platform,))
    assert (tmp_path / f"{STATE_FILE}.bak-v1").read_bytes() == original
    migrated = json.loads(path.read_text())
    assert migrated["chats"]["1"]["platform"] == "TELEGRAM"
    assert state_file.format_version(migrated) == 2
    # done once: the next start finds the current version
    assert not state_file.prepare(path, version=2, migrations=(rename_platform,))


def test_a_state_file_from_a_newer_digestbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_text(json.dumps({"_meta": {"1": {"version": 99}}}))
    before = path.read_bytes()
    with pytest.raises(StoreError, match="format version 99 is newer"):
        StateStore(tmp_path)
    assert path.read_bytes() == before


def test_once_refreshes_the_backup(tmp_path: Path, feeds: FeedServer) -> None:
    config = write_config(tmp_path / "config.toml", feeds)
    data = tmp_path / "data"
    done = digestbot("once", "--config", str(config), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    # the feeds (added in that same start) are copied beside their file
    backup = data / f"{FEEDS_FILE}.bak"
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT count(*) FROM feeds").fetchone() == (1,)
    copy.close()
