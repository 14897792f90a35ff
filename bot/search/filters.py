"""The filters of a search (``lang:``, ``source:``, ``since:``): read from the query, and the
ones it cannot use listed for the chat to explain. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_FILTER_RE = re.compile(r'(?<!\S)(lang|source|since):(?:"([^"]*)("|$)|(\S*))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BadFilter:
    """A filter in a query whose value cannot be used (``lang:fr``, ``since:2024-13-45``,
    ``source:"Al Jazeera`` without its closing quote), as the user typed it."""

    key: str
    text: str


@dataclass(frozen=True, slots=True)
class Filters:
    """What ``lang:``, ``source:`` and ``since:`` in a query ask for, and the filters it could
    not use (``bad``)."""

    lang: str | None = None
    source: str | None = None
    since: datetime | None = None
    bad: tuple[BadFilter, ...] = ()

    @property
    def any(self) -> bool:
        return self.lang is not None or self.source is not None or self.since is not None


def split_filters(query: str) -> tuple[str, Filters]:
    """The query's words without its filters, and the filters. Pure.

    ``lang:ar|en``, ``source:NAME`` (``source:"Al Jazeera"`` for names with spaces; the name is
    matched case-insensitively as a part of the outlet's name) and ``since:YYYY-MM-DD``. A
    filter with a value it cannot take (``lang:fr``, ``since:yesterday``, ``source:`` with no
    name or an unclosed quote) is listed in ``Filters.bad``, for the chat to say so, and its
    value stays in the query as plain words, so the archive itself never fails on one.
    """
    lang: str | None = None
    source: str | None = None
    since: datetime | None = None
    kept: list[str] = []
    bad: list[BadFilter] = []

    def take(match: re.Match[str]) -> str:
        nonlocal lang, source, since
        key = match.group(1).lower()
        quoted = match.group(2) is not None
        value = (match.group(2) if quoted else match.group(4)) or ""
        # An unclosed quote, or one inside an unquoted name, means the name is not what was meant.
        closed = match.group(3) == '"' if quoted else '"' not in value
        if key == "lang" and value.lower() in ("ar", "en"):
            lang = value.lower()
            return " "
        if key == "source" and value.strip() and closed:
            source = value.strip().casefold()
            return " "
        if key == "since":
            try:
                since = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
                return " "
            except ValueError:
                pass
        bad.append(BadFilter(key=key, text=match.group(0).strip()))
        kept.append(value)
        return " "

    rest = _FILTER_RE.sub(take, query)
    words = " ".join(" ".join([rest, *kept]).split())
    return words, Filters(lang=lang, source=source, since=since, bad=tuple(bad))
