"""Feeds and their HTTP state in SQLite (``feeds.sqlite`` beside ``state.json``).

A poll changes the state of every feed it fetched; in ``state.json`` that meant reading and
rewriting the whole file, chats included, with an fsync, on the event loop. Here a poll writes
only the rows that changed, in one transaction, and the pipeline runs it in a worker thread::

    feeds(url TEXT PRIMARY KEY, doc TEXT)   doc: the FeedState as JSON (unknown keys kept)

Reads come from a cache of the decoded states, read again only when another process (a
``digestbot feeds add`` beside the running bot) committed since: ``PRAGMA data_version``
tells. One connection, used by one thread at a time (a lock): the event loop's thread for
commands, a worker thread for polls.

Crash safety is SQLite's: a rollback journal with ``synchronous=FULL``, so a transaction is
on disk when its COMMIT returns, or not at all.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import StoreError
from bot.models import FeedState

FEEDS_FILE = "feeds.sqlite"
_NAMES = tuple(f.name for f in fields(FeedState))
_TIMES = frozenset(n for n in _NAMES if n.endswith("_at") or n == "failing_since")
_YIELD_EVERY = 100
"""States encoded between two offers of the GIL (``put`` runs in a worker thread during a
poll: without them the event loop waited up to the interpreter's switch interval each time)."""
_SCHEMA = "CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, doc TEXT NOT NULL)"


def encode(state: FeedState) -> dict[str, Any]:
    """The state as a JSON-ready dict (without ``dataclasses.asdict``: a poll encodes
    thousands, and its deep copies cost more than the write)."""
    doc: dict[str, Any] = {}
    for name in _NAMES:
        value = getattr(state, name)
        doc[name] = value.isoformat() if isinstance(value, datetime) else value
    return doc


def decode(doc: Mapping[str, Any]) -> FeedState:
    values: dict[str, Any] = {}
    for name in _NAMES:
        if name not in doc:
            continue
        value = doc[name]
        if name in _TIMES and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[name] = value
    return FeedState(**values)


_RESTORE = (
    "; its last good copy is {path}.bak (made when run or once last started): stop digestbot,"
    " then cp {path}.bak {path}"
)


class FeedTable:
    """The feeds' states. Raises ``StoreError`` when the file cannot be read or written.

    ``read_only``: nothing is written (the file is opened read-only, and a missing one reads
    as no feeds); ``legacy`` then stands for the file (a state.json not migrated yet).
    """

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        legacy: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._docs: dict[str, dict[str, Any]] = {}
        self._states: dict[str, FeedState] = {}
        self._version: int | None = None
        if legacy is not None:
            try:
                self._load((str(doc["url"]), dict(doc)) for doc in legacy if "url" in doc)
            except (ValueError, TypeError) as exc:
                raise StoreError(
                    f"{path}: a feed's state in state.json is unreadable: {exc}"
                ) from None
            self._version = -1  # never read again: there is no file
            return
        try:
            if read_only:
                if path.exists():
                    # with no write-ahead log beside it, every change is in the file itself
                    # (and no bot has it open): read it as immutable, creating no -shm file
                    wal = path.with_name(f"{path.name}-wal").exists()
                    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if wal else "&immutable=1")
                    self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                return
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            # WAL, as the archive: a write cut short by a crash leaves a log that a read-only
            # command can read past (a rollback journal it would have to roll back, and cannot)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{path}: cannot be opened: {exc}{_RESTORE.format(path=path)}"
            ) from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _load(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        self._docs = dict(rows)
        self._states = {url: decode(doc) for url, doc in self._docs.items()}

    def _fresh(self) -> None:
        """Read the table again when another connection changed it since the last read."""
        if self._conn is None or self._version == -1:
            return
        try:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            if version == self._version:
                return
            rows = self._conn.execute("SELECT url, doc FROM feeds").fetchall()
        except sqlite3.Error as exc:
            advice = _RESTORE.format(path=self.path)
            raise StoreError(f"{self.path}: cannot be read: {exc}{advice}") from None
        try:
            self._load((url, json.loads(doc)) for url, doc in rows)
        except (ValueError, TypeError) as exc:
            advice = _RESTORE.format(path=self.path)
            raise StoreError(f"{self.path}: a feed's state is unreadable: {exc}{advice}") from None
        self._version = version

    def _read(self) -> dict[str, FeedState]:
        """The states as stored. While a write is under way (a poll's, in the worker thread,
        fsync included) the event loop does not wait for it: it gets the states as they were
        before it (``_states`` is replaced whole, never changed in place)."""
        if not self._lock.acquire(blocking=False):
            return self._states
        try:
            self._fresh()
            return self._states
        finally:
            self._lock.release()

    def all(self) -> dict[str, FeedState]:
        return dict(self._read())

    def get(self, url: str) -> FeedState | None:
        return self._read().get(url)

    def put(self, states: Iterable[FeedState]) -> int:
        """Store the states that differ from those stored, in one transaction; returns how
        many rows were written."""
        with self._lock:
            self._fresh()
            rows: list[tuple[str, str]] = []
            changed: dict[str, tuple[dict[str, Any], FeedState]] = {}
            for count, state in enumerate(states, 1):
                if count % _YIELD_EVERY == 0:
                    time.sleep(0)  # let the event loop's thread have the GIL now and then
                if self._states.get(state.url) == state:
                    continue
                # keys a newer digestbot wrote are kept, not lost
                doc = {**self._docs.get(state.url, {}), **encode(state)}
                changed[state.url] = (doc, state)
                rows.append((state.url, json.dumps(doc, ensure_ascii=False)))
            if rows:
                self._write("INSERT OR REPLACE INTO feeds (url, doc) VALUES (?, ?)", rows)
            if changed:
                updated = dict(self._states)
                for url, (doc, state) in changed.items():
                    self._docs[url] = doc
                    updated[url] = state
                self._states = updated
            return len(rows)

    def put_documents(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Store raw documents as they are (the migration from state.json)."""
        rows = [(str(d["url"]), json.dumps(dict(d), ensure_ascii=False)) for d in docs]
        with self._lock:
            self._write("INSERT OR REPLACE INTO feeds (url, doc) VALUES (?, ?)", rows)
            self._version = None  # read again, decoded

    def remove(self, url: str) -> bool:
        with self._lock:
            self._fresh()
            if url not in self._states:
                return False
            self._write("DELETE FROM feeds WHERE url = ?", [(url,)])
            self._states = {u: state for u, state in self._states.items() if u != url}
            self._docs.pop(url, None)
            return True

    def _write(self, sql: str, rows: Sequence[tuple[str, ...]]) -> None:
        conn = self._conn
        if conn is None:
            raise StoreError(f"{self.path}: opened read-only; this command does not change it")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(sql, rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot be written: {exc}") from None

    def backup(self, target: Path) -> None:
        """A consistent copy at ``target`` (written beside it, then renamed into place)."""
        temp = target.with_name(f".{target.name}.tmp")
        with self._lock:
            if self._conn is None:
                return
            try:
                copy = sqlite3.connect(temp)
                try:
                    self._conn.backup(copy)
                finally:
                    copy.close()
                with temp.open("rb") as handle:
                    os.fsync(handle.fileno())
                temp.replace(target)
            except (sqlite3.Error, OSError) as exc:
                temp.unlink(missing_ok=True)
                raise StoreError(f"{target}: cannot be written: {exc}") from None
