"""Feeds' states in feeds.sqlite: moved there from an older state.json with their ETags, read
by another process's store, written by a poll in a worker thread and never through the chats'
file."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.config import Settings
from bot.errors import StoreError
from bot.models import Chat, FeedSource, FeedState
from bot.store import state_file
from bot.store.atomic import AtomicJSONStorage
from bot.store.feed_table import FEEDS_FILE, FeedTable
from bot.store.state import STATE_FILE, StateStore
from tests.fakes.feed_server import FeedServer

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
URL = "https://wire.example/rss"

OLD_STATE = {
    "chats": {"1": {"platform": "telegram", "chat_id": 7, "subscribed": True, "lang": "ar"}},
    "feeds": {
        "1": {
            "url": URL,
            "name": "Wire",
            "etag": '"abc"',
            "last_modified": "Tue, 05 Nov 2024 08:00:00 GMT",
            "last_status": 200,
            "last_fetch_at": "2024-11-05T08:00:00+00:00",
            "added_at": "2024-10-01T00:00:00+00:00",
            "from_the_future": [1, 2],
        },
        "2": {"url": "https://mine.example/", "name": "Mine", "origin": "operator"},
    },
}


def write_old_state(folder: Path) -> bytes:
    """A state.json as digestbot wrote it before feeds moved out (format 1: no version)."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(OLD_STATE).encode()
    (folder / STATE_FILE).write_bytes(raw)
    return raw


def test_an_old_state_file_keeps_its_feeds_and_their_validators(tmp_path: Path) -> None:
    original = write_old_state(tmp_path)
    store = StateStore(tmp_path)
    feed = store.feed(URL)
    assert feed is not None and feed.etag == '"abc"' and feed.last_status == 200
    assert feed.last_modified == "Tue, 05 Nov 2024 08:00:00 GMT"
    assert feed.added_at == datetime(2024, 10, 1, tzinfo=UTC)
    assert [f.url for f in store.feeds()] == ["https://mine.example/", URL]
    assert store.chat("telegram", 7) is not None
    store.close()
    # moved, not copied: the chats' file holds no feeds any more, and its old form is kept
    migrated = json.loads((tmp_path / STATE_FILE).read_text())
    assert "feeds" not in migrated and migrated["chats"]
    assert state_file.format_version(migrated) == state_file.STATE_VERSION
    assert (tmp_path / f"{STATE_FILE}.bak-v1").read_bytes() == original
    # a key a newer digestbot wrote is kept in the feed's row
    with sqlite3.connect(tmp_path / FEEDS_FILE) as db:
        (doc,) = db.execute("SELECT doc FROM feeds WHERE url = ?", (URL,)).fetchone()
    assert json.loads(doc)["from_the_future"] == [1, 2]
    again = StateStore(tmp_path)  # the next start: nothing left to move
    assert again.feed(URL) == feed
    again.close()


def test_a_move_interrupted_after_the_copy_is_finished_by_the_next_start(tmp_path: Path) -> None:
    write_old_state(tmp_path)
    table = FeedTable(tmp_path / FEEDS_FILE)  # what a start killed before the migration did
    table.put_documents(OLD_STATE["feeds"].values())
    table.close()
    store = StateStore(tmp_path)
    assert len(store.feeds()) == 2 and store.feed(URL) is not None
    assert "feeds" not in json.loads((tmp_path / STATE_FILE).read_text())
    store.close()


def test_a_read_only_store_reads_an_old_state_file_as_it_is(tmp_path: Path) -> None:
    original = write_old_state(tmp_path)
    reader = StateStore(tmp_path, read_only=True)
    feed = reader.feed(URL)
    assert feed is not None and feed.etag == '"abc"'
    reader.close()
    assert (tmp_path / STATE_FILE).read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE]


def test_a_feed_added_by_another_process_is_seen_and_kept(tmp_path: Path) -> None:
    bot = StateStore(tmp_path)
    polled = bot.sync_feeds([FeedSource(URL, "Wire")], NOW)
    cli = StateStore(tmp_path)  # `digestbot feeds add` beside the running bot
    cli.save_feed(FeedState(url="https://added.example/", name="Added", origin="operator"))
    cli.close()
    assert [f.url for f in bot.sync_feeds([FeedSource(URL, "Wire")], NOW)] == [
        URL,
        "https://added.example/",
    ]
    bot.save_feeds([replace(polled[0], etag='"new"')])
    reopened = StateStore(tmp_path)
    assert {f.url: f.etag for f in reopened.feeds()} == {
        URL: '"new"',
        "https://added.example/": None,
    }
    reopened.close()
    bot.close()


