"""A loopback fake of the Telegram Bot API that python-telegram-bot talks to unmodified.

Point PTB at it with ``Bot(token, base_url=api.bot_url)`` or
``ApplicationBuilder().token(token).base_url(api.bot_url).base_file_url(api.file_url)``.
It speaks the real wire protocol: ``POST {base_url}/bot{token}/{method}`` with form-encoded,
multipart or JSON parameters (nested objects JSON-encoded as strings, as PTB sends them), and
answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters"}`` with the matching HTTP status, so PTB raises its own ``RetryAfter``,
``Forbidden``, ``ChatMigrated`` and ``BadRequest``.

What a test can do with it:

- read what the bot wrote (``sent``, ``messages_to``, ``wait_for_messages``), the commands it
  registered, the callback and inline answers and every API call;
- act as a user (``user_sends``, ``user_presses``, ``user_inline_query``) whose updates the bot
  receives through ``getUpdates`` long polling;
- make the next calls fail (``fail_next``) with flood control, a blocked bot or a migrated group;
- drop the connection of the next calls (``drop_next``), before or after accepting the message;
- enforce Telegram's flood limits, scaled (``FakeTelegramAPI(flood_limits=FloodLimits(...))``):
  a ``sendMessage`` beyond them is answered 429 with ``retry_after`` as Telegram does, and
  each answer can be delayed by a network ``latency``;
- answer 429 at random to a share of ``sendMessage`` calls
  (``FakeTelegramAPI(flood_share=0.05, flood_seed=1)``), as a busy Telegram does now and then
  whatever the bot's pace, with a ``retry_after`` drawn from ``flood_retry_after``.

HTML text is validated the way Telegram does it (see ``parse_telegram_html``), so a renderer that
forgets to escape ``&`` or leaves a tag open fails in tests, not in production. Message texts
over 4,096 characters (after entity parsing) are refused, whether sent, edited or carried by an
inline result, and so are inline answers with an empty title or over 50 results.

State is guarded by a lock so a test thread may drive a server that runs in another thread
(``run_in_thread``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest_asyncio
from aiohttp import web

from tests.fakes.loopback import serve_in_thread

BOT_ID = 7000001
BOT_USERNAME = "digest_test_bot"
BOT_FIRST_NAME = "Digest Test"
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
# Long polls are capped so that a server shutdown never waits on a 10 s getUpdates.
LONG_POLL_CAP = 1.0

_TOKEN_RE = re.compile(r"\d+:[\w-]+")
_PATH_RE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]+(?:@\w+)?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z]+));")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "tg-spoiler", "span", "blockquote", "tg-emoji",
    }
)  # fmt: skip
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class EntityParseError(ValueError):
    """Telegram would refuse this text with "can't parse entities"."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int]:
    """Decode the entity starting at ``text[index] == "&"``; return it and the index after it."""
    match = _ENTITY_RE.match(text, index)
    if match is not None:
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            char = _NAMED_ENTITIES.get(name)
        else:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            char = chr(code) if valid else None
        if char is not None:
            return char, match.end()
    raise EntityParseError(
        f'Character "&" must start an HTML entity at byte offset {_byte_offset(text, index)}'
    )


