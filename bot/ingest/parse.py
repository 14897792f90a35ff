"""Turn a feed body (bytes) into ``Entry`` values. Pure: no network, no files, no clock.

::

    body ─▶ JSON Feed?  ── yes ─▶ our own reader of items
              │ no
              ▼
            make the prolog safe (transcode UTF-16/32, drop DOCTYPE, comments, stray PIs)
              ▼
            UTF-8 with a few bad bytes? → replace them (bot.ingest.charset)
              ▼
            well-formed RSS/Atom/RDF it is sure of? ── yes ─▶ our own expat reader
              │ no (it hands over)                            (bot.ingest.reader: feedparser's
              ▼                                                entries, bounds applied on the way)
            bound the markup: first max_items items, tags, depth (bot.ingest.shape)
              ▼
            feedparser.parse (strict XML, falling back to its loose parser)
              ▼
            entries ─▶ Entry (guid, absolute http(s) link, title, longest summary, UTC date)

The fast reader gives exactly the entries feedparser would (tests/test_reader_identity.py
proves it on the real-feed corpus) at about a quarter of its cost; anything it is not sure of, it
hands whole to the feedparser path.

Text fields keep their HTML; ``bot.ingest.articles`` cleans them. The caller runs this in a
worker thread (``parse_feed_async``): parsing a large feed takes a noticeable fraction of a second.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import feedparser

from bot.errors import ParseError
from bot.ingest.charset import repair_utf8
from bot.ingest.jsonfeed import json_feed_entries, load_json_feed
from bot.ingest.links import ABSOLUTE, http_link, joined, text
from bot.ingest.mimic import hides_markup, strict_document
from bot.ingest.reader import read_entries
from bot.ingest.shape import bound_markup, markup_budget
from bot.models import Entry

log = logging.getLogger(__name__)

# Encodings that are not ASCII-compatible, recognised by their byte-order mark or by how
# "<?" looks in them (the XML spec's appendix F). Order matters: UTF-32 LE starts like UTF-16 LE.
_WIDE_ENCODINGS: tuple[tuple[bytes, int, str], ...] = (
    (codecs.BOM_UTF32_BE, 4, "utf-32-be"),
    (codecs.BOM_UTF32_LE, 4, "utf-32-le"),
    (codecs.BOM_UTF16_BE, 2, "utf-16-be"),
    (codecs.BOM_UTF16_LE, 2, "utf-16-le"),
    (b"\x00\x00\x00<", 0, "utf-32-be"),
    (b"<\x00\x00\x00", 0, "utf-32-le"),
    (b"\x00<\x00?", 0, "utf-16-be"),
    (b"<\x00?\x00", 0, "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", 0, "cp037"),
)
_XML_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^<>]*\?>")
_WIDE_DECLARED = re.compile(
    rb"""[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*["']?"""
    rb"""(?:utf[-_]?(?:16|32)|ucs[-_]?[24]|iso-10646-ucs-[24]|csunicode|csucs4|u16|u32)"""
    rb"""[\w-]*["']?""",
    re.IGNORECASE,
)
_FORWARDED_HEADERS = ("content-type", "content-language")
_UTF8_HEADERS = {"content-type": "application/xml; charset=utf-8"}
# Start tags of the elements feedparser reads as an entry's id (any prefix, any case), and of
# those among them that it never resolves against the feed's URL.
_ID_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:guid|id)[\s/>]", re.IGNORECASE)
_NON_PERMALINK = re.compile(
    rb"""<(?:[\w.-]+:)?guid\s[^<>]*?(?<=\s)ispermalink\s*=\s*(["'])false\1""", re.IGNORECASE
)


