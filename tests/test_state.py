"""The TinyDB state store and its atomic storage."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Chat, FeedSource
from bot.store.state import StateStore

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)


WAL_FILES = ("-wal", "-shm")  # the feeds' SQLite log while it is open, not a temp file


def test_chats_round_trip_and_survive_reopen(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    chat = Chat(
        "telegram",
        -100123,
        lang="ar",
        subscribed=True,
        subscribed_at=NOW,
        thread_id=7,
        digest_times=("07:30", "19:00"),
        timezone="Asia/Riyadh",
        alerts=True,
    )
    store.save_chat(chat)
    store.save_chat(Chat("telegram", 42))
    store.close()

    again = StateStore(tmp_path)
    assert again.chat("telegram", -100123) == chat
    assert [c.chat_id for c in again.chats(subscribed_only=True)] == [-100123]
    moved = again.move_chat(chat, -100999)
    assert again.chat("telegram", -100123) is None
    assert again.chat("telegram", -100999) == moved
    assert moved.subscribed and moved.lang == "ar"


def test_sync_feeds_stamps_new_feeds_only(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    first = store.sync_feeds([FeedSource("https://a.example/rss", "A", "en")], NOW)
    later = datetime(2024, 12, 1, tzinfo=UTC)
    second = store.sync_feeds(
        [FeedSource("https://a.example/rss", "A2", "en"), FeedSource("https://b.example/", "B")],
        later,
    )
    assert first[0].added_at == NOW
    assert second[0].added_at == NOW and second[0].name == "A2"
    assert second[1].added_at == later


def test_the_file_is_replaced_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path)
    store.save_chat(Chat("telegram", 1))
    path = tmp_path / "state.json"
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: str, dst: str) -> None:
        assert json.loads(Path(src).read_text(encoding="utf-8"))  # complete before the rename
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    store.save_chat(Chat("telegram", 2))
    assert renames and all(dst == "state.json" != src for src, dst in renames)
    assert json.loads(path.read_text(encoding="utf-8"))["chats"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(WAL_FILES)) == [
        "feeds.sqlite",
        "state.json",
        "state.json.lock",
    ]  # no temp


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    store.save_chat(Chat("telegram", 1))
    before = (tmp_path / "state.json").read_bytes()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(StoreError, match="No space left"):
        store.save_chat(Chat("telegram", 2))
    assert (tmp_path / "state.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(WAL_FILES)) == [
        "feeds.sqlite",
        "state.json",
        "state.json.lock",
    ]


def test_a_corrupt_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"chats": {"1": ', encoding="utf-8")
    with pytest.raises(StoreError, match=r"state\.json: the state file is corrupt"):
        StateStore(tmp_path).chats()
    assert path.read_text(encoding="utf-8") == '{"chats": {"1": '


def test_many_feeds_are_saved_in_one_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.models import FeedState
    from bot.store.feed_table import FeedTable

    store = StateStore(tmp_path)
    store.save_feeds([FeedState(url=f"https://f{i}.example/", name=f"F{i}") for i in range(50)])
    writes: list[int] = []
    real_write = FeedTable._write

    def counting_write(self: FeedTable, sql: str, rows: Sequence[tuple[str, ...]]) -> None:
        writes.append(len(rows))
        real_write(self, sql, rows)

    monkeypatch.setattr(FeedTable, "_write", counting_write)
    unchanged = store.feeds()[40:]
    updated = [replace(f, failures=3) for f in store.feeds()[:40]]
    new = [FeedState(url=f"https://new{i}.example/", name="N") for i in range(10)]
    store.save_feeds(updated + unchanged + new)
    assert writes == [50]  # one transaction, of the rows that changed only
    feeds = {f.url: f for f in store.feeds()}
    assert len(feeds) == 60
    assert sum(f.failures == 3 for f in feeds.values()) == 40


def test_temp_files_left_by_a_killed_write_are_removed_at_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path)
    store.save_chat(Chat("telegram", 1))
    store.close()
    old = tmp_path / ".state.json.k1ll3d"  # what a SIGKILL between write and rename leaves
    old.write_text('{"chats": {}}')
    hour_ago = old.stat().st_mtime - 3600
    os.utime(old, (hour_ago, hour_ago))
    fresh = tmp_path / ".state.json.inflight"  # a running bot's write, in progress right now
    fresh.write_text("{")
    other = tmp_path / ".archive.sqlite3.keep"
    other.write_text("not ours")
    os.utime(other, (hour_ago, hour_ago))

    caplog.set_level("INFO")
    reopened = StateStore(tmp_path)
    assert not old.exists() and fresh.exists() and other.exists()
    assert ".state.json.k1ll3d" in caplog.text
    chat = reopened.chat("telegram", 1)
    assert chat is not None  # the live file is untouched
    reopened.close()


def test_many_chats_are_saved_in_one_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path)
    store.save_chats(Chat(platform="telegram", chat_id=i, subscribed=True) for i in range(30))
    store.save_chat(Chat(platform="discord", chat_id=3, lang="ar"))
    writes: list[int] = []
    real_replace = os.replace

    def counting_replace(src: str, dst: str) -> None:
        writes.append(1)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    changed = [replace(c, last_digest_at=NOW) for c in store.chats(platform="telegram")[:20]]
    new = [Chat(platform="telegram", chat_id=100 + i) for i in range(5)]
    store.save_chats([*changed, *new])
    assert len(writes) == 2  # one update of the present chats, one insert of the new ones
    chats = StateStore(tmp_path).chats()
    assert len(chats) == 36
    assert sum(c.last_digest_at == NOW for c in chats) == 20
    assert store.chat("discord", 3) == Chat(platform="discord", chat_id=3, lang="ar")


def test_two_processes_writing_lose_nothing(tmp_path: Path) -> None:
    # the running bot and a CLI command (`digestbot subscribe`) each with their own store
    bot, cli = StateStore(tmp_path), StateStore(tmp_path)
    bot.save_chat(Chat("telegram", 1))
    cli.save_chat(Chat("telegram", 2, subscribed=True))  # inserted beside the bot
    bot.save_chat(Chat("telegram", 3))  # would reuse the id the bot remembered as next
    assert [c.chat_id for c in StateStore(tmp_path).chats()] == [1, 2, 3]

    def writer(store: StateStore, first: int) -> None:
        for n in range(first, first + 40):
            store.save_chat(Chat("telegram", n))

    threads = [
        threading.Thread(target=writer, args=(bot, 100)),
        threading.Thread(target=writer, args=(cli, 200)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = {c.chat_id for c in StateStore(tmp_path).chats()}
    assert ids == {1, 2, 3, *range(100, 140), *range(200, 240)}  # no change lost
    bot.close()
    cli.close()


def test_a_read_only_store_reads_and_writes_nothing(tmp_path: Path) -> None:
    from bot.models import FeedState

    store = StateStore(tmp_path)
    store.save_chat(Chat("telegram", 1, subscribed=True))
    store.save_feed(FeedState(url="https://kept.example/rss", name="Kept", origin="operator"))
    store.close()
    (tmp_path / "state.json.lock").unlink()
    before = (tmp_path / "state.json").read_bytes()
    feeds_before = (tmp_path / "feeds.sqlite").read_bytes()
    reader = StateStore(tmp_path, read_only=True)
    assert [c.chat_id for c in reader.chats()] == [1]
    # a configured feed not stored yet is listed as a poll would see it, and not stored
    polled = reader.sync_feeds([FeedSource("https://new.example/rss", "New", "en")], now=NOW)
    assert [f.url for f in polled] == ["https://new.example/rss", "https://kept.example/rss"]
    with pytest.raises(StoreError, match="opened read-only"):
        reader.save_chat(Chat("telegram", 2))
    reader.close()
    assert (tmp_path / "state.json").read_bytes() == before
    assert (tmp_path / "feeds.sqlite").read_bytes() == feeds_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.sqlite", "state.json"]
    empty = StateStore(tmp_path / "missing", read_only=True)
    assert empty.chats() == [] and empty.feeds() == []
    empty.close()
    assert not (tmp_path / "missing").exists()
