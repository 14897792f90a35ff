"""What goes into the full-text index, and how a user's query becomes an FTS5 MATCH expression.

SQLite's ``unicode61`` tokenizer neither folds Arabic letter variants nor knows proclitics, so the
index holds our own normalized text plus a ``shadow`` column with every token's proclitic-stripped
forms (``والكرملين`` → ``والكرملين الكرملين كرملين``). Queries pass through the same normalizer.

User input never reaches FTS5 syntax unquoted: every term is emitted as a double-quoted string
with inner quotes doubled, so ``AND``, ``NEAR``, ``*``, ``:`` or an unbalanced quote typed by a
user are just text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.text.normalize import clitic_forms, normalize, tokenize

# Article-like prefixes a user may type in a query ("الكرملين"): the query also matches the bare
# form. Other proclitics (ب ك ل و ف) are not stripped from queries: "بوتين" must not become "وتين".
_QUERY_PREFIXES = ("وال", "بال", "كال", "فال", "ولل", "ال", "لل")
_MIN_STEM = 3

AliasExpander = Callable[[Sequence[str]], Sequence[tuple[str, ...]] | None]
"""Given normalized query tokens, the alias token sequences of the entity they name (or None)."""


@dataclass(frozen=True, slots=True)
class IndexedText:
    title: str
    body: str
    shadow: str


def index_text(title: str, body: str) -> IndexedText:
    """The three indexed columns for an article."""
    title_n = normalize(title)
    body_n = normalize(body)
    # The shadow column answers single-word queries only (phrases go to title and body), so
    # each distinct form is needed once, in first-seen order.
    forms: dict[str, None] = {}
    for token in dict.fromkeys(tokenize(f"{title_n} {body_n}")):
        forms.update(dict.fromkeys(clitic_forms(token)))
    return IndexedText(title=title_n, body=body_n, shadow=" ".join(forms))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _query_forms(token: str) -> list[str]:
    forms = [token]
    for prefix in _QUERY_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            forms.append(token[len(prefix) :])
            break
    return forms


def _term(tokens: Sequence[str]) -> str:
    """One query unit: a single token (against the shadow column) or a phrase (against the text)."""
    if len(tokens) == 1:
        forms = _query_forms(tokens[0])
        inner = " OR ".join(f"shadow : {_quote(form)}" for form in forms)
        return f"({inner})"
    return "({title body} : " + _quote(" ".join(tokens)) + ")"


def build_match(query: str, expand: AliasExpander | None = None) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when nothing searchable is left.

    Double-quoted parts are phrases; other words must all occur (AND). When ``expand`` maps some
    words to a known entity, any of that entity's aliases (in either language) may match instead.
    """
    units: list[str] = []
    phrases, rest = _split_phrases(query)
    for phrase in phrases:
        tokens = tokenize(normalize(phrase))
        if tokens:
            units.append(_term(tokens))
    tokens = tokenize(normalize(rest))
    i = 0
    while i < len(tokens):
        matched = False
        if expand is not None:
            for width in range(min(4, len(tokens) - i), 0, -1):
                aliases = expand(tokens[i : i + width])
                if aliases:
                    alternatives = sorted({_term(alias) for alias in aliases if alias})
                    units.append("(" + " OR ".join(alternatives) + ")")
                    i += width
                    matched = True
                    break
        if not matched:
            units.append(_term([tokens[i]]))
            i += 1
    return " AND ".join(units) if units else None


def _split_phrases(query: str) -> tuple[list[str], str]:
    """Pull out "double-quoted phrases"; an unbalanced quote is treated as plain text."""
    phrases: list[str] = []
    rest: list[str] = []
    parts = query.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"').split('"')
    if len(parts) % 2 == 0:  # unbalanced: no phrases at all
        return [], query.replace('"', " ")
    for index, part in enumerate(parts):
        (phrases if index % 2 else rest).append(part)
    return [p for p in phrases if p.strip()], " ".join(rest)


_FILTER_RE = re.compile(r'(?<!\S)(lang|source|since):(?:"([^"]+)"|(\S+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Filters:
    """What ``lang:``, ``source:`` and ``since:`` in a query ask for."""

    lang: str | None = None
    source: str | None = None
    since: datetime | None = None

    @property
    def any(self) -> bool:
        return self.lang is not None or self.source is not None or self.since is not None


def split_filters(query: str) -> tuple[str, Filters]:
    """The query's words without its filters, and the filters. Pure.

    ``lang:ar|en``, ``source:NAME`` (``source:"Al Jazeera"`` for names with spaces; the name is
    matched case-insensitively as a part of the outlet's name) and ``since:YYYY-MM-DD``. A
    filter with a value it cannot take (``lang:fr``, ``since:yesterday``) stays in the query as
    plain words, so nothing a user types is an error.
    """
    lang: str | None = None
    source: str | None = None
    since: datetime | None = None
    kept: list[str] = []

    def take(match: re.Match[str]) -> str:
        nonlocal lang, source, since
        key = match.group(1).lower()
        value = match.group(2) or match.group(3)
        if key == "lang" and value.lower() in ("ar", "en"):
            lang = value.lower()
        elif key == "source" and value.strip():
            source = value.strip().casefold()
        elif key == "since":
            try:
                since = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                kept.append(value)
        else:
            kept.append(value)
        return " "

    rest = _FILTER_RE.sub(take, query)
    return " ".join(" ".join([rest, *kept]).split()), Filters(lang=lang, source=source, since=since)