def parse_feed(
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    base_url: str = "",
    max_items: int = 500,
) -> list[Entry]:
    """The entries of an RSS, Atom, RDF or JSON Feed document, at most ``max_items``.

    ``headers`` are the HTTP response headers (their content type may name the charset);
    ``base_url`` is the feed's URL, against which relative links are resolved. A malformed feed
    that still yields entries is accepted; entries with no id, link, title or text are skipped.
    Raises ``ParseError`` when the body holds no feed.
    """
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    json_feed = load_json_feed(body)
    if json_feed is not None:
        return json_feed_entries(json_feed, base_url, max_items)

    data, transcoded = _to_ascii_compatible(body)
    repaired = repair_utf8(data, _UTF8_HEADERS if transcoded else lowered)
    if repaired is not None:
        data, transcoded = repaired, True
    data = _safe_prolog(data)
    if not data.strip():
        raise ParseError("the body holds no XML feed")
    response_headers = {k: lowered[k] for k in _FORWARDED_HEADERS if k in lowered}
    if transcoded:
        response_headers["content-type"] = "application/xml; charset=utf-8"
    else:
        # Without a content type feedparser assumes ISO-8859-1 and garbles UTF-8 feeds that
        # have no XML declaration; XML itself says the default is UTF-8.
        response_headers.setdefault("content-type", "application/xml")
    if not transcoded and hides_markup(data, response_headers):
        # The bounds below scan bytes: in UTF-7, ISO-2022, EBCDIC, escapes or a CJK encoding
        # whose second bytes may be ASCII, the markup feedparser reads need not be those bytes
        # (a nest of tags written "+ADw-a+AD4-" passed them). Decoded as feedparser decodes it.
        prepared = strict_document(data, response_headers)
        if prepared is None:
            raise ParseError("the feed's encoding cannot be read")
        data = prepared[0]
        mime = response_headers["content-type"].partition(";")[0].strip()
        response_headers["content-type"] = f"{mime or 'application/xml'}; charset=utf-8"
    content_location = base_url or lowered.get("content-location", "")
    # Bounded before parsing: feedparser's time and memory grow with the tags it is given.
    # With fewer "<" than the tag budget, only the item cut and the nesting can apply, and the
    # fast reader applies them itself; with more, the bounds decide first, as for feedparser.
    bounded = data.count(b"<") > markup_budget(max_items)
    if bounded:
        data = bound_markup(data, max_items)
    fast = _fast_entries(data, response_headers, max_items)
    if fast is not None:
        # The same two steps as below: without the feed's URL, then with it where it matters.
        if content_location and _joins_base(fast, content_location, data):
            response_headers["content-location"] = content_location
            fast = _fast_entries(data, response_headers, max_items)
        if fast is not None:
            return _entries(fast, content_location, max_items)
        response_headers.pop("content-location", None)
    if not bounded:
        data = bound_markup(data, max_items)
    # feedparser is first run without the feed's URL: given a base URI it joins it to every
    # element it opens, a quarter of its time, and for most feeds nothing changes, because
    # their links and ids are absolute already. Only where one would be joined (a relative
    # link, or a relative guid that feedparser resolves as a permalink) is it run again with
    # the URL, so the entries are always exactly those of a run with it.
    result = _feedparser(data, response_headers)
    if content_location and _joins_base(result.get("entries") or [], content_location, data):
        response_headers["content-location"] = content_location
        result = _feedparser(data, response_headers)
    entries = result.get("entries") or []
    if not entries and not result.get("version"):
        problem = result.get("bozo_exception")
        detail = f": {str(problem)[:160]}" if problem else ""
        raise ParseError(f"the body holds no RSS, Atom or JSON feed{detail}")
    return _entries(entries, content_location, max_items)


def _fast_entries(
    data: bytes, headers: Mapping[str, str], max_items: int
) -> list[dict[str, Any]] | None:
    """The fast reader's entries, or None for feedparser to read the body: also when the
    reader fails in a way it does not foresee, so that such a body is read as before instead
    of failing its feed."""
    try:
        return read_entries(data, headers, max_items)
    except Exception as exc:
        log.warning(
            "the fast feed reader failed (%s); feedparser reads this body", type(exc).__name__
        )
        return None


def _entries(entries: list[Any], base: str, max_items: int) -> list[Entry]:
    parsed = (_entry(raw, base) for raw in entries)
    # Some feeds nest an empty <item/> inside every item; feedparser reports each as an entry.
    kept = (e for e in parsed if e.guid or e.link or e.title or e.summary)
    return list(islice(kept, max(0, max_items)))


async def parse_feed_async(
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    base_url: str = "",
    max_items: int = 500,
) -> list[Entry]:
    """``parse_feed`` in a worker thread, so a large feed does not stall the event loop."""
    return await asyncio.to_thread(
        parse_feed, body, headers=headers, base_url=base_url, max_items=max_items
    )


