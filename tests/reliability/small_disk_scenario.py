"""The bot on a disk that fills up, run by ``test_full_disk.py`` in a process of its own.

``DIGESTBOT_SMALL_DISK`` names the data directory's disk and ``DIGESTBOT_DISK_MODE`` how it
fills up:

- ``tmpfs``: a small tmpfs in a user and mount namespace, filled with a ballast file; the
  kernel itself answers ENOSPC, to TinyDB's writes and to SQLite's alike;
- ``file-size-limit``: where namespaces are not allowed, ``RLIMIT_FSIZE`` lowered to 0 in this
  process (SIGXFSZ ignored): every write fails with EFBIG, a harsher disk than a full one.

Not collected on its own (its name does not start with ``test_``): it needs that process.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import resource
import signal
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.archive import ARCHIVE_FILE
from bot.store.feed_table import FEEDS_FILE
from bot.store.state import STATE_FILE
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.reliability.simulated import Newsroom, SimClock, sim_bot, sim_settings
from tests.reliability.support import read_stores, seed_archive

SMALL_DISK = os.environ.get("DIGESTBOT_SMALL_DISK", "")
MODE = os.environ.get("DIGESTBOT_DISK_MODE", "tmpfs")
REASON = {"tmpfs": "No space left on device", "file-size-limit": "File too large"}[MODE]


def fill(directory: Path) -> Callable[[], None]:
    """Leave no room for any write; returns what gives the room back."""
    if MODE == "file-size-limit":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, limits[1]))
        return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, limits)
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1 << 8, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    return ballast.unlink


def logged(caplog: pytest.LogCaptureFixture, since: int) -> str:
    """The log from record ``since`` on, with the exceptions' messages."""
    lines = []
    for record in caplog.records[since:]:
        lines.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
    return "\n".join(lines)


@pytest.mark.skipif(not SMALL_DISK, reason="needs the disk that test_full_disk.py sets up")
async def test_a_full_disk_keeps_the_state_valid_and_the_bot_goes_on_when_space_returns(
    feed_server: FeedServer, telegram_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    disk = Path(SMALL_DISK)
    data = disk / "data"
    data.mkdir()
    start = datetime(2024, 11, 5, 7, 0, tzinfo=UTC)
    seed_archive(data, start - timedelta(hours=1), count=4)
    clock = SimClock(start)
    news = Newsroom(feed_server, seed=3)
    times = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
    settings = sim_settings(data, [news.url], times)
    chats = [41, 42]
    quiet_from = start + timedelta(hours=6)  # the last hour publishes nothing: all is polled

    def publish(now: datetime) -> None:
        if now.minute % 20 == 0 and now < quiet_from:
            news.publish(now - timedelta(minutes=1), count=2)

    async with sim_bot(settings, clock, telegram_api.bot_url) as bot:
        bot.subscribe(chats, ["en", "both"])
        await bot.run_until(start + timedelta(hours=1, minutes=30), on_tick=publish, tracked=True)
        assert telegram_api.messages_to(41), "no digest before the disk filled up"
        before = (data / STATE_FILE).read_bytes()
        errors_before = len(caplog.records)

        free = fill(disk)
        full_until = clock.now + timedelta(hours=2)
        await bot.run_until(full_until, on_tick=publish, tracked=True)
        # The state file kept its old content, whole; no temporary file was left behind.
        assert (data / STATE_FILE).read_bytes() == before
        json.loads(before)
        assert [p.name for p in data.iterdir() if p.name.startswith(f".{STATE_FILE}")] == []
        # The error was logged, naming the file and the reason.
        text = logged(caplog, errors_before)
        # An item that could not be archived leaves its feed's state as it was, and a feed's
        # state is written only when it changed: a state write may not even be tried. One
        # that is names its file and the reason.
        for name in (STATE_FILE, FEEDS_FILE):
            if f"{data / name}: cannot be written" in text:
                assert REASON in text or "database or disk is full" in text
        assert "database or disk is full" in text or "disk I/O error" in text
        sent_while_full = len(telegram_api.sent)

        free()  # space returns
        await bot.run_until(quiet_from + timedelta(hours=1), on_tick=publish, tracked=True)
        assert (data / STATE_FILE).read_bytes() != before  # writes go through again
        json.loads((data / STATE_FILE).read_text(encoding="utf-8"))
        assert len(telegram_api.sent) > sent_while_full

    # Nothing was lost: every item is archived (those fetched while the disk was full were
    # fetched again), every part of every digest went out.
    stores = read_stores(data)
    assert set(chats) <= stores.subscribed
    db = sqlite3.connect(data / ARCHIVE_FILE)
    try:
        archived = {row[0] for row in db.execute("SELECT url FROM articles")}
    finally:
        db.close()
    assert {f"https://wire.example/{guid}" for guid, _, _ in news.items} <= archived
    assert {row.status for row in stores.outbox} == {"sent"}
    delivered = Counter((int(m.chat_id), m.text) for m in telegram_api.sent)
    assert all(delivered[(row.chat_id, row.text)] >= 1 for row in stores.outbox)
    print(f"\nrepeats: {sum(n - 1 for n in delivered.values())}")
