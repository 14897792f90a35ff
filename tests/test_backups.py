"""Backups: the archive is copied before a schema migration, the state file before a format
migration, and a corrupt state file at start is a clear error naming the file and its last
good copy, with nothing overwritten."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import StoreError
from bot.models import Chat
from bot.store import state_file
from bot.store.archive import ARCHIVE_FILE, MIGRATIONS, Archive
from bot.store.state import STATE_FILE, StateStore
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import digestbot, fresh_feed, write_config

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
    with pytest.raises(StoreError, match=r"cannot back up to .*bak-v1"):
        Archive(path)
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


# the state file: corrupt at start


@pytest.fixture
def corrupt_with_backup(tmp_path: Path) -> Iterator[tuple[Path, bytes, bytes]]:
    state = StateStore(tmp_path)
    state.save_chat(Chat("telegram", 42, subscribed=True))
    assert state.refresh_backup()
    assert not state.refresh_backup()  # unchanged: not written again
    state.close()
    path = tmp_path / STATE_FILE
    good = path.read_bytes()
    broken = good[: len(good) // 2]  # as a disk fault or a hand edit might leave it
    path.write_bytes(broken)
    yield path, broken, good


def test_a_corrupt_state_file_names_the_file_and_the_backup(
    corrupt_with_backup: tuple[Path, bytes, bytes],
) -> None:
    path, broken, good = corrupt_with_backup
    backup = path.with_name(f"{STATE_FILE}.bak")
    with pytest.raises(StoreError) as caught:
        StateStore(path.parent)
    message = str(caught.value)
    assert str(path) in message and str(backup) in message
    assert f"cp {backup} {path}" in message and "left as it is" in message
    assert path.read_bytes() == broken  # nothing overwritten
    assert backup.read_bytes() == good
    # a corrupt file never replaces the last good copy
    with pytest.raises(StoreError):
        state_file.refresh_backup(path)
    assert backup.read_bytes() == good


def test_the_restore_advice_works(corrupt_with_backup: tuple[Path, bytes, bytes]) -> None:
    path, _, _ = corrupt_with_backup
    backup = path.with_name(f"{STATE_FILE}.bak")
    path.rename(path.with_name(f"{STATE_FILE}.corrupt"))
    path.write_bytes(backup.read_bytes())
    state = StateStore(path.parent)
    assert state.chat("telegram", 42) is not None
    state.close()


def test_a_corrupt_state_file_without_a_backup_says_so(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_bytes(b'{"chats": {"1": ')
    with pytest.raises(StoreError, match=r"there is no backup \(.*state\.json\.bak does not"):
        StateStore(tmp_path)
    assert path.read_bytes() == b'{"chats": {"1": '


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    with server.run_in_thread() as running:
        running.add("/wire.xml", fresh_feed())
        yield running


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the message")
def test_commands_stop_on_a_corrupt_state_file(
    tmp_path: Path, feeds: FeedServer, corrupt_with_backup: tuple[Path, bytes, bytes]
) -> None:
    path, broken, good = corrupt_with_backup
    config = write_config(tmp_path / "config.toml", feeds)
    for command in ("run", "status", "once"):
        done = digestbot(command, "--config", str(config), "--data-dir", str(path.parent))
        assert done.returncode == 2, (command, done.stderr)
        assert f"{path}: the state file is corrupt" in done.stderr, command
        assert f"cp {path}.bak {path}" in done.stderr, command
        assert path.read_bytes() == broken
        assert path.with_name(f"{STATE_FILE}.bak").read_bytes() == good
    assert feeds.headers_of("/wire.xml") == []  # stopped before any work


def test_once_refreshes_the_backup(tmp_path: Path, feeds: FeedServer) -> None:
    config = write_config(tmp_path / "config.toml", feeds)
    data = tmp_path / "data"
    done = digestbot("once", "--config", str(config), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    backup = data / f"{STATE_FILE}.bak"
    # the copy is of the file as it read at start (the feed was added in that same start)
    assert json.loads(backup.read_text())["feeds"]


def test_a_file_corrupted_under_a_running_store_names_the_backup(tmp_path: Path) -> None:
    state = StateStore(tmp_path)
    state.save_chat(Chat("telegram", 42, subscribed=True))
    state.refresh_backup()
    path = tmp_path / STATE_FILE
    path.write_bytes(b'{"chats": ')
    with pytest.raises(StoreError, match=r"state\.json\.bak; to restore it, stop digestbot"):
        state.chats()
    assert path.read_bytes() == b'{"chats": '
    state.close()
