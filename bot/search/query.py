"""What goes into the full-text index, and how a user's query becomes an FTS5 MATCH expression.

SQLite's ``unicode61`` tokenizer neither folds Arabic letter variants nor knows proclitics, so the
index holds our own normalized text plus a ``shadow`` column with every token's proclitic-stripped
forms (``والكرملين`` → ``والكرملين الكرملين كرملين``). Queries pass through the same normalizer.

Figures are indexed by value: the shadow column also holds a token ``qty<value>`` for every
quantity of the text (``bot.text.numbers``: "1,500", "1500", "١٥٠٠" and "١٬٥٠٠" are qty1500;
"12 ألف", "١٢ ألف", "12,000" and "اثنا عشر ألف" are qty12000), and a figure typed in a query
asks for that token (see ``_number_unit``). Years, dates and figures under 10 get no token: a
query for 2024 is the word 2024, as before.

User input never reaches FTS5 syntax unquoted: every term is emitted as a double-quoted string
with inner quotes doubled, so ``AND``, ``NEAR``, ``*``, ``:`` or an unbalanced quote typed by a
user are just text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.text.normalize import (
    MIN_STEM,
    PROCLITICS,
    TOKEN_PATTERN,
    clitic_forms,
    normalize,
    tokenize,
)
from bot.text.numbers import figures, quantities

# A proclitic ending in the article (ال، وال، بال، لل، ولل …) is stripped from a query word
# whatever follows: the bare stem is in the shadow column of every form of the word, and a word
# that merely begins with these letters and still has MIN_STEM letters after them is rare. The
# other proclitics (و ف ب ك ل وب ول …) begin many words (بوتين, وزير, كوريا): one of them is
# stripped only when the archive shows that the rest is a word (see ``WordCount``).
_ARTICLE_PROCLITICS = tuple(p for p in PROCLITICS if p.endswith(("ال", "لل")))
_PLAIN_PROCLITICS = tuple(p for p in PROCLITICS if p not in _ARTICLE_PROCLITICS)
# The longest alias looked up in a query, in words (فريق مراقبة العقوبات متعدد الأطراف has five).
MAX_ALIAS_WORDS = 8
MAX_UNITS = 8
"""The distinct units (a word, a name with all its aliases, a "phrase") one query is cut to.

Every unit is one more FTS5 term list to intersect and, for a name, up to a few hundred phrases;
a 200-character query of one name repeated used to cost 35 copies of the same expansion. Words
past the limit are left out, which can only widen the result, and bm25 still ranks by all the
units kept."""
MAX_TOKENS = 64
"""Query words looked at, repeated or not: the work of reading a query is bounded too."""
NUMBER_PREFIX = "qty"
"""What a figure's token in the shadow column starts with: ``qty12000``. Letters and digits, so
that FTS5's unicode61 keeps it one token; no word of news text is written so."""
_TOKEN_RE = re.compile(TOKEN_PATTERN)

AliasExpander = Callable[[Sequence[str]], Sequence[tuple[str, ...]] | None]
"""Given normalized query tokens, the alias token sequences of the entity they name (or None)."""

WordCount = Callable[[str], int]
"""In how many archived articles a normalized word is written on its own (not as a proclitic
form), counted up to a cap. Used to decide whether a query word is a proclitic plus a word."""


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
    # each distinct form is needed once, in first-seen order; then the figures' tokens.
    forms: dict[str, None] = {}
    for token in dict.fromkeys(tokenize(f"{title_n} {body_n}")):
        forms.update(dict.fromkeys(clitic_forms(token)))
    return IndexedText(
        title=title_n, body=body_n, shadow=shadow_with_numbers(" ".join(forms), title_n, body_n)
    )


def number_token(value: int) -> str:
    """The shadow column's token for a quantity (``NUMBER_PREFIX``)."""
    return f"{NUMBER_PREFIX}{value}"


def shadow_with_numbers(shadow: str, title: str, body: str) -> str:
    """``shadow``, the proclitic forms of normalized ``title`` and ``body``, with the tokens of
    their figures added (what ``index_text`` indexes; migration 4 adds them to an archive
    indexed before figures were)."""
    # Title and body apart: a figure ending the title is not multiplied by a word that begins
    # the text.
    values = sorted(quantities(title) | quantities(body))
    return " ".join([shadow, *map(number_token, values)] if shadow else map(number_token, values))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def written_match(word: str) -> str:
    """A MATCH expression for a normalized word as written in a title or text (not one of the
    shadow column's proclitic forms): what ``WordCount`` counts."""
    return "{title body} : " + _quote(word)


