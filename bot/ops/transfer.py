"""``digestbot export`` / ``digestbot import``: chats (subscription, platform, thread, settings,
watched terms) and feeds (with the state worth moving) in one versioned JSON document.

::

    export   state chats + each chat's last digest (state or outbox) + state feeds
             → export_document (pure) → JSON
    import   bytes → parse_document (pydantic: the file is untrusted) → plan_import (pure,
             against what the state holds) → one write for the chats, one for the feeds

An import checks the whole document before it writes anything, so an invalid file changes
nothing. Importing the same file twice changes nothing the second time. A chat's last digest
time is never moved back by an import, so an import never makes a digest go out again.
Feeds carry their identity and operator choices (name, language, origin, disabled, the URL a
permanent redirect moved them to, when they were added), not their HTTP cache state: that
belongs to the archive they were read into, which does not travel with the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)

from bot.config import ClockTime, HttpUrl
from bot.errors import DigestbotError
from bot.models import Chat, FeedState
from bot.search.watch import MAX_TERMS, BadWatchTerm, add_term
from bot.subscriptions import MAX_TIMES, parse_times, valid_timezone

FORMAT = "digestbot-export"
VERSION = 1


def _zone(value: str) -> str:
    if value and not valid_timezone(value):
        raise ValueError(f"unknown timezone: {value!r}")
    return value


def _watch(value: list[str]) -> list[str]:
    """The rules of ``/watch``: each term checked as it is when saved, at most ``MAX_TERMS``,
    each once."""
    terms: tuple[str, ...] = ()
    for text in value:
        try:
            terms = add_term(terms, text)
        except BadWatchTerm as bad:
            raise ValueError(f"cannot watch {text[:100]!r} ({bad.key})") from None
    return list(terms)


def _times(value: list[str]) -> list[str]:
    """The rules of ``/settings``: sorted, without repeats, at most ``MAX_TIMES``."""
    return list(parse_times(" ".join(value))) if value else value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatRecord(_Record):
    platform: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    chat_id: StrictInt
    lang: Literal["ar", "en", "both"] = "en"
    ui_lang: Literal["ar", "en"] = "en"
    subscribed: StrictBool = False
    thread_id: StrictInt | None = None
    title: str = Field(default="", max_length=512)
    subscribed_at: UtcDatetime | None = None
    last_digest_at: UtcDatetime | None = None
    digest_times: Annotated[list[ClockTime], AfterValidator(_times)] = Field(
        default_factory=list, max_length=MAX_TIMES
    )
    timezone: Annotated[str, AfterValidator(_zone)] = ""
    alerts: StrictBool = False
    digits: Literal["latn", "arab"] = "latn"  # absent from exports made before it existed
    watch: Annotated[list[str], AfterValidator(_watch)] = Field(  # absent before it existed
        default_factory=list, max_length=MAX_TERMS
    )


class FeedRecord(_Record):
    url: HttpUrl
    name: str = Field(min_length=1, max_length=512)
    lang: Literal["ar", "en"] | None = None
    origin: Literal["config", "operator"] = "operator"
    disabled: StrictBool = False
    fetch_url: HttpUrl | None = None
    added_at: UtcDatetime | None = None


class ExportDocument(_Record):
    format: Literal["digestbot-export"]
    version: Literal[1]
    exported_at: UtcDatetime
    chats: list[ChatRecord] = Field(default_factory=list)
    feeds: list[FeedRecord] = Field(default_factory=list)


FEED_FIELDS = tuple(FeedRecord.model_fields)


def _later(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def export_document(
    chats: Sequence[Chat],
    feeds: Sequence[FeedState],
    last_digest_ends: Mapping[str, datetime],
    now: datetime,
) -> dict[str, Any]:
    """The JSON-ready document. Each chat's ``last_digest_at`` is the later of the state's and
    the outbox's, so the chats imported elsewhere are not sent that digest again. Pure."""
    chat_rows = []
    for chat in sorted(chats, key=lambda c: (c.platform, c.chat_id)):
        last = _later(chat.last_digest_at, last_digest_ends.get(chat.key))
        values = {
            "platform": chat.platform,
            "chat_id": chat.chat_id,
            "lang": chat.lang,
            "ui_lang": chat.ui_lang,
            "subscribed": chat.subscribed,
            "thread_id": chat.thread_id,
            "title": chat.title,
            "subscribed_at": chat.subscribed_at,
            "last_digest_at": last,
            "digest_times": list(chat.digest_times),
            "timezone": chat.timezone,
            "alerts": chat.alerts,
            "digits": chat.digits,
            "watch": list(chat.watch),
        }
        chat_rows.append(_exported(ChatRecord, values, f"chat {chat.key}"))
    feed_rows = [
        _exported(FeedRecord, {n: getattr(feed, n) for n in FEED_FIELDS}, f"feed {feed.url}")
        for feed in sorted(feeds, key=lambda f: f.url)
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "chats": chat_rows,
        "feeds": feed_rows,
    }


