"""The bot's small, human-readable state in TinyDB: chats and their settings, in one JSON file
(``state.json`` in the data directory), written atomically. Feeds and their HTTP cache state
live beside it in SQLite (``feeds.sqlite``, see ``bot.store.feed_table``): a poll changes
every feed it fetched, and rewriting the chats with them took the event loop for as long as
the chats were many. A ``state.json`` from before (format 1, feeds inside) is migrated on the
first start that may write: its feeds are copied to ``feeds.sqlite``, then dropped from it.

TinyDB is not thread-safe: use a ``StateStore`` from the event loop's thread only; the feed
methods ending in ``_async`` run in a worker thread and touch no TinyDB.

``StateStore(data_dir, read_only=True)`` is for the commands that only look (``status``,
``search``, ``stats``): it writes nothing at all (no lock file, no migration, no folder), so it
works on a data folder the user may not write, and a missing file reads as an empty state.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB

from bot.errors import StoreError
from bot.models import Chat, FeedSource, FeedState
from bot.store import state_file
from bot.store.atomic import AtomicJSONStorage
from bot.store.feed_table import FEEDS_FILE, FeedTable

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
LOCK_FILE = "state.json.lock"
"""Held while the state file is changed (see ``StateStore._writing``)."""
MARKERS_TABLE = "markers"
_T = TypeVar("_T", Chat, FeedState)
_DATETIME_FIELDS = frozenset({"failing_since"})


def _encode(value: Chat | FeedState) -> dict[str, Any]:
    doc = asdict(value)
    for key, item in doc.items():
        if isinstance(item, datetime):
            doc[key] = item.isoformat()
    return doc


def _decode(cls: type[_T], doc: dict[str, Any]) -> _T:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, item in doc.items():
        if key not in known:
            continue  # a newer version's field: ignored, not lost (the document keeps it)
        if isinstance(item, str) and (key.endswith("_at") or key in _DATETIME_FIELDS):
            values[key] = datetime.fromisoformat(item)
        elif isinstance(item, list):
            values[key] = tuple(item)  # JSON has no tuples; the dataclasses hold them
        else:
            values[key] = item
    return cls(**values)


class StateStore:
    """Chats and feeds, persisted in ``<data_dir>/state.json``.

    Raises ``StoreError`` when the file cannot be read, is corrupt, or cannot be written.
    """

    def __init__(self, data_dir: Path, *, read_only: bool = False) -> None:
        self.path = data_dir / STATE_FILE
        self.read_only = read_only
        self._depth = 0
        self._lock_fd: int | None = None
        self.feeds_path = data_dir / FEEDS_FILE
        if read_only:
            legacy = self._check_readable()
            self._feed_table = FeedTable(self.feeds_path, read_only=True, legacy=legacy)
        else:
            # a corrupt file stops here, named with its backup; an old format is migrated
            # (copied first), its feeds moved to the feeds' file before they leave it
            legacy = self._check_readable()
            data_dir.mkdir(parents=True, exist_ok=True)
            self._feed_table = FeedTable(self.feeds_path)
            if legacy is not None:
                self._feed_table.put_documents(legacy)
            state_file.prepare(self.path)
            # A new file says its format at once: feeds no longer write it, and a file without
            # a version reads as format 1 (feeds inside).
            state_file.create_if_missing(self.path)
            for left in state_file.remove_stale_temp_files(self.path, time.time()):
                log.info(
                    "removed %s, left by a write that was killed before it finished", left.name
                )
            self._lock_fd = os.open(self.path.with_name(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        self._open()

    def _check_readable(self) -> list[dict[str, Any]] | None:
        """What ``prepare`` checks, without its migration: a read must not write. Returns the
        feeds of a file from before they moved to ``feeds.sqlite`` (None: not such a file)."""
        read = state_file.read_document(self.path)
        if read is None:
            return None
        version = state_file.format_version(read[1])
        if version > state_file.STATE_VERSION:
            raise StoreError(
                f"{self.path}: format version {version} is newer"
                f" than this digestbot knows ({state_file.STATE_VERSION})"
            )
        return state_file.legacy_feeds(read[1])

    def _open(self) -> None:
        self._db = TinyDB(self.path, storage=AtomicJSONStorage)
        self._chats = self._db.table("chats")

    def close(self) -> None:
        self._db.close()
        self._feed_table.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One change of the file at a time, across processes: TinyDB reads the whole file,
        changes it and writes it whole, so a CLI command (``subscribe``, ``feeds add``) writing
        beside the running bot would otherwise lose one of the two changes."""
        if self._lock_fd is None:
            raise StoreError(f"{self.path}: opened read-only; this command does not change it")
        if self._depth == 0:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # held for milliseconds
            # Another process may have written since: TinyDB's tables remember the next
            # document id, which would then collide with one it added. A fresh TinyDB over the
            # same file forgets that (reads always go to the file).
            self._open()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # chats

    def chat(self, platform: str, chat_id: int) -> Chat | None:
        q = Query()
        doc = self._chats.get((q.platform == platform) & (q.chat_id == chat_id))
        return _decode(Chat, dict(doc)) if isinstance(doc, dict) else None

    def save_chat(self, chat: Chat) -> None:
        with self._writing():
            q = Query()
            self._chats.upsert(
                _encode(chat), (q.platform == chat.platform) & (q.chat_id == chat.chat_id)
            )

    def move_chat(self, chat: Chat, new_chat_id: int) -> Chat:
        """Keep a chat's subscription and settings under a new id (a migrated Telegram group)."""
        with self._writing():
            q = Query()
            self._chats.remove((q.platform == chat.platform) & (q.chat_id == chat.chat_id))
            moved = replace(chat, chat_id=new_chat_id)
            self.save_chat(moved)
            return moved

    def chats(self, *, platform: str | None = None, subscribed_only: bool = False) -> list[Chat]:
        result = [_decode(Chat, dict(doc)) for doc in self._chats.all()]
        if platform is not None:
            result = [chat for chat in result if chat.platform == platform]
        if subscribed_only:
            result = [chat for chat in result if chat.subscribed]
        return sorted(result, key=lambda chat: (chat.platform, chat.chat_id))

    # feeds (in feeds.sqlite: no TinyDB, no lock file; SQLite serializes the writers)

    def feed(self, url: str) -> FeedState | None:
        return self._feed_table.get(url)

    def save_feed(self, state: FeedState) -> None:
        self.save_feeds([state])

    def save_feeds(self, states: Iterable[FeedState]) -> None:
        """Save the feed states that changed, in one transaction."""
        self._feed_table.put(states)

    async def save_feeds_async(self, states: Iterable[FeedState]) -> None:
        """``save_feeds`` in a worker thread: the event loop goes on meanwhile."""
        await asyncio.to_thread(self.save_feeds, list(states))

    def feeds(self) -> list[FeedState]:
        return sorted(self._feed_table.all().values(), key=_url)

    def remove_feed(self, url: str) -> bool:
        return self._feed_table.remove(url)

    def sync_feeds(self, sources: Iterable[FeedSource], now: datetime) -> list[FeedState]:
        """Make sure every configured feed has a state; new ones are stamped ``added_at=now``.

        Returns the feeds to poll: the configured ones in the configured order, then those an
        operator added with ``digestbot feeds add``. A feed that left the config is kept (its
        history stays) but no longer polled.
        """
        states, changed = self._synced(sources, now)
        if not self.read_only:  # a read-only store shows what a poll would see; nothing stored
            self.save_feeds(changed)
        return states

    async def sync_feeds_async(
        self, sources: Iterable[FeedSource], now: datetime
    ) -> list[FeedState]:
        """``sync_feeds`` in a worker thread: the event loop goes on meanwhile."""
        return await asyncio.to_thread(self.sync_feeds, list(sources), now)

    def _synced(
        self, sources: Iterable[FeedSource], now: datetime
    ) -> tuple[list[FeedState], list[FeedState]]:
        """The feeds to poll, and those of them whose stored state must change."""
        known = self._feed_table.all()
        states: list[FeedState] = []
        changed: list[FeedState] = []
        configured: set[str] = set()
        for source in sources:
            configured.add(source.url)
            state = known.get(source.url)
            if state is None:
                state = FeedState(url=source.url, name=source.name, lang=source.lang, added_at=now)
                changed.append(state)
            elif (state.name, state.lang, state.origin) != (source.name, source.lang, "config"):
                state = replace(state, name=source.name, lang=source.lang, origin="config")
                changed.append(state)
            states.append(state)
        states.extend(
            state
            for url, state in sorted(known.items())
            if state.origin == "operator" and url not in configured
        )
        return states, changed

    def save_chats(self, chats: Iterable[Chat]) -> None:
        """Save many chats with one read and at most two writes of the file (an import, a digest
        tick with many chats due): one ``save_chat`` each would rewrite the file once per chat."""
        with self._writing():
            by_key = {(chat.platform, chat.chat_id): _encode(chat) for chat in chats}
            if not by_key:
                return
            stored = {(doc["platform"], doc["chat_id"]): doc.doc_id for doc in self._chats.all()}

            def apply(doc: Any) -> None:
                doc.update(by_key[(doc["platform"], doc["chat_id"])])

            present = [stored[key] for key in by_key if key in stored]
            if present:
                self._chats.update(apply, doc_ids=present)
            new = [doc for key, doc in by_key.items() if key not in stored]
            if new:
                self._chats.insert_multiple(new)

    # housekeeping markers (when something periodic last ran)

    def marker(self, name: str) -> datetime | None:
        doc = self._db.table(MARKERS_TABLE).get(Query().name == name)
        if not isinstance(doc, dict) or not isinstance(doc.get("at"), str):
            return None
        return datetime.fromisoformat(doc["at"])

    def set_marker(self, name: str, when: datetime) -> None:
        with self._writing():
            self._db.table(MARKERS_TABLE).upsert(
                {"name": name, "at": when.isoformat()}, Query().name == name
            )

    def refresh_backup(self) -> bool:
        """Keep a copy of the state file as it is now (it just read cleanly) to restore from,
        and one of the feeds' file (``feeds.sqlite.bak``)."""
        self._feed_table.backup(self.feeds_path.with_name(f"{FEEDS_FILE}.bak"))
        return state_file.refresh_backup(self.path)


def _url(state: FeedState) -> str:
    return state.url
