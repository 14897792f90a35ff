"""The bot's small, human-readable state in TinyDB: chats and their settings, feeds and their
HTTP cache state. One JSON file (``state.json`` in the data directory), written atomically.

TinyDB is not thread-safe: use a ``StateStore`` from the event loop's thread only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB

from bot.models import Chat, FeedSource, FeedState
from bot.store.atomic import AtomicJSONStorage

STATE_FILE = "state.json"
_T = TypeVar("_T", Chat, FeedState)


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
        if isinstance(item, str) and key.endswith("_at"):
            values[key] = datetime.fromisoformat(item)
        else:
            values[key] = item
    return cls(**values)


class StateStore:
    """Chats and feeds, persisted in ``<data_dir>/state.json``.

    Raises ``StoreError`` when the file cannot be read, is corrupt, or cannot be written.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        self._db = TinyDB(self.path, storage=AtomicJSONStorage)
        self._chats = self._db.table("chats")
        self._feeds = self._db.table("feeds")

    def close(self) -> None:
        self._db.close()

    # chats

    def chat(self, platform: str, chat_id: int) -> Chat | None:
        q = Query()
        doc = self._chats.get((q.platform == platform) & (q.chat_id == chat_id))
        return _decode(Chat, dict(doc)) if isinstance(doc, dict) else None

    def save_chat(self, chat: Chat) -> None:
        q = Query()
        self._chats.upsert(
            _encode(chat), (q.platform == chat.platform) & (q.chat_id == chat.chat_id)
        )

    def move_chat(self, chat: Chat, new_chat_id: int) -> Chat:
        """Keep a chat's subscription and settings under a new id (a migrated Telegram group)."""
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

    # feeds

    def feed(self, url: str) -> FeedState | None:
        doc = self._feeds.get(Query().url == url)
        return _decode(FeedState, dict(doc)) if isinstance(doc, dict) else None

    def save_feed(self, state: FeedState) -> None:
        self._feeds.upsert(_encode(state), Query().url == state.url)

    def feeds(self) -> list[FeedState]:
        return sorted((_decode(FeedState, dict(doc)) for doc in self._feeds.all()), key=_url)

    def sync_feeds(self, sources: Iterable[FeedSource], now: datetime) -> list[FeedState]:
        """Make sure every configured feed has a state; new ones are stamped ``added_at=now``.

        Returns the states of the configured feeds, in the configured order.
        """
        states: list[FeedState] = []
        for source in sources:
            state = self.feed(source.url)
            if state is None:
                state = FeedState(url=source.url, name=source.name, lang=source.lang, added_at=now)
                self.save_feed(state)
            elif (state.name, state.lang) != (source.name, source.lang):
                state = replace(state, name=source.name, lang=source.lang)
                self.save_feed(state)
            states.append(state)
        return states


def _url(state: FeedState) -> str:
    return state.url
