"""A fast reader of well-formed feeds, giving the entries feedparser gives, or handing over.

feedparser's strict parser is expat under xml.sax, with a Python handler for every event and a
general model of every feed format; most of its time is those handlers. This reader runs expat
(``xml.parsers.expat``) itself on the same prepared bytes (``bot.ingest.parse``), with handlers
only for what ``Entry`` needs, and reproduces feedparser 6's rules for those fields:

- RSS 2.0 / 0.9x (``rss`` > ``channel`` > ``item``), RSS 1.0 / 0.90 (``rdf:RDF`` > ``item``)
  and Atom (``feed`` > ``entry``), elements named after their namespace as feedparser names
  them (``content:encoded``, ``dc:date``, ``media:title``, …);
- title, summary (``description``, ``summary``, ``itunes:summary``, …; a second one becomes
  content) and content (``content``, ``content:encoded``), stripped, with feedparser's
  ISO-8859-1 re-decoding and windows-1252 mapping;
- link (RSS ``<link>``, Atom ``rel="alternate"``; the last one wins), guid/id (a permalink guid
  resolved against the base and used as the link when there is none), ``rdf:about``;
- published (pubDate, published, issued) and updated (updated, modified, dc:date, …) through
  ``bot.ingest.dates``; when one appears at several depths, feedparser's depth rule.

It is given the body as feedparser would be, but before ``bot.ingest.shape``'s bounds (unless
the body has more "<" than their tag budget: then after them), and applies them on the way: it
stops at item ``max_items + 1`` as their cut does, and hands over past their nesting depth
or their number of namespaces.
Encodings, namespaces, ``xml:base`` and ``<source>``/``<image>`` in items are followed as
feedparser follows them (``bot.ingest.mimic``, ``bot.ingest.namespaces``).

It hands the whole body over (``read_entries`` returns None) whenever it is not sure to give
exactly feedparser's entries: an expat error (malformed XML, which feedparser's loose parser
reads), an encoding feedparser would guess with chardet, an unknown root or items elsewhere
than where the formats put them (or in items), XHTML or base64 content, a ``type`` or ``mode``
it does not handle, a title or summary with child elements, a namespace declared below the
root that renames elements, an element feedparser handles that it does not model in an item
(``textinput``, geo elements, …), an item ``href`` or ``lastmod``, a date it cannot read
(``dates.UNSURE``), a character reference of more than 10 bytes (leading zeros), a feedparser
other than 6.0, or no entries at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.parsers import expat

import feedparser

from bot.ingest import shape
from bot.ingest.dates import feed_date
from bot.ingest.mimic import attributes, join_uri, repair_text, safe_absolute_uri, strict_document
from bot.ingest.namespaces import (
    ALL_HANDLED,
    CONTENT_TYPES,
    FORBIDDEN_OUTSIDE,
    HANDLED,
    INERT,
    ITEM_KEYS,
    RESET_TITLE,
    ROLES,
    ROOT_KEYS,
    TRANSPARENT,
    Role,
    feedparser_key,
    generic_ok,
    standard_prefix,
)

_BASE_ATTRIBUTE = re.compile(rb"[\s:]base\s*=", re.IGNORECASE)
_QUERY_REFERENCE = re.compile(r"&([A-Za-z0-9_]+);")
# The feedparser whose rules are reproduced here; any other gets every body.
_REPRODUCED = feedparser.__version__.startswith("6.0.")
_TEXT_DEFAULTS = {Role.DESCRIPTION: "text/html", Role.ENCODED: "text/html"}
_SHORT_VALUE = shape.MAX_QUOTED // 10  # "&#x10FFFF;": 10 bytes for one character
# A character reference longer than that (leading zeros: "&#x0000…41;" is "A"): a value of a
# few characters could then be longer than the bounds' scan reads, unseen by ``_SHORT_VALUE``.
_LONG_REFERENCE = re.compile(rb"&#(?:[0-9]{8}|[xX][0-9A-Fa-f]{7})")


# The roles as globals: the handlers run for every element.
_OUTSIDE = Role.OUTSIDE
_ITEM = Role.ITEM
_GENERIC = Role.GENERIC
_OPAQUE = Role.OPAQUE
_TITLE = Role.TITLE
_MEDIA_TITLE = Role.MEDIA_TITLE
_DESCRIPTION = Role.DESCRIPTION
_SUMMARY = Role.SUMMARY
_CONTENT = Role.CONTENT
_ENCODED = Role.ENCODED
_LINK = Role.LINK
_LINK_TEXT = Role.LINK_TEXT
_GUID = Role.GUID
_PUBLISHED = Role.PUBLISHED
_UPDATED = Role.UPDATED


class _HandOver(Exception):
    """The body needs feedparser."""


class _Cut(Exception):
    """Item ``max_items + 1`` starts: the bounded body ends here."""


def read_entries(
    data: bytes, headers: Mapping[str, str], max_items: int
) -> list[dict[str, Any]] | None:
    """feedparser's entries of ``data`` as dicts (id, link, title, summary, content,
    published_parsed and updated_parsed, these two as UTC datetimes rather than time tuples),
    as ``feedparser.parse`` gives them with these response headers after
    ``shape.bound_markup(data, max_items)``; None when feedparser must decide."""
    if not _REPRODUCED or _LONG_REFERENCE.search(data):
        return None
    prepared = strict_document(data, headers)
    if prepared is None:
        return None
    document, own_bytes = prepared
    location = headers.get("content-location", "")
    if _BASE_ATTRIBUTE.search(data):
        reader = _Reader(location, max_items)
        reader.bases = []  # followed element by element, as feedparser does
    elif not location or join_uri(location, location) == location:
        reader = _Reader(location, max_items)  # the same base in every element
    else:
        return None
    parser = expat.ParserCreate("utf-8", " ")
    parser.namespace_prefixes = True
    parser.buffer_text = True
    reader.parser = parser
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end if reader.bases is None else reader.end_with_base
    parser.StartNamespaceDeclHandler = reader.namespace
    reader.document = document if own_bytes else None
    try:
        parser.Parse(document, True)
    except _Cut:
        pass
    except (_HandOver, expat.ExpatError, RecursionError):
        return None
    return reader.entries or None


class _Reader:
    """The expat handlers. ``stack`` holds the role of each open element."""

    def __init__(self, base: str, max_items: int) -> None:
        self.base = base
        self.bases: list[str] | None = None  # the base of each open element, when followed
        self.max_items = max_items
        self.parser: Any = None
        self.document: bytes | None = None  # the body's own bytes, when they are expat's
        self.entries: list[dict[str, Any]] = []
        self.entry: dict[str, Any] | None = None
        self.depths: dict[str, int] = {}  # feedparser's depth of each entry value
        self.stack: list[Role] = []
        self.keys: dict[str, tuple[str, bool]] = {}
        self.in_use: dict[str, str] = {}  # feedparser's namespaces_in_use
        self.prefixes: dict[str | None, str] = {}  # feedparser's namespacemap
        self.items = 0
        self.item_depth = 0  # the depth items are at
        self.opaque = 0  # open elements in the entry the reader does not look into
        self.text: list[str] | None = None
        self.as_content = False
        self.has_content = False
        self.title_depth = -1
        self.guid_is_link = False

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        """feedparser's record of a declaration (it keeps every one for the rest of the
        document). Below the root, only one that renames no element may pass."""
        if not uri:
            return
        lowered = uri.lower()
        if "backend.userland.com/rss" in lowered:
            uri = lowered = "http://backend.userland.com/rss"
        standard = standard_prefix(lowered)
        if self.stack:
            if standard is None and not prefix:
                self.in_use[""] = uri  # feedparser never names an element by this one
                return
            if standard is None:
                changes = self.in_use.get(prefix or "", uri) != uri or prefix in self.prefixes
            else:
                changes = self.prefixes.get(prefix, standard) != standard
                changes = changes or self.in_use.get(standard, uri) != uri
            if changes:
                raise _HandOver  # open elements would end under other names
        self.keys.clear()
        if standard is not None:
            self.prefixes[prefix] = standard
            self.in_use[standard] = uri
        else:
            self.in_use[prefix or ""] = uri
        if len(self.in_use) > shape.MAX_NAMESPACES:
            raise _HandOver  # every name is looked for among them: for the bounds to judge

    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        depth = len(stack) + 1
        if depth > shape.MAX_DEPTH or self.text is not None:
            raise _HandOver  # nesting for the bounds to judge, or a child element in a text
        known = self.keys.get(name)
        if known is None:
            known = self.keys[name] = feedparser_key(name, self.in_use, self.prefixes)
        key, item_like = known
        if attrs and max(map(len, attrs.values())) > _SHORT_VALUE:
            self._check_long_value()
        if self.bases is not None:
            self._enter_base(attrs)
        entry = self.entry
        if entry is None:
            if item_like:
                if depth != self.item_depth or key not in ITEM_KEYS:
                    raise _HandOver
                self._item(attrs)
                stack.append(_ITEM)
                return
            if depth == 1:
                if key not in ROOT_KEYS:
                    raise _HandOver
                self.item_depth = 3 if key == "rss" else 2
            elif key in FORBIDDEN_OUTSIDE or (key not in ALL_HANDLED and not generic_ok(key)):
                raise _HandOver
            stack.append(_OUTSIDE)
            return
        if item_like:
            raise _HandOver  # an item in an item
        role = ROLES.get(key)
        if role is None:
            if key in TRANSPARENT:
                stack.append(_GENERIC)
            elif key in INERT or key in RESET_TITLE:
                if key in RESET_TITLE:
                    self.title_depth = -1
                self.opaque += 1
                stack.append(_OPAQUE)
            elif key in HANDLED or not generic_ok(key):
                raise _HandOver
            else:
                stack.append(_GENERIC)
            return
        if self.opaque:
            raise _HandOver
        if role is _LINK:
            role = self._link(attrs, entry)
        elif role is _GUID:
            self.guid_is_link = attributes(attrs).get("ispermalink", "true") == "true"
            self._capture()
        elif role is _PUBLISHED or role is _UPDATED:
            self._capture()
        else:
            self._open_text(role, attrs, entry)
        stack.append(role)

    def _check_long_value(self) -> None:
        """The bounds' scan reads a quoted value of up to 2 KB as one: past that it does not
        see the element. A value can be that long in bytes from 205 characters on (as
        character references), so the scan itself is asked, on the body's own bytes."""
        document = self.document
        if document is None or not shape.read_whole(document, self.parser.CurrentByteIndex):
            raise _HandOver

    def _enter_base(self, attrs: dict[str, str]) -> None:
        assert self.bases is not None
        found = attributes(attrs) if attrs else {}
        given = found.get("xml:base", found.get("base")) or self.base
        if self.base:
            self.base = safe_absolute_uri(self.base, given) or self.base
        else:
            self.base = join_uri(self.base, given)
        self.bases.append(self.base)

    def end_with_base(self, name: str) -> None:
        self.end(name)
        bases = self.bases
        assert bases is not None
        bases.pop()
        if bases and bases[-1]:
            self.base = bases[-1]

    def end(self, name: str) -> None:
        role = self.stack.pop()
        if role is _OUTSIDE or role is _GENERIC or role is _LINK:
            return
        if role is _OPAQUE:
            self.opaque -= 1
            return
        if role is _ITEM:
            self.entry = None
            self.has_content = False
            return
        entry = self.entry
        assert entry is not None
        depth = len(self.stack) + 1
        output = "".join(self._release()).strip()
        if role is _LINK_TEXT:
            value = repair_text(join_uri(self.base, output) if output else output)
            if "&" in value:
                value = _QUERY_REFERENCE.sub(r"&\g<1>", value.replace("&amp;", "&"))
            entry["link"] = value
        elif role is _GUID:
            value = repair_text(
                join_uri(self.base, output) if output and self.guid_is_link else output
            )
            self._store(entry, "id", value, depth)
            if self.guid_is_link:
                entry.setdefault("link", value)
        elif role is _PUBLISHED or role is _UPDATED:
            date = feed_date(repair_text(output))
            if isinstance(date, str):
                raise _HandOver  # UNSURE
            field = "published_parsed" if role is _PUBLISHED else "updated_parsed"
            entry[field] = date
        else:
            self._close_text(role, repair_text(output), entry, depth)

    def _item(self, attrs: dict[str, str]) -> None:
        self.items += 1
        if self.items > self.max_items:
            raise _Cut
        entry: dict[str, Any] = {}
        if attrs:
            found = attributes(attrs)
            if "lastmod" in found or "href" in found:
                raise _HandOver  # feedparser reads these as the entry's date and link
            about = found.get(self.prefixes.get("rdf", "rdf") + ":about")
            if about:
                entry["id"] = about
        self.entries.append(entry)
        self.entry = entry
        self.depths = {}
        self.title_depth = -1
        self.guid_is_link = False

    def _store(self, entry: dict[str, Any], field: str, value: str, depth: int) -> None:
        """feedparser keeps a value found no deeper than the one it has."""
        old = self.depths.get(field)
        if old is None or depth <= old:
            self.depths[field] = depth
            entry[field] = value

    def _link(self, attrs: dict[str, str], entry: dict[str, Any]) -> Role:
        found = attributes(attrs)
        rel = found.setdefault("rel", "alternate")
        kind = found.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        href = found.get("url", found.get("uri", found.get("href")))
        if href:
            found["href"] = href
        if "href" not in found:
            self._capture()
            return _LINK_TEXT
        kind = CONTENT_TYPES.get(kind, kind)
        if rel == "alternate" and kind in ("text/html", "application/xhtml+xml"):
            entry["link"] = join_uri(self.base, found["href"])
        return _LINK

    def _open_text(self, role: Role, attrs: dict[str, str], entry: dict[str, Any]) -> None:
        found = attributes(attrs) if attrs else {}
        self.as_content = role is _CONTENT or role is _ENCODED
        default = _TEXT_DEFAULTS.get(role, "text/plain")
        if role in (_DESCRIPTION, _SUMMARY) and "summary" in entry and not self.has_content:
            self.as_content = True  # a second summary is content to feedparser
            default = "text/plain"
        if self.as_content:
            self.has_content = True
        kind = found.get("type", default)
        kind = CONTENT_TYPES.get(kind, kind)
        if kind not in ("text/plain", "text/html") or "mode" in found:
            raise _HandOver  # XHTML, base64, or a type feedparser reads otherwise
        self._capture()

    def _close_text(self, role: Role, value: str, entry: dict[str, Any], depth: int) -> None:
        if self.as_content:
            entry.setdefault("content", []).append({"value": value})
            entry.setdefault("summary", value)
        elif role is _TITLE or role is _MEDIA_TITLE:
            if not -1 < self.title_depth <= depth:
                self._store(entry, "title", value, depth)
            if value and role is _TITLE:
                self.title_depth = depth
        else:
            self._store(entry, "summary", value, depth)

    def _capture(self) -> None:
        self.text = []
        self.parser.CharacterDataHandler = self.text.append

    def _release(self) -> list[str]:
        pieces = self.text or []
        self.text = None
        self.parser.CharacterDataHandler = None
        return pieces
