"""The story vocabulary: the words of the topic file that tell one event from another.

Reports of one event paraphrase: "treaty" / "pact" / معاهدة / اتفاقية, "arrives" / يصل / وصل,
"denies" / تنفي / نفت, "artillery shells" / قذائف. Across languages they share no words at all.
The topic file's ``[[story_term]]`` tables map such words and names, in both languages, to one
term id each, so that two reports can be compared on what they say rather than on how they say
it; the clustering engine itself knows no word of any topic.

A term's aliases are compared by their stems (``bot.text.stem``), so one alias covers its
inflections ("arrive" finds "arrives" and "arrived", الجنود finds جنود and وجنود). The topic
file's generic entities (the two sides' countries, capitals and leaders, named by nearly every
report) give the *topic words*: words that say nothing about which event a report is about.

Schema of one ``[[story_term]]``:

    id        unique, "<kind>:<slug>" (act:, thing:, name:, …), used only for comparison
    en, ar    canonical spellings (also aliases)
    aliases   every other spelling or paraphrase, in either language
    contrast  optional, true: a development of its own (a denial): a report that names it and
              one that does not are less likely to be about the same event
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.text.normalize import normalize, tokenize
from bot.text.stem import stem
from bot.topic.topic_file import read_topic_file

_TERM_KEYS = frozenset({"id", "en", "ar", "aliases", "contrast"})
MAX_ALIAS_WORDS = 6


def stems(text: str) -> list[str]:
    """The comparison stems of the words of ``text`` (normalized here)."""
    return [stem(token) for token in tokenize(normalize(text))]


@dataclass(frozen=True, slots=True)
class StoryVocabulary:
    """Term ids by alias stems, and the topic words; built by ``parse_vocabulary``."""

    by_first: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    """First stem of an alias → (all its stems, term id), longest alias first."""
    topic_words: frozenset[str]
    """Stems of the words every on-topic report uses (from the generic entities)."""
    contrast: frozenset[str] = frozenset()
    """Terms marked ``contrast``: a report naming one and a report naming none are about
    different developments (a denial and the claim it denies)."""

    def terms(self, words: Sequence[str]) -> set[str]:
        """The term ids that the stems ``words`` name; an alias's words are not reused."""
        found: set[str] = set()
        position = 0
        while position < len(words):
            step = 1
            for alias, term in self.by_first.get(words[position], ()):
                if tuple(words[position : position + len(alias)]) == alias:
                    found.add(term)
                    step = len(alias)
                    break
            position += step
        return found

    def __len__(self) -> int:
        return len({term for entries in self.by_first.values() for _, term in entries})


def load_vocabulary(
    path: Path | None = None, *, topic_words: Iterable[str] = ()
) -> StoryVocabulary:
    """The ``[[story_term]]`` tables of a topic file (``None``: the packaged default).

    ``topic_words`` are spellings of the generic entities (``Lexicon`` aliases). Raises
    ConfigError naming the file and the term at fault.
    """
    data, source = read_topic_file(path)
    return parse_vocabulary(data, source, topic_words=topic_words)


def parse_vocabulary(
    data: Mapping[str, Any], source: str = "<topic>", *, topic_words: Iterable[str] = ()
) -> StoryVocabulary:
    """Build the vocabulary from a parsed topic file."""
    raw_terms = data.get("story_term", [])
    if not isinstance(raw_terms, list):
        raise ConfigError(f"{source}: 'story_term' must be an array of tables ([[story_term]])")
    entries: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    owner: dict[tuple[str, ...], str] = {}
    seen: set[str] = set()
    contrast: set[str] = set()
    for number, raw in enumerate(raw_terms, start=1):
        term, spellings = _parse_term(raw, number, source)
        flag = raw.get("contrast", False)
        if not isinstance(flag, bool):
            raise ConfigError(f"{source}: story_term {term!r}: 'contrast' must be true or false")
        if flag:
            contrast.add(term)
        if term in seen:
            raise ConfigError(f"{source}: story_term {term!r}: duplicate id")
        seen.add(term)
        for spelling in spellings:
            alias = tuple(stems(spelling))
            if not alias:
                continue
            if len(alias) > MAX_ALIAS_WORDS:
                raise ConfigError(
                    f"{source}: story_term {term!r}: alias {spelling!r} has more than "
                    f"{MAX_ALIAS_WORDS} words"
                )
            first = owner.setdefault(alias, term)
            if first != term:
                raise ConfigError(
                    f"{source}: story_term {term!r}: alias {spelling!r} is also an alias of "
                    f"{first!r}"
                )
            entries.setdefault(alias[0], []).append((alias, term))
    by_first = {
        first: tuple(sorted(set(found), key=lambda e: (-len(e[0]), e[1])))
        for first, found in entries.items()
    }
    words = frozenset(s for spelling in topic_words for s in stems(spelling))
    return StoryVocabulary(by_first, words, frozenset(contrast))


def _parse_term(raw: object, number: int, source: str) -> tuple[str, list[str]]:
    where = f"{source}: story_term #{number}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(raw) - _TERM_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    term = raw.get("id")
    if not isinstance(term, str) or not term.strip():
        raise ConfigError(f"{where}: 'id' must be a non-empty string")
    spellings: list[str] = []
    for key in ("en", "ar"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{source}: story_term {term!r}: {key!r} must be a non-empty string")
        spellings.append(value)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{source}: story_term {term!r}: 'aliases' must be a list of strings")
    spellings.extend(aliases)
    return term, spellings
