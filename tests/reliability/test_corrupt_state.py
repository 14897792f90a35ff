"""A corrupt state file at start: a clear error naming the file and its last good copy, with
the way to restore it; nothing is overwritten, and no command goes on to do any work."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Chat
from bot.store import state_file
from bot.store.state import STATE_FILE, StateStore
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import digestbot, write_config

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


# an empty state file: corrupt, never a fresh install


def test_an_empty_state_file_is_corrupt_not_a_fresh_install(
    corrupt_with_backup: tuple[Path, bytes, bytes],
) -> None:
    path, _, good = corrupt_with_backup
    path.write_bytes(b"")  # as a crash on some file systems, or a mistaken `> state.json`
    with pytest.raises(StoreError) as caught:
        StateStore(path.parent)
    message = str(caught.value)
    assert f"{path}: the state file is corrupt (the file is empty)" in message
    assert f"cp {path}.bak {path}" in message
    with pytest.raises(StoreError):
        state_file.refresh_backup(path)
    assert path.read_bytes() == b""
    assert path.with_name(f"{STATE_FILE}.bak").read_bytes() == good


def test_an_empty_state_file_without_a_backup_says_how_to_start_afresh(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_bytes(b" \n")
    with pytest.raises(StoreError, match=r"there is no backup .*: mv \S*state\.json \S*\.corrupt"):
        StateStore(tmp_path)
    assert path.read_bytes() == b" \n"


def test_once_stops_on_an_empty_state_file_and_keeps_the_backup(
    tmp_path: Path, feeds: FeedServer, corrupt_with_backup: tuple[Path, bytes, bytes]
) -> None:
    path, _, good = corrupt_with_backup
    path.write_bytes(b"")
    config = write_config(tmp_path / "config.toml", feeds)
    done = digestbot("once", "--config", str(config), "--data-dir", str(path.parent))
    assert done.returncode == 2, done.stderr
    assert "the state file is corrupt (the file is empty)" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == b""
    assert path.with_name(f"{STATE_FILE}.bak").read_bytes() == good  # not the empty state
    assert feeds.headers_of("/wire.xml") == []


# a backup is never replaced by a smaller state without a word


def _state_with(path: Path, chats: int, feeds: int) -> None:
    document = {
        "chats": {
            str(i): {"platform": "telegram", "chat_id": i, "subscribed": True}
            for i in range(1, chats + 1)
        },
        "feeds": {
            str(i): {"url": f"https://f{i}.example/rss", "name": f"F{i}"}
            for i in range(1, feeds + 1)
        },
    }
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_backup_listing_more_chats_is_kept_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / STATE_FILE
    _state_with(path, chats=3, feeds=5)
    assert state_file.refresh_backup(path)
    larger = path.with_name(f"{STATE_FILE}.bak").read_bytes()
    _state_with(path, chats=1, feeds=5)
    when = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
    with caplog.at_level(logging.WARNING):
        assert state_file.refresh_backup(path, now=when)
    aside = tmp_path / f"{STATE_FILE}.bak-20260301T123005Z"
    assert aside.read_bytes() == larger
    assert path.with_name(f"{STATE_FILE}.bak").read_bytes() == path.read_bytes()
    warning = caplog.text
    assert "1 chats, 5 feeds" in warning and "3 chats, 5 feeds" in warning
    assert str(aside) in warning


def test_a_growing_state_refreshes_the_backup_and_keeps_nothing_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / STATE_FILE
    _state_with(path, chats=1, feeds=2)
    state_file.refresh_backup(path)
    _state_with(path, chats=2, feeds=2)
    with caplog.at_level(logging.WARNING):
        assert state_file.refresh_backup(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE, f"{STATE_FILE}.bak"]
    assert not caplog.records


def test_fewer_feeds_keep_the_backup_aside_too(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    _state_with(path, chats=2, feeds=4)
    state_file.refresh_backup(path)
    larger = path.with_name(f"{STATE_FILE}.bak").read_bytes()
    _state_with(path, chats=5, feeds=0)
    state_file.refresh_backup(path, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert (tmp_path / f"{STATE_FILE}.bak-20260102T000000Z").read_bytes() == larger
