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
# The longest alias looked up in a query, in words (فريق مراقبة العقوبات متعدد الأطراف has five).
MAX_ALIAS_WORDS = 8

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


def _phrase_heads(token: str) -> list[str]:
    """The first word of a phrase as running Arabic text also writes it: with a conjunction or
    preposition glued on (كيم جونغ اون → وكيم جونغ اون, وبكيم …, الشراكه → للشراكه)."""
    if not token or not "\u0600" <= token[0] <= "\u08ff":
        return [token]
    glued = [p + token for p in ("و", "ف", "ب", "ك", "وب")]
    return [token, *glued, "لل" + token[2:] if token.startswith("ال") else "ل" + token]


def _term(tokens: Sequence[str]) -> str:
    """One query unit: a single token, or a phrase (against the text, not the shadow forms).

    A single token is matched in every column, so that bm25 weighs a hit in the title and the
    number of hits; the shadow column adds its proclitic forms.
    """
    if len(tokens) == 1:
        return "(" + " OR ".join(_quote(form) for form in _query_forms(tokens[0])) + ")"
    rest = " ".join(tokens[1:])
    phrases = " OR ".join(_quote(f"{head} {rest}") for head in _phrase_heads(tokens[0]))
    return "({title body} : (" + phrases + "))"


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    width = len(shorter)
    return len(longer) > width and any(
        longer[i : i + width] == shorter for i in range(len(longer) - width + 1)
    )


def _alternatives(aliases: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The aliases worth asking for: one that contains another one's words in a row can only
    match where the shorter one does (كوريا الديمقراطيه الشعبيه ⊃ كوريا الديمقراطيه), and each
    phrase costs FTS5 a pass over its matches to rank them."""
    unique = sorted({tuple(alias) for alias in aliases if alias})
    # A single word is also covered by a word whose query forms include it (الكرملين → كرملين).
    covered = {f for (word,) in (a for a in unique if len(a) == 1) for f in _query_forms(word)[1:]}
    return [
        a
        for a in unique
        if not any(_contains(a, b) for b in unique) and not (len(a) == 1 and a[0] in covered)
    ]


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
            for width in range(min(MAX_ALIAS_WORDS, len(tokens) - i), 0, -1):
                aliases = expand(tokens[i : i + width])
                if aliases:
                    alternatives = [_term(alias) for alias in _alternatives(aliases)]
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


# A filter's value: "quoted" (the closing quote may be missing at the end), or a word, or nothing.
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
