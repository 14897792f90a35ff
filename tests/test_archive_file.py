"""The archive file at start: an empty file is refused like a corrupt one (not opened as a new
archive), a damaged page or a read-only file is one clear line from every command, and the
commands that only look (``status``, ``search``, ``stats``) write nothing at all."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Article, Chat, Decision
from bot.store.archive import ARCHIVE_FILE, Archive
from bot.store.state import StateStore
from tests import unprivileged
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import clean_env, digestbot, write_config

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def article(number: int) -> Article:
    return Article(
        id=f"id-{number}",
        feed_url="https://wire.example/rss",
        source="Wire",
        url=f"https://wire.example/{number}",
        title=f"North Korean troops in Kursk, report {number}",
        summary="Pyongyang and Moscow " * 40,
        lang="en",
        published=NOW - timedelta(hours=number),
        seen_at=NOW,
    )


def used_data_folder(data: Path, articles: int = 3) -> None:
    """A data folder with history: a subscribed chat and archived articles."""
    state = StateStore(data)
    state.save_chat(Chat("telegram", 42, subscribed=True))
    state.close()
    archive = Archive.in_dir(data)
    decision = Decision(relevant=True, score=0.9, matched=("kursk",), reason="test")
    for number in range(articles):
        archive.add_article(article(number), decision, announce=True)
    archive.close()


SQLITE_READER_FILES = (f"{ARCHIVE_FILE}-wal", f"{ARCHIVE_FILE}-shm")
"""What SQLite itself makes for a reader of a WAL database, where it may: an empty log and the
readers' shared memory (a running bot has them open; removing them would be the harm)."""


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of ``folder`` with its size and modification time, but SQLite's files for
    readers when they hold nothing."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if not (p.name == SQLITE_READER_FILES[0] and p.stat().st_size == 0)
        and p.name != SQLITE_READER_FILES[1]
    }


# an empty archive file


def test_an_empty_archive_file_is_refused_not_opened_as_new(tmp_path: Path) -> None:
    path = tmp_path / ARCHIVE_FILE
    path.write_bytes(b"")
    for read_only in (False, True):
        with pytest.raises(StoreError) as caught:
            Archive(path, read_only=read_only)
        message = str(caught.value)
        assert f"{path}: the archive file is empty (0 bytes)" in message
        assert f"mv {path} {path}.empty" in message and "left as it is" in message
        assert "there is no copy" in message
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == [ARCHIVE_FILE]


def test_the_wal_beside_an_empty_archive_is_kept_and_named(tmp_path: Path) -> None:
    path = tmp_path / ARCHIVE_FILE
    used_data_folder(tmp_path)
    copy = Archive.in_dir(tmp_path).backup_to(tmp_path / f"{ARCHIVE_FILE}.bak-manual")
    path.write_bytes(b"")
    wal = tmp_path / f"{ARCHIVE_FILE}-wal"
    wal.write_bytes(b"frames SQLite would delete on opening an empty database")
    with pytest.raises(StoreError) as caught:
        Archive(path)
    message = str(caught.value)
    assert f"keep {wal} with it" in message
    assert f"cp {copy} {path}" in message
    assert wal.read_bytes() == b"frames SQLite would delete on opening an empty database"


def test_a_missing_archive_is_a_fresh_install(tmp_path: Path) -> None:
    Archive.in_dir(tmp_path).close()
    assert (tmp_path / ARCHIVE_FILE).stat().st_size > 0


def test_commands_stop_on_an_empty_archive(tmp_path: Path, feeds: FeedServer) -> None:
    data = tmp_path / "data"
    used_data_folder(data)
    path = data / ARCHIVE_FILE
    path.write_bytes(b"")
    config = write_config(tmp_path / "config.toml", feeds)
    for command in ("once", "status", "stats"):
        done = digestbot(command, "--config", str(config), "--data-dir", str(data))
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.startswith(f"digestbot: {path}: the archive file is empty"), command
        assert done.stderr.count("\n") == 1, done.stderr
        assert path.read_bytes() == b""
    assert feeds.headers_of("/wire.xml") == []  # stopped before any work


# a damaged page, a read-only file


