"""Watch lists: the terms a chat follows (``/watch Kursk``). Pure.

A term is read by the same engine as ``/search`` (``build_match``: Arabic normalization,
proclitics, names in either language, "phrases", figures), and checked when it is saved, so a
term that could never match is refused with a reason instead of sitting silent. Filters
(``lang:``, ``source:``, ``since:``) belong to a search, not to a watch, and are refused too.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.search.filters import split_filters
from bot.search.query import AliasExpander, build_match
from bot.text.display import strip_hidden
from bot.text.normalize import normalize

MAX_TERMS = 10
"""Terms a chat may watch at once."""
MAX_TERM_CHARS = 100


class BadWatchTerm(ValueError):
    """A term that cannot be watched; ``key`` names its message in the catalog."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.value = value


def _clean(text: str) -> str:
    # invisible format characters (bidi overrides, zero-width spaces, Hangul fillers) would
    # make a term that never matches, or one that looks like another in the list
    return strip_hidden(text)


def same_term(a: str, b: str) -> bool:
    """Whether two typed terms are one (written with other letter forms or spacing)."""
    return normalize(_clean(a)) == normalize(_clean(b))


def watch_match(term: str, expand: AliasExpander | None = None) -> str:
    """The FTS5 MATCH expression of a saved term (see ``check_term``)."""
    match = build_match(term, expand)
    if match is None:
        raise BadWatchTerm("watch.bad_nothing", term)
    return match


def check_term(text: str, expand: AliasExpander | None = None) -> str:
    """The term as it is saved, or ``BadWatchTerm`` saying why it cannot be."""
    term = _clean(text)
    if not term:
        raise BadWatchTerm("watch.bad_empty")
    if len(term) > MAX_TERM_CHARS:
        raise BadWatchTerm("watch.bad_long", term[:MAX_TERM_CHARS])
    words, filters = split_filters(term)
    if filters.any or filters.bad:
        raise BadWatchTerm("watch.bad_filter", term)
    watch_match(words, expand)
    return term


def add_term(
    terms: Sequence[str], text: str, expand: AliasExpander | None = None
) -> tuple[str, ...]:
    """``terms`` with ``text`` added (checked; already there is no change)."""
    term = check_term(text, expand)
    if any(same_term(term, kept) for kept in terms):
        return tuple(terms)
    if len(terms) >= MAX_TERMS:
        raise BadWatchTerm("watch.bad_full", term)
    return (*terms, term)


def remove_term(terms: Sequence[str], text: str) -> tuple[str, ...]:
    """``terms`` without ``text`` (however its letters are written)."""
    kept = tuple(term for term in terms if not same_term(term, text))
    if len(kept) == len(terms):
        raise BadWatchTerm("watch.bad_unknown", _clean(text)[:MAX_TERM_CHARS])
    return kept