def _exported(model: type[_Record], values: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A record as JSON, checked as an import would check it: what is exported imports."""
    try:
        return model.model_validate(values).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise DigestbotError(
            f"{what} cannot be exported: {_where(first['loc'])}: {first.get('msg')}"
        ) from None


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _where(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_document(raw: bytes, *, source: str) -> ExportDocument:
    """Validate an export file. Raises ``DigestbotError`` with one line naming ``source``,
    where in the document, and what is wrong."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise DigestbotError(f"{source}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DigestbotError(f"{source}: not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") != VERSION:
        raise DigestbotError(
            f"{source}: export version {data.get('version')!r}; this digestbot reads {VERSION}"
        )
    try:
        document = ExportDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise DigestbotError(f"{source}: {_where(first['loc'])}: {message}") from None
    keys: set[tuple[str, int]] = set()
    for index, chat in enumerate(document.chats):
        key = (chat.platform, chat.chat_id)
        if key in keys:
            raise DigestbotError(f"{source}: chats[{index}]: {key[0]}:{key[1]} is listed twice")
        keys.add(key)
    urls: set[str] = set()
    for index, feed in enumerate(document.feeds):
        if feed.url in urls:
            raise DigestbotError(f"{source}: feeds[{index}]: {feed.url} is listed twice")
        urls.add(feed.url)
    return document


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import writes, and the counts it reports."""

    chats: tuple[Chat, ...]
    feeds: tuple[FeedState, ...]
    chats_added: int
    chats_updated: int
    chats_unchanged: int
    feeds_added: int
    feeds_updated: int
    feeds_unchanged: int

    def summary(self) -> str:
        return (
            f"chats: {self.chats_added} added, {self.chats_updated} updated,"
            f" {self.chats_unchanged} unchanged; feeds: {self.feeds_added} added,"
            f" {self.feeds_updated} updated, {self.feeds_unchanged} unchanged"
        )


def _chat(record: ChatRecord, existing: Chat | None) -> Chat:
    return Chat(
        platform=record.platform,
        chat_id=record.chat_id,
        lang=record.lang,
        ui_lang=record.ui_lang,
        subscribed=record.subscribed,
        thread_id=record.thread_id,
        title=record.title,
        subscribed_at=record.subscribed_at,
        # never moved back: a digest already sent here is not sent again
        last_digest_at=_later(
            record.last_digest_at, existing.last_digest_at if existing is not None else None
        ),
        digest_times=tuple(record.digest_times),
        timezone=record.timezone,
        alerts=record.alerts,
        # an export from before the setting existed leaves the chat's own choice as it is
        digits=record.digits
        if "digits" in record.model_fields_set or existing is None
        else existing.digits,
        # likewise the chat's watched terms
        watch=tuple(record.watch)
        if "watch" in record.model_fields_set or existing is None
        else existing.watch,
    )


def plan_import(
    document: ExportDocument,
    chats: Mapping[tuple[str, int], Chat],
    feeds: Mapping[str, FeedState],
    now: datetime,
) -> ImportPlan:
    """Compare the document with the chats and feeds the state holds. Pure."""
    new_chats: list[Chat] = []
    added = updated = 0
    for record in document.chats:
        existing = chats.get((record.platform, record.chat_id))
        chat = _chat(record, existing)
        if existing is None:
            added += 1
        elif chat != existing:
            updated += 1
        else:
            continue
        new_chats.append(chat)
    new_feeds: list[FeedState] = []
    feeds_added = feeds_updated = 0
    for feed_record in document.feeds:
        known = feeds.get(feed_record.url)
        if known is None:
            # New here: polled whether or not this install's config lists it, and dated now, so
            # its backlog is archived rather than announced, as for any feed added here.
            values = feed_record.model_dump(exclude={"origin", "added_at"})
            feed = FeedState(**values, origin="operator", added_at=now)
        else:
            # Known: what the file gives replaces what is here; what it leaves out is kept.
            given = feed_record.model_dump(exclude_unset=True, exclude={"origin", "added_at"})
            feed = replace(known, **given)
        if known is None:
            feeds_added += 1
        elif feed != known:
            feeds_updated += 1
        else:
            continue
        new_feeds.append(feed)
    return ImportPlan(
        chats=tuple(new_chats),
        feeds=tuple(new_feeds),
        chats_added=added,
        chats_updated=updated,
        chats_unchanged=len(document.chats) - added - updated,
        feeds_added=feeds_added,
        feeds_updated=feeds_updated,
        feeds_unchanged=len(document.feeds) - feeds_added - feeds_updated,
    )
