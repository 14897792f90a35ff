"""Read and write OPML subscription lists, the format feed readers import and export.

Reading is for files a user hands over, so it is defensive::

    bytes ─▶ prolog check (expat, stops at the root element): any DOCTYPE or ENTITY → ParseError
          ─▶ xml.etree parse (no DTD can remain, so nothing can expand) → root must be <opml>
          ─▶ every <outline xmlUrl=…>, nested ones too, in document order
          ─▶ URL checked like any feed URL: refused or repeated ones go to ``skipped``

Writing produces OPML 2.0 in UTF-8; characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from xml.parsers import expat

from bot.errors import BlockedURLError, ParseError
from bot.ingest.guard import check_url, redact_url
from bot.models import FeedSource

# Everything outside XML 1.0's Char production (control characters, lone surrogates,
# U+FFFE/U+FFFF): such a character in an attribute makes the whole document unreadable.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LANG = re.compile(r"[A-Za-z]{2,3}")


class _RootReached(Exception):
    """Raised inside expat to stop the prolog check at the first element."""


class _Refused(Exception):
    """Raised inside expat when the prolog declares a DTD or entities."""


def _local(name: str) -> str:
    """The local part of an ElementTree name (``{namespace}local`` or ``local``)."""
    return name.rsplit("}", 1)[-1]


def _check_prolog(data: bytes) -> None:
    """Refuse a DTD before anything expands it: expat sees the DOCTYPE before any entity."""

    def refuse_doctype(*_: object) -> None:
        raise _Refused("a DOCTYPE")

    def refuse_entity(*_: object) -> None:
        raise _Refused("an entity declaration")

    def root(*_: object) -> None:
        raise _RootReached

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _RootReached:
        return
    except _Refused as exc:
        raise ParseError(f"OPML with {exc} is refused (DTDs can expand without bound)") from None
    except (expat.ExpatError, ValueError, LookupError) as exc:
        raise ParseError(f"not valid XML: {exc}") from None
    raise ParseError("not valid XML: no root element")


def _parse_tree(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParseError(f"not valid XML: {exc}") from None
    except (ValueError, LookupError) as exc:
        raise ParseError(f"not valid XML: {exc}") from None


def _lang(value: str | None) -> str | None:
    """The primary language subtag, lower-cased (``ar-SA`` → ``ar``); None if it is not one."""
    if not value:
        return None
    primary = value.strip().split("-", 1)[0].split("_", 1)[0]
    return primary.lower() if _LANG.fullmatch(primary) else None


def _shown(url: str) -> str:
    """The URL as a report line shows it: never its credentials, never pages of text."""
    if not url:
        return "(empty URL)"
    shown = redact_url(url) if "@" in url else url
    return shown if len(shown) <= 200 else shown[:199] + "…"


def parse_opml(data: bytes) -> tuple[list[FeedSource], list[str]]:
    """The feeds an OPML document lists, and a line for each outline that was skipped.

    Raises ``ParseError`` for anything that is not a well-formed OPML document, and for any
    document with a DOCTYPE or entity declarations. Outlines without ``xmlUrl`` (folders) are
    not feeds and are passed over silently; an ``xmlUrl`` the fetcher would refuse (not http(s),
    credentials, no host) or one listed before is skipped and reported.
    """
    _check_prolog(data)
    root = _parse_tree(data)
    if _local(root.tag) != "opml":
        raise ParseError(f"not an OPML document: the root element is <{_local(root.tag)}>")
    feeds: list[FeedSource] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for element in root.iter():
        if _local(element.tag) != "outline":
            continue
        # Attribute names vary in case between tools (xmlUrl, xmlurl, XMLURL).
        attributes = {_local(name).lower(): value for name, value in element.attrib.items()}
        if "xmlurl" not in attributes:
            continue
        url = attributes["xmlurl"].strip()
        try:
            check_url(url)
        except BlockedURLError as exc:
            skipped.append(f"{_shown(url)}: {exc}")
            continue
        if url in seen:
            skipped.append(f"{_shown(url)}: listed twice")
            continue
        seen.add(url)
        name = (attributes.get("title") or "").strip() or (attributes.get("text") or "").strip()
        lang = _lang(attributes.get("language"))
        # digestbot reads Arabic and English; another language tag is dropped, not stored
        feeds.append(
            FeedSource(url=url, name=name or url, lang=lang if lang in ("ar", "en") else None)
        )
    return feeds, skipped


def _clean(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)


def export_opml(feeds: Sequence[FeedSource], title: str) -> bytes:
    """An OPML 2.0 document (UTF-8) listing ``feeds`` under a head with ``title``."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _clean(title)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {
            "type": "rss",
            "text": _clean(feed.name),
            "title": _clean(feed.name),
            "xmlUrl": _clean(feed.url),
        }
        if feed.lang:
            attributes["language"] = _clean(feed.lang)
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return document + b"\n"
