"""A corrupt state file at start: a clear error naming the file and its last good copy, with
the way to restore it; nothing is overwritten, and no command goes on to do any work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Chat
from bot.store import state_file
from bot.store.state import STATE_FILE, StateStore
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import digestbot, fresh_feed, write_config

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