def _query_forms(token: str, written: WordCount | None = None) -> list[str]:
    """``token`` and the stem a proclitic typed with it leaves (والكرملين → كرملين).

    An article proclitic is always stripped. Another one only with ``written``, and only when
    the archive writes the rest as a word of its own in more articles than the word as typed:
    وصواريخ → صواريخ, but not بوتين → وتين or بيونغ → يونغ, which name something else. Of two
    such readings (وبيان: و + بيان or وب + يان) the word written more often wins, the longer on
    a tie. The index keeps the bare stem beside every form of a word, so it finds them all.
    """
    for prefix in _ARTICLE_PROCLITICS:
        if token.startswith(prefix) and len(token) - len(prefix) >= MIN_STEM:
            return [token, token[len(prefix) :]]
    if written is None or not token or not _is_arabic(token[0]):
        return [token]
    stems = [
        token[len(prefix) :]
        for prefix in _PLAIN_PROCLITICS
        if token.startswith(prefix) and len(token) - len(prefix) >= MIN_STEM
    ]
    if not stems:
        return [token]
    count, _, stem = max((written(stem), len(stem), stem) for stem in stems)
    return [token, stem] if count > written(token) else [token]


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u08ff"


def _phrase_heads(token: str) -> list[str]:
    """The first word of a phrase as running Arabic text also writes it: with a conjunction or
    preposition glued on (كيم جونغ اون → وكيم جونغ اون, وبكيم …, الشراكه → للشراكه)."""
    if not token or not _is_arabic(token[0]):
        return [token]
    glued = [p + token for p in ("و", "ف", "ب", "ك", "وب")]
    return [token, *glued, "لل" + token[2:] if token.startswith("ال") else "ل" + token]


def _term(tokens: Sequence[str], written: WordCount | None = None) -> str:
    """One query unit: a single token, or a phrase (against the text, not the shadow forms).

    A single token is matched in every column, so that bm25 weighs a hit in the title and the
    number of hits; the shadow column adds its proclitic forms.
    """
    if len(tokens) == 1:
        forms = _query_forms(tokens[0], written)
        return "(" + " OR ".join(_quote(form) for form in forms) + ")"
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