def damage(path: Path) -> None:
    """Overwrite every page after the first (the header and the schema) with garbage."""
    size = path.stat().st_size
    page = 4096
    assert size > 4 * page, "enough pages to damage"
    with path.open("r+b") as handle:
        for offset in range(page, size, page):
            handle.seek(offset)
            handle.write(bytes((offset // page + i) % 251 for i in range(page)))


def test_a_damaged_archive_page_is_one_clear_line(tmp_path: Path, feeds: FeedServer) -> None:
    data = tmp_path / "data"
    used_data_folder(data, articles=60)
    path = data / ARCHIVE_FILE
    damage(path)
    damaged = path.read_bytes()
    config = write_config(tmp_path / "config.toml", feeds)
    for command in (["once"], ["status"], ["stats"], ["search", "Kursk"]):
        done = digestbot(*command, "--config", str(config), "--data-dir", str(data))
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        lines = done.stderr.splitlines()
        assert [line for line in lines if line.startswith("digestbot: ")] == lines[-1:]
        assert f"{path}: the archive is damaged" in lines[-1], command
        assert f"mv {path} {path}.damaged" in lines[-1]
        assert path.read_bytes() == damaged


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_archive_file_is_one_clear_line(tmp_path: Path, feeds: FeedServer) -> None:
    data = tmp_path / "data"
    used_data_folder(data)
    path = data / ARCHIVE_FILE
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    config = write_config(tmp_path / "config.toml", feeds)
    done = digestbot(
        "once", "--config", str(config), "--data-dir", str(data), prefix=unprivileged.prefix()
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"digestbot: {path}: read-only for this user"), done.stderr
    assert done.stderr.count("\n") == 1
    assert feeds.headers_of("/wire.xml") == []  # refused at start, not in the middle of a poll
    # the commands that only look read it as it is
    done = digestbot(
        "stats", "--config", str(config), "--data-dir", str(data), prefix=unprivileged.prefix()
    )
    assert done.returncode == 0, done.stderr
    assert "archive: 3 relevant articles" in done.stdout


# the commands that only look


@pytest.mark.parametrize("command", [["status"], ["stats"], ["search", "Kursk"]])
def test_read_only_commands_write_nothing(
    tmp_path: Path, feeds: FeedServer, command: list[str]
) -> None:
    data = tmp_path / "data"
    used_data_folder(data)
    before = listing(data)
    config = write_config(tmp_path / "config.toml", feeds)  # a configured feed not stored yet
    done = digestbot(*command, "--config", str(config), "--data-dir", str(data))
    assert done.returncode in (0, 1), done.stderr  # status: 1 for "unhealthy"
    assert listing(data) == before


@pytest.mark.parametrize("command", [["status"], ["stats"], ["search", "Kursk"]])
def test_read_only_commands_on_a_missing_folder_create_nothing(
    tmp_path: Path, feeds: FeedServer, command: list[str]
) -> None:
    config = write_config(tmp_path / "config.toml", feeds)
    done = digestbot(*command, "--config", str(config), "--data-dir", str(tmp_path / "none"))
    assert done.returncode in (0, 1), done.stderr
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_status_and_search_work_on_a_read_only_data_folder(
    tmp_path: Path, feeds: FeedServer
) -> None:
    data = tmp_path / "data"
    used_data_folder(data)
    for name in os.listdir(data):
        (data / name).chmod(stat.S_IRUSR | stat.S_IRGRP)
    data.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    config = write_config(tmp_path / "config.toml", feeds)
    try:
        searched = digestbot(
            "search",
            "Kursk",
            "--config",
            str(config),
            "--data-dir",
            str(data),
            prefix=unprivileged.prefix(),
        )
        status = digestbot(
            "status",
            "--config",
            str(config),
            "--data-dir",
            str(data),
            prefix=unprivileged.prefix(),
        )
    finally:
        data.chmod(stat.S_IRWXU)
    assert searched.returncode == 0, searched.stderr
    assert "1. North Korean troops in Kursk" in searched.stdout
    assert status.returncode in (0, 1), status.stderr
    assert "Traceback" not in status.stderr and "health:" in status.stdout


# a reader that stops reading


def test_search_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    data = tmp_path / "data"
    used_data_folder(data, articles=30)
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "search", "Kursk", "--limit", "30", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # `| head -0`: the reader is gone before the first line
    errors = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141, errors
    assert errors == ""


def test_sqlite_sees_the_damage_the_commands_report(tmp_path: Path) -> None:
    """The damage made above is what SQLite reports as a malformed image (not a file it
    refuses at once), so the commands meet it in the middle of their work."""
    used_data_folder(tmp_path, articles=60)
    damage(tmp_path / ARCHIVE_FILE)
    db = sqlite3.connect(tmp_path / ARCHIVE_FILE)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        db.execute("SELECT count(*) FROM articles").fetchone()
    db.close()