def test_a_backup_from_before_the_move_is_not_kept_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / STATE_FILE
    write_old_state(tmp_path)
    assert state_file.refresh_backup(path)  # the backup of the old file lists its feeds
    StateStore(tmp_path).close()  # moves them out
    with caplog.at_level(logging.WARNING):
        assert state_file.refresh_backup(path)
    assert not list(tmp_path.glob(f"{STATE_FILE}.bak-2*")) and not caplog.records


@pytest.fixture
async def svc(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Services]:
    feed_server.add("/w.xml", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "feeds": [{"url": feed_server.url("/w.xml"), "name": "W"}],
        }
    )
    async with services(settings, now=lambda: NOW) as built:
        yield built


async def test_a_poll_writes_the_feeds_in_a_worker_thread_and_not_the_chats_file(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc.state.save_chats([Chat("telegram", i, subscribed=True) for i in range(1, 200)])
    threads: list[threading.Thread] = []
    real_write = FeedTable._write

    def recorded(self: FeedTable, *args: object) -> None:
        threads.append(threading.current_thread())
        real_write(self, *args)  # type: ignore[arg-type]

    def refused(self: AtomicJSONStorage, *args: object) -> None:
        raise AssertionError("a poll read or wrote the chats' file")

    monkeypatch.setattr(FeedTable, "_write", recorded)
    monkeypatch.setattr(AtomicJSONStorage, "read", refused)
    monkeypatch.setattr(AtomicJSONStorage, "write", refused)
    report = await svc.poller.poll()
    assert report.feeds_ok == 1
    assert threads and threading.main_thread() not in threads
    feed = svc.state.feed(svc.settings.feeds[0].url)
    assert feed is not None and feed.last_status == 200


def test_a_read_during_a_write_does_not_wait_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll's write holds the feeds' file for its fsync; a command reading the feeds on the
    event loop meanwhile gets them as they were before it, at once."""
    store = StateStore(tmp_path)
    store.save_feed(FeedState(url=URL, name="Wire", etag='"old"'))
    seen: list[str | None] = []
    real_write = FeedTable._write

    def reading(self: FeedTable, *args: object) -> None:
        reader = threading.Thread(target=lambda: seen.extend(f.etag for f in store.feeds()))
        reader.start()
        reader.join(timeout=30)  # it would wait for this write to end, which waits for it
        real_write(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FeedTable, "_write", reading)
    store.save_feed(FeedState(url=URL, name="Wire", etag='"new"'))
    assert seen == ['"old"']
    after = store.feed(URL)
    assert after is not None and after.etag == '"new"'
    store.close()


def test_check_config_reads_the_feeds_file_and_a_damaged_one_says_how_to_restore_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    data = tmp_path / "data"
    StateStore(data).close()
    (data / FEEDS_FILE).write_bytes(b"not a database, " * 400)
    assert main(["check-config", "--data-dir", str(data)]) != 0
    error = capsys.readouterr().err
    assert FEEDS_FILE in error and f"{FEEDS_FILE}.bak" in error
    assert "Traceback" not in error


def test_an_unreadable_feed_in_an_old_state_file_is_one_clear_error(tmp_path: Path) -> None:
    old = json.loads(json.dumps(OLD_STATE))
    old["feeds"]["1"]["added_at"] = "garbage"
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / STATE_FILE).write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(StoreError, match=r"feed's state in state\.json is unreadable"):
        StateStore(tmp_path, read_only=True)


def test_a_write_cut_short_by_a_crash_leaves_the_feeds_readable_by_the_read_only_commands(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path)
    store.save_feeds([FeedState(url=URL, name="Wire", etag='"abc"')])
    store.close()
    crash = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA cache_size=1')\n"
        "db.execute('BEGIN IMMEDIATE')\n"
        "for i in range(3000):\n"
        "    db.execute('INSERT OR REPLACE INTO feeds VALUES (?, ?)',"
        " (f'https://x.example/{i}', '{}'))\n"
        "os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", crash, str(tmp_path / FEEDS_FILE)], check=False)
    assert done.returncode == 9  # killed in the middle of its transaction
    reader = StateStore(tmp_path, read_only=True)  # as status, search and stats open it
    try:
        assert [feed.etag for feed in reader.feeds()] == ['"abc"']
    finally:
        reader.close()