def build_match(
    query: str, expand: AliasExpander | None = None, written: WordCount | None = None
) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when nothing searchable is left.

    Double-quoted parts are phrases; other words must all occur (AND). When ``expand`` maps some
    words to a known entity, any of that entity's aliases (in either language) may match instead.
    A proclitic typed on a word is read as the index reads it (see ``_query_forms``; ``written``
    lets it strip و ب ل ف ك as well as the article). See ``match_units`` for the bounds.
    """
    units = match_units(query, expand, written)
    return " AND ".join(units) if units else None


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """What a query asks FTS5 for: ``match`` finds the articles (every alias of a name);
    ``rank`` is what bm25 weighs them by, the query's units as typed, or None when that is
    ``match`` itself (no unit was widened to aliases).

    bm25 reads, for every phrase of the expression it ranks, all the articles that phrase is
    in, to weigh it: over a name's aliases (up to a hundred phrases, "north korea" alone in
    one article of fifteen) that pass grew with the archive and was most of a search's time.
    The phrases of ``rank`` are those of the query as typed, at most ``MAX_RANK_PHRASES``, so
    ranking costs about what plain FTS5 pays for the same words. An article found through
    another alias only (كورسك for "Kursk") still comes, after those writing the name as typed.
    """

    match: str
    rank: str | None


MAX_RANK_PHRASES = MAX_UNITS * 8
"""The phrases bm25 weighs at most: a unit as typed is at most 8 (a phrase with the glued
forms of its first word, see ``_phrase_heads``), however many aliases its name has."""


def build_search(
    query: str, expand: AliasExpander | None = None, written: WordCount | None = None
) -> SearchMatch | None:
    """``build_match`` and the expression to rank its matches by (``SearchMatch``), or None
    when nothing searchable is left."""
    units = _units(query, expand, written)
    if not units:
        return None
    match = " AND ".join(units)
    typed = list(dict.fromkeys(units.values()))
    # bm25 depends on the phrases only, not on AND or OR: an article matching some units by
    # an alias is weighed by the typed units it has.
    rank = None if typed == list(units) else " OR ".join(typed)
    return SearchMatch(match=match, rank=rank)


def phrase_count(expression: str) -> int:
    """How many phrases (quoted strings) an expression of this module has: what bm25 reads
    the whole index for, one by one."""
    return len(_PHRASE_RE.findall(expression))


_PHRASE_RE = re.compile(r'"(?:[^"]|"")*"')


def match_units(
    query: str, expand: AliasExpander | None = None, written: WordCount | None = None
) -> list[str]:
    """The units of ``build_match``, each once, at most ``MAX_UNITS`` of them from the first
    ``MAX_TOKENS`` words: a word or name typed again adds nothing to ask for, and its reading
    is looked up once. A figure ("1,500", "12 الف", "سبعه الاف") is one unit, however many
    words it takes (see ``_number_unit``)."""
    return list(_units(query, expand, written))


def _units(
    query: str, expand: AliasExpander | None = None, written: WordCount | None = None
) -> dict[str, str]:
    """``match_units``, each with the unit as typed: the name's own words (not its aliases),
    or the unit itself when it is not a name."""
    units: dict[str, str] = {}
    phrases, rest = _split_phrases(query)
    for phrase in dict.fromkeys(phrases):
        tokens = tokenize(normalize(phrase))[:MAX_TOKENS]
        if tokens and len(units) < MAX_UNITS:
            unit = _term(tokens)
            units.setdefault(unit, unit)
    text = normalize(rest)
    spans = [m.span() for m in itertools.islice(_TOKEN_RE.finditer(text), MAX_TOKENS)]
    tokens = [text[start:end] for start, end in spans]
    numbers = _figures_by_token(text[: spans[-1][1]] if spans else "", spans)
    lookup = _Lookup(expand, written, numbers)
    i = 0
    while i < len(tokens) and len(units) < MAX_UNITS:
        width, unit, typed = lookup.unit_at(tokens, i)
        units.setdefault(unit, typed)
        i += width
    return units


def _figures_by_token(text: str, spans: Sequence[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """The figures of normalized query ``text`` whose tokens are at ``spans``: for the first
    token of each, how many tokens it takes and its value."""
    found: dict[int, tuple[int, int]] = {}
    claimed = -1
    for figure in figures(text):
        covered = [
            i for i, (start, end) in enumerate(spans) if start < figure.end and figure.start < end
        ]
        if covered and covered[0] > claimed:
            found[covered[0]] = (len(covered), figure.value)
            claimed = covered[-1]
    return found


class _Lookup:
    """The readings of one query's words, each worked out once however often it is typed."""

    def __init__(
        self,
        expand: AliasExpander | None,
        written: WordCount | None,
        numbers: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        self._expand = expand
        self._written = written
        self._numbers = numbers or {}
        self._aliases: dict[tuple[str, ...], Sequence[tuple[str, ...]] | None] = {}
        self._units: dict[tuple[tuple[str, ...], bool], str] = {}

    def unit_at(self, tokens: Sequence[str], start: int) -> tuple[int, str, str]:
        """How many words from ``start`` make one unit (a name, the longest reading first, a
        figure, or one word), the unit, and the unit as typed (a name's own words)."""
        if self._expand is not None:
            for width in range(min(MAX_ALIAS_WORDS, len(tokens) - start), 0, -1):
                words = tuple(tokens[start : start + width])
                if words not in self._aliases:
                    self._aliases[words] = self._expand(words) or None
                aliases = self._aliases[words]
                if aliases is not None:
                    own = _typed_alias(words, aliases)
                    return width, self._unit(words, aliases), self._unit(own, None)
        if start in self._numbers:
            width, value = self._numbers[start]
            typed = _term(tokens[start : start + 1], self._written) if width == 1 else None
            unit = _number_unit(value, typed)
            return width, unit, unit
        unit = self._unit((tokens[start],), None)
        return 1, unit, unit

    def _unit(self, words: tuple[str, ...], aliases: Sequence[tuple[str, ...]] | None) -> str:
        key = (words, aliases is not None)
        if key not in self._units:
            if aliases is None:
                self._units[key] = _term(words, self._written)
            else:
                alternatives = [_term(alias) for alias in _alternatives(aliases)]
                self._units[key] = "(" + " OR ".join(alternatives) + ")"
        return self._units[key]


def _typed_alias(words: tuple[str, ...], aliases: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The alias that ``words`` spell, a proclitic typed on the first word left out (وبوتين
    is بوتين, لكوريا الشماليه is كوريا الشماليه), so that a name ranks alike however it is
    typed; the words themselves when no alias is spelt so."""
    same_tail = [a for a in aliases if len(a) == len(words) and tuple(a[1:]) == words[1:]]
    for alias in same_tail:
        if alias[0] == words[0]:
            return tuple(alias)
    for alias in same_tail:
        if words[0] in _phrase_heads(alias[0]) or words[0] in _query_forms(alias[0]):
            return tuple(alias)
    return words


def _number_unit(value: int, typed: str | None) -> str:
    """A figure of a query: its value's token, which every article writing the figure any way
    that ``bot.text.numbers`` reads has in its shadow column (migration 4 added it to those
    indexed before).

    A figure typed as one word ("1500", "١٥٠٠", "twelve") is also asked for as typed (``typed``,
    a unit of ``_term``): a query of digits then finds at least what it found before figures
    were read, a date or a year written with them included. One of several words is not:
    "1,500" as the words 1 and 500 is also in "1,500,000".
    """
    token = _quote(number_token(value))
    return f"({token} OR {typed})" if typed is not None else f"({token})"


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