def _decode_attribute(text: str, value: str, base: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            # Offsets in errors are reported against the whole message, hence the rebuild.
            char, end = _decode_entity(text[:base] + value, base + i)
            out.append(char)
            i = end - base
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_start_tag(text: str, start: int) -> tuple[str, dict[str, str], int]:
    """Parse ``<name attr="v" ...>`` at ``start``; return name, attributes and the end index."""
    offset = _byte_offset(text, start)
    name_match = _TAG_NAME_RE.match(text, start + 1)
    if name_match is None:
        raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
    name = name_match.group().lower()
    if name not in _ALLOWED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs: dict[str, str] = {}
    i = name_match.end()
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            return name, attrs, i + 1
        attr_match = _ATTR_NAME_RE.match(text, i)
        if attr_match is None:
            raise EntityParseError(
                f"Expected equal sign in declaration of an attribute of the tag at byte offset "
                f"{offset}"
            )
        attr = attr_match.group().lower()
        i = attr_match.end()
        value = ""
        if i < len(text) and text[i] == "=":
            i += 1
            if i < len(text) and text[i] in "\"'":
                close = text.find(text[i], i + 1)
                if close == -1:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                value = _decode_attribute(text, text[i + 1 : close], i + 1)
                i = close + 1
            else:
                value_start = i
                while i < len(text) and not text[i].isspace() and text[i] != ">":
                    i += 1
                value = _decode_attribute(text, text[value_start:i], value_start)
        attrs[attr] = value


def _check_tag_attributes(name: str, attrs: Mapping[str, str], offset: int) -> None:
    if name == "a" and not attrs.get("href"):
        raise EntityParseError(f'Tag "a" must have a non-empty "href" at byte offset {offset}')
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "tg-emoji" and not attrs.get("emoji-id"):
        raise EntityParseError(f'Tag "tg-emoji" must have "emoji-id" at byte offset {offset}')


def parse_telegram_html(text: str) -> str:
    """Return the visible text of a ``parse_mode=HTML`` message, or raise EntityParseError.

    Follows the Bot API's rules: only the documented tags, balanced and properly nested; every
    ``&`` starts ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or a numeric entity (stricter than
    Telegram, which lets an unknown ``&`` through, because an unescaped ``&`` is always a bug in
    our renderer); a ``<`` that does not open a tag is an error; ``>`` may stand alone.
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
        elif char != "<":
            out.append(char)
            i += 1
        elif text.startswith("</", i):
            offset = _byte_offset(text, i)
            close = text.find(">", i)
            if close == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : close].strip().lower()
            if not stack:
                raise EntityParseError(f'Unexpected end tag "{name}" at byte offset {offset}')
            if name != stack[-1]:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = close + 1
        else:
            name, attrs, i_end = _parse_start_tag(text, i)
            _check_tag_attributes(name, attrs, _byte_offset(text, i))
            stack.append(name)
            i = i_end
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


@dataclass(frozen=True)
class SentMessage:
    """One message the bot wrote to a chat (``sendMessage`` or ``editMessageText``)."""

    chat_id: int | str
    text: str
    parse_mode: str | None
    message_thread_id: int | None
    disable_web_page_preview: bool | None
    link_preview_options: dict[str, Any] | None
    reply_markup: dict[str, Any] | None
    message_id: int
    method: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    reply_to_message_id: int | None = None
    """The message it replies to (``reply_parameters``), when that message still existed."""


@dataclass(frozen=True)
class ApiCall:
    """One request the fake received, answered or not."""

    method: str
    params: dict[str, Any]
    at: float = field(default=0.0, compare=False)
    """When it arrived, on the fake's ``clock``."""


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits for ``sendMessage``, scalable: at most ``overall`` messages in
    any ``overall_period`` seconds, one per ``chat_interval`` seconds in a chat, and at most
    ``group`` in any ``group_period`` seconds in a group or channel (negative chat id).
    Only accepted messages count."""

    overall: int = 30
    overall_period: float = 1.0
    chat_interval: float = 1.0
    group: int = 20
    group_period: float = 60.0


@dataclass(frozen=True)
class FloodRefusal:
    """A ``sendMessage`` answered 429 by the flood limits."""

    at: float
    chat_id: int | str
    retry_after: int


@dataclass
class _Drop:
    method: str
    remaining: int | None
    chat_id: int | str | None
    after_accept: bool


class _Flood:
    """The accepted sends the limits look at."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self.overall: list[float] = []
        self.last_in_chat: dict[int | str, float] = {}
        self.in_group: dict[int | str, list[float]] = {}

    def retry_after(self, chat_id: int | str, now: float) -> int:
        """0 when a message to ``chat_id`` may go now, else whole seconds to wait (>= 1)."""
        limits = self.limits
        self.overall = [t for t in self.overall if t > now - limits.overall_period]
        free = now
        if len(self.overall) >= limits.overall:
            free = max(free, self.overall[-limits.overall] + limits.overall_period)
        last = self.last_in_chat.get(chat_id)
        if last is not None:
            free = max(free, last + limits.chat_interval)
        if _is_group(chat_id):
            group = [t for t in self.in_group.get(chat_id, []) if t > now - limits.group_period]
            self.in_group[chat_id] = group
            if len(group) >= limits.group:
                free = max(free, group[-limits.group] + limits.group_period)
        return 0 if free <= now else max(1, math.ceil(free - now))

    def accepted(self, chat_id: int | str, now: float) -> None:
        self.overall.append(now)
        self.last_in_chat[chat_id] = now
        if _is_group(chat_id):
            self.in_group.setdefault(chat_id, []).append(now)


def _is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int | None
    chat_id: int | str | None


class _ApiError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class _Params:
    """Request parameters as PTB sends them: strings, with non-string values JSON-encoded."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def get_str(self, key: str) -> str | None:
        value = self.raw.get(key)
        return None if value is None else str(value)

    def get_int(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is None or isinstance(value, int):
            return value
        try:
            return int(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: invalid {key} specified") from None

    def get_bool(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is None or isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def get_float(self, key: str) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: invalid {key} specified") from None

    def get_json(self, key: str) -> Any:
        value = self.raw.get(key)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {key} JSON object") from None

    def chat_id(self, key: str = "chat_id") -> int | str:
        value = self.raw.get(key)
        if value is None or value == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text.startswith("@"):
            return text
        raise _ApiError(400, "Bad Request: chat not found")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _bot_user() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    }


def _member_fields(status: str) -> dict[str, Any]:
    """The fields PTB requires for each ChatMember subclass."""
    if status == "creator":
        return {"is_anonymous": False}
    if status == "administrator":
        flags = (
            "is_anonymous can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_promote_members can_change_info can_invite_users "
            "can_post_stories can_edit_stories can_delete_stories"
        )
        return {"can_be_edited": False, **{flag: flag != "is_anonymous" for flag in flags.split()}}
    if status == "restricted":
        flags = (
            "is_member can_change_info can_invite_users can_pin_messages can_send_messages "
            "can_send_polls can_send_other_messages can_add_web_page_previews can_manage_topics "
            "can_send_audios can_send_documents can_send_photos can_send_videos "
            "can_send_video_notes can_send_voice_notes can_edit_tag"
        )
        return {"until_date": 0, **{flag: False for flag in flags.split()}}
    if status == "kicked":
        return {"until_date": 0}
    return {}


class FakeTelegramAPI:
    """The fake Bot API server. Start it with ``await start()`` (or the ``telegram_api``
    fixture, or ``run_in_thread()``); its URLs are valid once started."""

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        flood_limits: FloodLimits | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        flood_share: float = 0.0,
        flood_seed: int | None = None,
        flood_retry_after: tuple[int, int] = (1, 3),
    ) -> None:
        """``now`` dates messages; ``clock`` times the flood limits; ``latency`` delays every
        answer (half before the request is handled, half after). ``flood_share`` of the
        ``sendMessage`` calls, drawn from ``random.Random(flood_seed)``, are answered 429 with a
        ``retry_after`` between the two bounds of ``flood_retry_after`` (seconds, inclusive)."""
        if not 0.0 <= flood_share <= 1.0:
            raise ValueError("flood_share is a share between 0 and 1")
        self._now = now
        self._clock = clock
        self._flood = _Flood(flood_limits) if flood_limits is not None else None
        self._flood_share = flood_share
        self._flood_rng = random.Random(flood_seed)
        self._flood_retry_after = flood_retry_after
        self._latency = latency
        self._drops: list[_Drop] = []
        self._answering = 0
        self.flood_refusals: list[FloodRefusal] = []
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._update_event: asyncio.Event | None = None
        self._port: int | None = None
        self._update_ids = itertools.count(100_000_001)
        self._query_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._next_message_id: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._open_queries: set[str] = set()
        self.webhook_url = ""
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.deleted: list[tuple[int | str, int]] = []
        self.chat_actions: list[tuple[int | str, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.inline_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        # chat_id -> {user_id: status}; anyone not listed is a "member".
        self.chat_member_status: dict[int, dict[int, str]] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def bot_url(self) -> str:
        """What PTB takes as ``base_url``."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """What PTB takes as ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._counted)
        self._loop = asyncio.get_running_loop()
        self._update_event = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=LONG_POLL_CAP / 2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._loop = None

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.contextmanager
    def run_in_thread(self) -> Iterator[FakeTelegramAPI]:
        """Serve from a background thread with its own event loop, for synchronous callers."""
        with serve_in_thread(self.start, self.close, "fake-telegram"):
            yield self

    # -- test controls -----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        count: int | None = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (to ``chat_id``, if given) with an error.

        ``count=None`` fails every matching call until ``clear_failures()``.
        """
        parameters: dict[str, Any] | None = None
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
        elif migrate_to_chat_id is not None:
            parameters = {"migrate_to_chat_id": migrate_to_chat_id}
        if description is None:
            description = self._default_description(status, retry_after, migrate_to_chat_id)
        with self._lock:
            self._failures.append(
                _Failure(method.lower(), status, description, parameters, count, chat_id)
            )

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()
            self._drops.clear()

    def drop_next(
        self,
        method: str,
        *,
        count: int | None = 1,
        chat_id: int | str | None = None,
        after_accept: bool = False,
    ) -> None:
        """Close the connection of the next ``count`` calls of ``method`` without an answer, as a
        network failure does: before handling them, or (``after_accept``) after the message was
        accepted and recorded, so the bot cannot know it went through.

        ``count=None`` drops every matching call until ``clear_failures()``.
        """
        with self._lock:
            self._drops.append(_Drop(method.lower(), count, chat_id, after_accept))

    def _take_drop(self, method: str, params: _Params, *, after_accept: bool) -> bool:
        chat_id = params.raw.get("chat_id")
        with self._lock:
            for drop in self._drops:
                if drop.method != method or drop.after_accept != after_accept:
                    continue
                if drop.chat_id is not None and str(drop.chat_id) != str(chat_id):
                    continue
                if drop.remaining is not None:
                    drop.remaining -= 1
                    if drop.remaining <= 0:
                        self._drops.remove(drop)
                return True
        return False

    @staticmethod
    def _default_description(
        status: int, retry_after: int | None, migrate_to_chat_id: int | None
    ) -> str:
        if status == 429:
            return f"Too Many Requests: retry after {retry_after or 1}"
        if status == 403:
            return "Forbidden: bot was blocked by the user"
        if migrate_to_chat_id is not None:
            return "Bad Request: group chat was upgraded to a supergroup chat"
        with contextlib.suppress(ValueError):
            return HTTPStatus(status).phrase
        return f"Error {status}"

    def user_sends(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        user_id: int = 111_111,
        chat_type: str = "private",
        first_name: str = "Test User",
        language_code: str | None = "en",
        message_thread_id: int | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Queue an update in which a user writes ``text``; return the update."""
        user = self._user(user_id, first_name, language_code, username)
        chat = self._chat(chat_id, user_id, chat_type, first_name)
        message: dict[str, Any] = {"from": user, "chat": chat, "date": int(self._now())}
        message["text"] = text
        command = _COMMAND_RE.match(text)
        if command is not None:
            length = _utf16_len(command.group())
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        with self._lock:
            message["message_id"] = self._take_message_id(chat["id"])
            self._messages[(chat["id"], message["message_id"])] = message
        return self._queue_update({"message": message})

    def user_presses(
        self,
        callback_data: str,
        *,
        message_id: int,
        chat_id: int,
        user_id: int = 111_111,
        first_name: str = "Test User",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Queue a callback_query: the user pressed an inline button under a bot message."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
        if message is None:
            chat = self._chat(chat_id, user_id, "private" if chat_id > 0 else "group", first_name)
            message = {"message_id": message_id, "date": int(self._now()), "chat": chat}
            message["from"] = _bot_user()
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name, language_code, None),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": callback_data,
        }
        return self._queue_update({"callback_query": query})

    def user_inline_query(
        self,
        query: str,
        *,
        user_id: int = 111_111,
        first_name: str = "Test User",
        offset: str = "",
    ) -> dict[str, Any]:
        """Queue an inline_query typed by the user."""
        with self._lock:
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
        inline = {
            "id": query_id,
            "from": self._user(user_id, first_name, "en", None),
            "query": query,
            "offset": offset,
        }
        return self._queue_update({"inline_query": inline})

    def messages_to(self, chat_id: int | str, method: str | None = None) -> list[SentMessage]:
        """What the bot wrote to ``chat_id`` (sends and edits, or only ``method``)."""
        with self._lock:
            return [
                m
                for m in self.sent
                if m.chat_id == chat_id and (method is None or m.method == method)
            ]

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def get_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands set with ``setMyCommands`` for a scope (default scope if None)."""
        with self._lock:
            return list(self.commands.get((self._scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later ``getUpdates`` offset."""
        with self._lock:
            return len(self._updates)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        what: str = "condition",
        timeout: float = 10,  # noqa: ASYNC109 - a deadline for the assertion, not for I/O
    ) -> None:
        """Wait until ``predicate()`` holds, or fail the test saying what never happened."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                raise AssertionError(f"timed out waiting for {what}; {self._call_log()}")
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self,
        count: int,
        chat_id: int | str | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - a deadline for the assertion, not for I/O
        method: str | None = None,
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were recorded; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found := self._select(chat_id, method)) < count:
            if loop.time() >= deadline:
                raise AssertionError(self._timeout_report(count, chat_id, found))
            await asyncio.sleep(0.01)
        return found

    def wait_for_messages_blocking(
        self,
        count: int,
        chat_id: int | str | None = None,
        timeout: float = 10,
        method: str | None = None,
    ) -> list[SentMessage]:
        """``wait_for_messages`` for synchronous tests (server in ``run_in_thread``)."""
        deadline = time.monotonic() + timeout
        while len(found := self._select(chat_id, method)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(count, chat_id, found))
            time.sleep(0.01)
        return found

    def _select(self, chat_id: int | str | None, method: str | None) -> list[SentMessage]:
        with self._lock:
            return [
                m
                for m in self.sent
                if (chat_id is None or m.chat_id == chat_id)
                and (method is None or m.method == method)
            ]

    def _timeout_report(
        self, count: int, chat_id: int | str | None, found: list[SentMessage]
    ) -> str:
        where = "" if chat_id is None else f" to chat {chat_id}"
        return (
            f"expected {count} message(s){where}, got {len(found)}: {found!r}; {self._call_log()}"
        )

    def _call_log(self) -> str:
        with self._lock:
            calls = [f"{c.method}({c.params.get('chat_id', '')})" for c in self.calls]
        return f"API calls so far: {calls}"

    # -- state helpers -----------------------------------------------------------------------

    @staticmethod
    def _user(
        user_id: int, first_name: str, language_code: str | None, username: str | None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        if username is not None:
            user["username"] = username
        return user

    def _chat(
        self, chat_id: int | None, user_id: int, chat_type: str, first_name: str
    ) -> dict[str, Any]:
        if chat_type == "private":
            chat: dict[str, Any] = {"id": chat_id if chat_id is not None else user_id}
            chat.update(type="private", first_name=first_name)
        else:
            number = abs(chat_id) if chat_id is not None else 4_000_000 + user_id
            if chat_type == "supergroup" and not str(number).startswith("100"):
                number = int(f"100{number}")
            chat = {"id": -number, "type": chat_type, "title": f"Test {chat_type} {number}"}
        with self._lock:
            self._chats[chat["id"]] = chat
        return chat

    def _chat_for(self, chat_id: int | str) -> dict[str, Any]:
        with self._lock:
            known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if isinstance(chat_id, str):
            return {"id": -1_000_000_000_001, "type": "channel", "title": chat_id.lstrip("@")}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test User"}
        chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {-chat_id}"}

    def _take_message_id(self, chat_id: int | str) -> int:
        # Telegram numbers messages per chat, shared between the users and the bot.
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), **payload}
            self._updates.append(update)
        loop, event = self._loop, self._update_event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
        return update

    @staticmethod
    def _scope_key(scope: Mapping[str, Any] | None) -> str:
        return json.dumps(dict(scope or {"type": "default"}), sort_keys=True)

    def _take_failure(self, method: str, params: _Params) -> _Failure | None:
        chat_id = params.raw.get("chat_id")
        with self._lock:
            for failure in self._failures:
                if failure.method != method:
                    continue
                if failure.chat_id is not None and str(failure.chat_id) != str(chat_id):
                    continue
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                return failure
        return None

    def answering(self) -> int:
        """Requests being handled now, long polls (``getUpdates``) aside: once a client died, 0
        means that every request it had sent is recorded (or was never received)."""
        with self._lock:
            return self._answering

    def settle(self, timeout: float = 30.0) -> None:
        """From a test thread, once a client died: let the server's loop take in whatever the
        client had already sent, then wait until every request is answered."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeTelegramAPI is not started")

        async def turns() -> None:
            for _ in range(10):  # accept, read, start the handler: a loop turn each
                await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(turns(), loop).result(timeout)
        deadline = time.monotonic() + timeout
        while self.answering():
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Bot API is still answering")
            time.sleep(0.005)

    # -- HTTP --------------------------------------------------------------------------------

    async def _counted(self, request: web.Request) -> web.Response:
        long_poll = request.path.lower().endswith("/getupdates")
        if long_poll:
            return await self._handle(request)
        with self._lock:
            self._answering += 1
        try:
            return await self._handle(request)
        finally:
            with self._lock:
                self._answering -= 1

    async def _handle(self, request: web.Request) -> web.Response:
        match = _PATH_RE.fullmatch(request.path)
        if match is None:
            return self._error_response(_ApiError(404, "Not Found"))
        if not _TOKEN_RE.fullmatch(match["token"]):
            return self._error_response(_ApiError(401, "Unauthorized"))
        method = match["method"]
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return self._error_response(_ApiError(400, "Bad Request: can't parse JSON"))
            if isinstance(body, dict):
                raw.update(body)
        elif request.can_read_body:
            form = await request.post()
            raw.update({k: v for k, v in form.items() if isinstance(v, str)})
        params = _Params(raw)
        if self._latency:
            await asyncio.sleep(self._latency / 2)
        with self._lock:
            self.calls.append(ApiCall(method, dict(raw), self._clock()))
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None and method.lower() != "getupdates":
            return self._error_response(_ApiError(404, "Not Found: method not found"))
        if self._take_drop(method.lower(), params, after_accept=False):
            return self._drop_connection(request)
        failure = self._take_failure(method.lower(), params)
        if failure is not None:
            error = _ApiError(failure.status, failure.description, failure.parameters)
            return await self._delayed(self._error_response(error))
        try:
            if method.lower() == "sendmessage" and self._flood_share:
                self._random_flood(params)
            if handler is None:
                result = await self._get_updates(params)
            elif self._flood is not None and method.lower() == "sendmessage":
                result = self._flood_limited(handler, params)
            else:
                result = handler(params)
        except _ApiError as error:
            return await self._delayed(self._error_response(error))
        if self._take_drop(method.lower(), params, after_accept=True):
            return self._drop_connection(request)
        return await self._delayed(web.json_response({"ok": True, "result": result}))

    def _flood_limited(self, handler: Callable[[_Params], Any], params: _Params) -> Any:
        assert self._flood is not None
        chat_id = params.chat_id()
        now = self._clock()
        with self._lock:
            wait = self._flood.retry_after(chat_id, now)
            if wait:
                self.flood_refusals.append(FloodRefusal(now, chat_id, wait))
        if wait:
            raise _ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        result = handler(params)
        with self._lock:
            self._flood.accepted(chat_id, now)
        return result

    def _random_flood(self, params: _Params) -> None:
        """Raise a 429 for ``flood_share`` of the calls (the message is not accepted)."""
        with self._lock:
            if self._flood_rng.random() >= self._flood_share:
                return
            wait = self._flood_rng.randint(*self._flood_retry_after)
            self.flood_refusals.append(FloodRefusal(self._clock(), params.chat_id(), wait))
        raise _ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    async def _delayed(self, response: web.Response) -> web.Response:
        if self._latency:
            await asyncio.sleep(self._latency / 2)
        return response

    @staticmethod
    def _drop_connection(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)  # never reaches the client

    @staticmethod
    def _error_response(error: _ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.status)

    # -- API methods (looked up as ``_api_<lowercased method>``) -------------------------------

    def _api_getme(self, params: _Params) -> dict[str, Any]:
        return {
            **_bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        wait = min(params.get_float("timeout") or 0.0, LONG_POLL_CAP)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        event = self._update_event
        while True:
            if event is not None:
                event.clear()
            with self._lock:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                    ready = self._updates[:limit]
                elif offset < 0:
                    ready = self._updates[offset:][:limit]
                else:
                    ready = self._updates[:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or event is None:
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _api_deletewebhook(self, params: _Params) -> bool:
        with self._lock:
            self.webhook_url = ""
            if params.get_bool("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_setwebhook(self, params: _Params) -> bool:
        with self._lock:
            self.webhook_url = params.get_str("url") or ""
        return True

    def _api_getwebhookinfo(self, params: _Params) -> dict[str, Any]:
        with self._lock:
            pending = len(self._updates)
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }

    def _api_setmycommands(self, params: _Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, 'Bad Request: parameter "commands" can\'t be empty')
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _BOT_COMMAND_NAME_RE.fullmatch(name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        with self._lock:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _api_getmycommands(self, params: _Params) -> list[dict[str, str]]:
        return self.get_commands(params.get_json("scope"), params.get_str("language_code") or "")

    def _api_deletemycommands(self, params: _Params) -> bool:
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        with self._lock:
            self.commands.pop(key, None)
        return True

    def _checked_text(self, params: _Params) -> tuple[str, str | None]:
        text = params.get_str("text") or ""
        parse_mode = params.get_str("parse_mode")
        visible = text
        if parse_mode is not None and parse_mode.lower() == "html":
            try:
                visible = parse_telegram_html(text)
            except EntityParseError as error:
                raise _ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif parse_mode not in (None, "", "Markdown", "MarkdownV2"):
            raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        if not visible.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(visible) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return text, parse_mode

    @staticmethod
    def _checked_markup(params: _Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _options(params: _Params) -> dict[str, Any]:
        """The sending options a SentMessage keeps, parsed before any state changes."""
        return {
            "parse_mode": params.get_str("parse_mode"),
            "message_thread_id": params.get_int("message_thread_id"),
            "disable_web_page_preview": params.get_bool("disable_web_page_preview"),
            "link_preview_options": params.get_json("link_preview_options"),
            "params": dict(params.raw),
        }

    def _api_sendmessage(self, params: _Params) -> dict[str, Any]:
        chat_id = params.chat_id()
        text, _ = self._checked_text(params)
        markup = self._checked_markup(params)
        options = self._options(params)
        chat = self._chat_for(chat_id)
        message: dict[str, Any] = {"date": int(self._now()), "chat": chat, "from": _bot_user()}
        # Telegram answers with the visible text plus entities; echoing the sent text is enough
        # for PTB and lets a test compare what it rendered.
        message["text"] = text
        if options["message_thread_id"] is not None:
            message["message_thread_id"] = options["message_thread_id"]
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        reply = self._reply_parameters(params)
        with self._lock:
            replied = None
            if reply is not None:
                # Telegram refuses a reply to a message that is gone unless the bot allowed
                # sending without it; then the message goes out as no reply
                replied = self._messages.get((chat["id"], reply[0]))
                if replied is None and not reply[1]:
                    raise _ApiError(400, "Bad Request: message to be replied not found")
                if replied is not None:
                    message["reply_to_message"] = replied
            message["message_id"] = self._take_message_id(chat["id"])
            self._messages[(chat["id"], message["message_id"])] = message
            self.sent.append(
                SentMessage(
                    chat_id=chat["id"],
                    text=text,
                    reply_markup=markup,
                    message_id=message["message_id"],
                    method="sendMessage",
                    reply_to_message_id=None if replied is None else replied["message_id"],
                    **options,
                )
            )
        return message

    @staticmethod
    def _reply_parameters(params: _Params) -> tuple[int, bool] | None:
        """(message id, allow_sending_without_reply) of ``reply_parameters``, or None."""
        value = params.get_json("reply_parameters")
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("message_id"), int):
            raise _ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        return value["message_id"], bool(value.get("allow_sending_without_reply", False))

    def user_deletes(self, chat_id: int | str, message_id: int) -> None:
        """A chat's admin deletes a message (the bot is not told)."""
        with self._lock:
            del self._messages[(chat_id, message_id)]

    def _api_editmessagetext(self, params: _Params) -> dict[str, Any] | bool:
        text, _ = self._checked_text(params)
        markup = self._checked_markup(params)
        if params.get_str("inline_message_id"):
            return True
        chat_id = params.chat_id()
        message_id = params.get_int("message_id")
        options = self._options(params)
        with self._lock:
            old = self._messages.get((chat_id, message_id or 0))
            if old is None or old["from"]["id"] != BOT_ID:
                raise _ApiError(400, "Bad Request: message to edit not found")
            if old["text"] == text and old.get("reply_markup") == markup:
                raise _ApiError(400, _NOT_MODIFIED)
            message = {**old, "text": text, "edit_date": int(self._now())}
            message.pop("reply_markup", None)
            if markup is not None and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self._messages[(chat_id, message["message_id"])] = message
            self.sent.append(
                SentMessage(
                    chat_id=chat_id,
                    text=text,
                    reply_markup=markup,
                    message_id=message["message_id"],
                    method="editMessageText",
                    **options,
                )
            )
        return message

    def _api_deletemessage(self, params: _Params) -> bool:
        chat_id = params.chat_id()
        message_id = params.get_int("message_id") or 0
        with self._lock:
            if self._messages.pop((chat_id, message_id), None) is None:
                raise _ApiError(400, "Bad Request: message to delete not found")
            self.deleted.append((chat_id, message_id))
        return True

    def _answer_query(self, params: _Params, key: str) -> str:
        query_id = params.get_str(key) or ""
        with self._lock:
            if query_id not in self._open_queries:
                raise _ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is "
                    "invalid",
                )
            self._open_queries.discard(query_id)
        return query_id

    def _api_answercallbackquery(self, params: _Params) -> bool:
        answer = {
            "callback_query_id": self._answer_query(params, "callback_query_id"),
            "text": params.get_str("text"),
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time"),
        }
        with self._lock:
            self.callback_answers.append(answer)
        return True

    @staticmethod
    def _checked_results(results: Any) -> None:
        """Refuse inline results as Telegram does: too many, an empty id or title, or a message
        text that is empty, malformed or over 4,096 characters."""
        if not isinstance(results, list):
            raise _ApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        for result in results:
            if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
                raise _ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result.get("type") == "article" and not str(result.get("title", "")).strip():
                raise _ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            if "message_text" not in content:
                continue
            text = str(content["message_text"])
            parse_mode = content.get("parse_mode")
            if isinstance(parse_mode, str) and parse_mode.lower() == "html":
                try:
                    text = parse_telegram_html(text)
                except EntityParseError as error:
                    raise _ApiError(400, f"Bad Request: can't parse entities: {error}") from None
            if not text.strip():
                raise _ApiError(400, "Bad Request: MESSAGE_EMPTY")
            if len(text) > MAX_TEXT_LENGTH:
                raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")

    def _api_answerinlinequery(self, params: _Params) -> bool:
        self._checked_results(params.get_json("results"))
        answer = {
            "inline_query_id": self._answer_query(params, "inline_query_id"),
            "results": params.get_json("results"),
            "cache_time": params.get_int("cache_time"),
            "is_personal": params.get_bool("is_personal"),
            "next_offset": params.get_str("next_offset"),
        }
        with self._lock:
            self.inline_answers.append(answer)
        return True

    def _api_getchatmember(self, params: _Params) -> dict[str, Any]:
        chat_id = params.chat_id()
        user_id = params.get_int("user_id")
        if user_id is None:
            raise _ApiError(400, "Bad Request: user not found")
        with self._lock:
            statuses = self.chat_member_status.get(chat_id, {}) if isinstance(chat_id, int) else {}
            status = statuses.get(user_id, "member")
        user = _bot_user() if user_id == BOT_ID else self._user(user_id, "Test User", None, None)
        return {"status": status, "user": user, **_member_fields(status)}

    def _api_getchat(self, params: _Params) -> dict[str, Any]:
        chat = self._chat_for(params.chat_id())
        gifts = (
            "unlimited_gifts limited_gifts unique_gifts premium_subscription gifts_from_channels"
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {name: False for name in gifts.split()},
        }

    def _api_sendchataction(self, params: _Params) -> bool:
        chat_id = params.chat_id()
        with self._lock:
            self.chat_actions.append((chat_id, params.get_str("action") or ""))
        return True

    def _api_close(self, params: _Params) -> bool:
        return True

    def _api_logout(self, params: _Params) -> bool:
        return True


@pytest_asyncio.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    """A started FakeTelegramAPI on a free loopback port, closed after the test."""
    api = FakeTelegramAPI()
    await api.start()
    try:
        yield api
    finally:
        await api.close()
