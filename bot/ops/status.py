"""What ``digestbot status`` and the health endpoint report: a snapshot of the stores, and its
text and JSON forms.

``collect`` reads the stores; everything else here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Chat, FeedState
from bot.store.archive import Archive
from bot.store.state import StateStore


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    url: str
    state: str  # "ok", "failing" or "disabled"
    last_fetch_at: datetime | None
    failures: int
    error: str | None


@dataclass(frozen=True, slots=True)
class ChatStatus:
    key: str
    title: str
    last_digest_at: datetime | None


@dataclass(frozen=True, slots=True)
class Status:
    now: datetime
    feeds: tuple[FeedStatus, ...]
    chats: tuple[ChatStatus, ...]
    outbox: Mapping[str, int]
    oldest_pending_at: datetime | None
    llm_calls_today: int
    llm_tokens_today: int
    articles: int
    stories: int
    last_poll_at: datetime | None = None
    """The last feed fetch (from the stores) or, in the running bot, the last poll tick."""
    last_delivery: str | None = None
    """How the newest message that is no longer pending ended: "sent" or "failed" (given up
    on after its retries); None before any."""
    last_delivery_error: str | None = None

    def feed_count(self, state: str) -> int:
        return sum(1 for feed in self.feeds if feed.state == state)


def feed_status(feed: FeedState) -> FeedStatus:
    state = "disabled" if feed.disabled else "failing" if feed.failures else "ok"
    return FeedStatus(
        name=feed.name,
        url=feed.url,
        state=state,
        last_fetch_at=feed.last_fetch_at,
        failures=feed.failures,
        error=feed.last_error if feed.failures or feed.disabled else None,
    )


def chat_statuses(chats: Sequence[Chat], last_ends: Mapping[str, datetime]) -> list[ChatStatus]:
    result = []
    for chat in chats:
        times = [t for t in (last_ends.get(chat.key), chat.last_digest_at) if t is not None]
        result.append(ChatStatus(chat.key, chat.title, max(times) if times else None))
    return result


def collect(
    *, state: StateStore, archive: Archive, feeds: Sequence[FeedState], now: datetime
) -> Status:
    """Read a snapshot of the stores (the I/O of this module)."""
    today = f"{now:%Y-%m-%d}"
    usage = [row for row in archive.llm_usage(days=1) if row[0] == today]
    counts = archive.counts()
    fetched = [f.last_fetch_at for f in feeds if f.last_fetch_at is not None]
    delivery, delivery_error = archive.last_delivery()
    return Status(
        now=now,
        feeds=tuple(feed_status(f) for f in feeds),
        chats=tuple(chat_statuses(state.chats(subscribed_only=True), archive.last_digest_ends())),
        outbox=archive.outbox_counts(),
        oldest_pending_at=archive.oldest_pending_at(),
        llm_calls_today=sum(row[2] for row in usage),
        llm_tokens_today=sum(row[3] + row[4] for row in usage),
        articles=counts["articles"],
        stories=counts["stories"],
        last_poll_at=max(fetched) if fetched else None,
        last_delivery=delivery,
        last_delivery_error=delivery_error,
    )


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        ago = "in the future"
    elif seconds < 120:
        ago = f"{seconds} s ago"
    elif seconds < 7200:
        ago = f"{seconds // 60} min ago"
    elif seconds < 2 * 86400:
        ago = f"{seconds // 3600} h ago"
    else:
        ago = f"{seconds // 86400} days ago"
    return f"{value:%Y-%m-%d %H:%M} UTC ({ago})"


def render_text(status: Status) -> str:
    """Plain, readable lines for a terminal."""
    now = status.now
    lines = [
        f"feeds: {status.feed_count('ok')} OK, {status.feed_count('failing')} failing,"
        f" {status.feed_count('disabled')} disabled"
    ]
    for feed in status.feeds:
        if feed.state != "ok":
            lines.append(
                f"  {feed.state}: {feed.name} <{feed.url}> — {feed.failures} failures;"
                f" {feed.error or 'no error recorded'}"
            )
    lines.append(f"last poll: {_when(status.last_poll_at, now)}")
    lines.append(f"subscribed chats: {len(status.chats)}")
    for chat in status.chats:
        title = f" ({chat.title})" if chat.title else ""
        lines.append(f"  {chat.key}{title}: last digest {_when(chat.last_digest_at, now)}")
    backlog = status.outbox.get("pending", 0)
    others = ", ".join(f"{k} {v}" for k, v in sorted(status.outbox.items()) if k != "pending")
    lines.append(
        f"outbox: {backlog} pending"
        + (f", oldest queued {_when(status.oldest_pending_at, now)}" if backlog else "")
        + (f"; {others}" if others else "")
    )
    if status.last_delivery is not None:
        lines.append(
            f"last delivery: {status.last_delivery}"
            + (f" — {status.last_delivery_error}" if status.last_delivery == "failed" else "")
        )
    lines.append(f"LLM today: {status.llm_calls_today} calls, {status.llm_tokens_today} tokens")
    lines.append(f"archive: {status.articles} articles in {status.stories} stories")
    return "\n".join(lines) + "\n"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_json(status: Status) -> dict[str, Any]:
    """The same facts as ``render_text``, for scripts (ISO 8601 times, null for never)."""
    return {
        "now": _iso(status.now),
        "feeds": {
            "ok": status.feed_count("ok"),
            "failing": status.feed_count("failing"),
            "disabled": status.feed_count("disabled"),
            "not_ok": [
                {
                    "name": f.name,
                    "url": f.url,
                    "state": f.state,
                    "failures": f.failures,
                    "error": f.error,
                    "last_fetch_at": _iso(f.last_fetch_at),
                }
                for f in status.feeds
                if f.state != "ok"
            ],
        },
        "last_poll_at": _iso(status.last_poll_at),
        "chats": [
            {"chat": c.key, "title": c.title, "last_digest_at": _iso(c.last_digest_at)}
            for c in status.chats
        ],
        "outbox": {
            "pending": status.outbox.get("pending", 0),
            "by_status": dict(sorted(status.outbox.items())),
            "oldest_pending_at": _iso(status.oldest_pending_at),
        },
        "last_delivery": {"status": status.last_delivery, "error": status.last_delivery_error}
        if status.last_delivery is not None
        else None,
        "llm_today": {"calls": status.llm_calls_today, "tokens": status.llm_tokens_today},
        "archive": {"articles": status.articles, "stories": status.stories},
    }
