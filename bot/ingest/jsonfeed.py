"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1): recognise a body as one and read its
items into ``Entry`` values. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.ingest.links import http_link, text
from bot.models import Entry

_VERSION = "jsonfeed.org/version/"


def load_json_feed(body: bytes) -> dict[str, Any] | None:
    """The decoded document when ``body`` is a JSON Feed (https://jsonfeed.org), else None."""
    start = body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if start != b"{":
        return None
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    version = document.get("version")
    if isinstance(version, str) and _VERSION in version:
        return document
    return None


def json_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def json_feed_entries(document: Mapping[str, Any], base: str, max_items: int) -> list[Entry]:
    items = document.get("items")
    if not isinstance(items, list):
        return []
    base = base or text(document.get("feed_url")) or text(document.get("home_page_url"))
    entries: list[Entry] = []
    for item in items:
        if len(entries) >= max_items:
            break
        if not isinstance(item, dict):
            continue
        raw_id = item.get("id")
        guid = str(raw_id).strip() if isinstance(raw_id, str | int) else ""
        texts = [text(item.get(k)) for k in ("content_html", "content_text", "summary")]
        entry = Entry(
            guid=guid or None,
            link=http_link(item.get("url"), base),
            title=text(item.get("title")),
            summary=max(texts, key=len),
            published=json_date(item.get("date_published")) or json_date(item.get("date_modified")),
        )
        if entry.guid or entry.link or entry.title or entry.summary:
            entries.append(entry)
    return entries