def _feedparser(data: bytes, response_headers: dict[str, str]) -> Any:
    try:
        # A BytesIO, never bare bytes: feedparser treats a bytes argument as a file name first.
        # No sanitizing or link rewriting inside the HTML: the bot never shows feed HTML, it
        # reduces it to plain text (bot.text.html), so that work would be thrown away.
        return feedparser.parse(
            io.BytesIO(data),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's loose parser has crashed on odd input before
        raise ParseError(f"feed parser failed: {type(exc).__name__}") from exc


def _joins_base(entries: list[Any], base: str, data: bytes) -> bool:
    """Whether a run of feedparser given ``base`` would give other links or ids than the run
    without it that gave ``entries``: some link or id changes when joined to ``base``. An id
    counts only if feedparser may resolve it, which it does for every ``<guid>`` or ``<id>``
    except a ``<guid isPermaLink="false">``; ``data`` tells whether all of them are such."""
    ids_resolve: bool | None = None
    for raw in entries:
        for key in ("link", "id"):
            if key == "id" and ids_resolve is False:
                continue
            value = text(dict.get(raw, key))
            if not value or ABSOLUTE.match(value) or joined(base, value) == value:
                continue
            if key == "link":
                return True
            if ids_resolve is None:
                ids_resolve = len(_ID_TAG.findall(data)) != len(_NON_PERMALINK.findall(data))
            if ids_resolve:
                return True
    return False


# --- preparing XML for feedparser ------------------------------------------------------------


def _to_ascii_compatible(body: bytes) -> tuple[bytes, bool]:
    """UTF-16/32 and EBCDIC bodies re-encoded as UTF-8, so that the prolog can be scanned as
    bytes; the flag says the body was re-encoded. A UTF-8 BOM is dropped (the flag says so)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :], True
    for marker, skip, encoding in _WIDE_ENCODINGS:
        if body.startswith(marker):
            text = body[skip:].decode(encoding, "replace")
            return text.encode("utf-8", "replace"), True
    return body, False


def _safe_prolog(data: bytes) -> bytes:
    """The document with everything before its root element dropped, except the XML declaration.

    This removes DOCTYPEs with an internal subset: feedparser 6.0.14 re-inserts their entity
    declarations and its loose parser expands them, so a small feed that references a large
    entity many times grows quadratically (a 78 KB feed reached 1.2 GB of memory). Comments and
    processing instructions go too, because feedparser looks for ENTITY declarations anywhere
    before the root, including inside them. Leading blank lines, which make a document with an
    XML declaration ill-formed, disappear as a side effect.
    """
    declaration = b""
    i, end = 0, len(data)
    while True:
        i = data.find(b"<", i)
        if i < 0 or i + 1 >= end:
            return declaration
        kind = data[i + 1 : i + 2]
        if kind == b"?":
            close = data.find(b"?>", i + 2)
            if close < 0:
                return declaration
            if not declaration and _XML_DECLARATION.fullmatch(data, i, close + 2):
                declaration = _byte_declaration(data[i : close + 2]) + b"\n"
            i = close + 2
        elif kind == b"!":
            i = _skip_markup_declaration(data, i)
        else:
            return declaration + data[i:]


def _byte_declaration(declaration: bytes) -> bytes:
    """The XML declaration without an encoding of 16 or 32 bits, which bytes that read "<?xml"
    in ASCII cannot be in (a wide body was transcoded already). Left in, it makes feedparser
    decode a UTF-8 body as UTF-16 whenever its length happens to be even: garbage."""
    found = _WIDE_DECLARED.search(declaration)
    if found is None:
        return declaration
    return declaration[: found.start()] + declaration[found.end() :]


def _skip_markup_declaration(data: bytes, start: int) -> int:
    """The index just past the ``<!…>`` at ``start``: a comment, or a declaration whose
    ``[…]`` internal subset may hold nested declarations, quoted strings and comments."""
    if data.startswith(b"<!--", start):
        close = data.find(b"-->", start + 4)
        return len(data) if close < 0 else close + 3
    depth = 0
    i, end = start + 2, len(data)
    while i < end:
        byte = data[i]
        if byte in b"\"'":
            close = data.find(bytes([byte]), i + 1)
            i = end if close < 0 else close + 1
            continue
        if data.startswith(b"<!--", i):
            close = data.find(b"-->", i + 4)
            i = end if close < 0 else close + 3
            continue
        if data.startswith(b"<?", i):
            close = data.find(b"?>", i + 2)
            i = end if close < 0 else close + 2
            continue
        if byte == ord("["):
            depth += 1
        elif byte == ord("]"):
            depth = max(0, depth - 1)
        elif byte == ord(">") and depth == 0:
            return i + 1
        i += 1
    return end


# --- feedparser entries -----------------------------------------------------------------------


def _from_struct(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value  # from the fast reader, already UTC
    if not isinstance(value, time.struct_time):
        return None
    try:
        # feedparser gives UTC; a leap second (60) is not a valid datetime second.
        return datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _entry(raw: dict[str, Any], base: str) -> Entry:
    # dict.get throughout: FeedParserDict.get maps aliases ("guid", "description"), and none of
    # these keys is one, so it would only cost time (five keys for every entry)
    summary = text(dict.get(raw, "summary"))
    content = dict.get(raw, "content")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        body = text(content[0].get("value"))
        if len(body) > len(summary):
            summary = body
    return Entry(
        guid=text(dict.get(raw, "id")) or None,
        link=http_link(dict.get(raw, "link"), base),
        title=text(dict.get(raw, "title")),
        summary=summary,
        # and FeedParserDict.get("updated_parsed") falls back to the published date with a
        # DeprecationWarning (feedparser issue 310)
        published=_from_struct(dict.get(raw, "published_parsed"))
        or _from_struct(dict.get(raw, "updated_parsed")),
    )
