"""The topic lexicon: what a topic file says (``bot.topic.topic_file`` reads it), and the matcher
that finds its named entities in normalized text.

The file's schema is described at the top of the packaged ``bot/data/topic/default.toml``. Every
alias is normalized with the same ``normalize`` as article text and split into tokens; a match is
a run of whole tokens. Arabic proclitics are handled by indexing each alias's first token under
every prefixed spelling (و ف ب ك ل ال لل … + token) rather than by stripping each text token, so
that ``find`` costs one dictionary look-up per text token and a set test per sentence when the
sentence names nothing at all. This is the dictionary-guarded stripping of the research notes:
only spellings that are in the lexicon ever match, and nothing is stemmed.

An alias may be marked exact: it then matches only as written, with no proclitic forms, for a
word whose prefixed spellings are other words (روس "Russians", but بروس "Bruce", كروس "cross").
An attribution may also list set-off names: a source name that is an ordinary phrase inside a
sentence ("روسيا اليوم", "Russia today") and names the outlet only when it is set off as one, at
the end of a title after a dash or a bar, or in parentheses or quotes.

An entity marked nisba also gets the gender, number and case forms of its Arabic adjectives
(الكوري الشمالي → الكوريات الشماليات), generated at load time so that matching stays a look-up.
The group "other" holds third countries: they never count as a side, and mark lists of
countries for the matcher.

Where two readings of one token compete, the one that strips less wins, then the longer alias:
"فروسية" (horsemanship, a trap) beats "ف + روسية", and "جمهورية كوريا الديمقراطية الشعبية"
beats the trap "جمهورية كوريا".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.text.normalize import MIN_STEM, PROCLITICS, tokenize

BRIDGE = "bridge"
ATTRIBUTION = "attribution"
TRAP = "trap"
CUE = "cue"
OTHER = "other"
RESERVED_GROUPS = (BRIDGE, ATTRIBUTION, TRAP, CUE, OTHER)
# لل is ل + ال with the alef dropped (للكرملين = ل + الكرملين).
_LAM_LAM = ("لل", "ولل", "فلل")


@dataclass(frozen=True, slots=True)
class Topic:
    """What a topic file says of its topic as a whole: the names the engine's texts use for it
    (the LLM's instructions, the demo) and which entities stand for which."""

    name: str
    sides: tuple[str, str]
    name_ar: str = ""
    description: str = ""
    """What the topic is, in English, as the LLM is told it."""
    description_ar: str = ""
    stands_for: Mapping[str, str] = field(default_factory=dict)
    """Entity id → the id of the entity it names too (the capital → the country)."""

    def label(self, lang: str = "en") -> str:
        """The topic's name in ``lang`` (``ar`` or ``en``), or its sides when it has none."""
        english = self.name or f"{self.sides[0]}–{self.sides[1]}"
        return (self.name_ar or english) if lang == "ar" else english

    def about(self, lang: str = "en") -> str:
        """What the topic is, in ``lang``: its description, else its name."""
        return (self.description_ar if lang == "ar" else self.description) or self.label(lang)

    def words(self) -> dict[str, dict[str, str]]:
        """The topic's words for the message catalog (``bot.i18n.TopicWords``)."""
        return {
            lang: {"topic": self.label(lang), "about": self.about(lang)} for lang in ("ar", "en")
        }


@dataclass(frozen=True, slots=True)
class Entity:
    """One named thing of the topic. ``aliases`` are normalized, strong ones first."""

    id: str
    group: str
    ar: str
    en: str
    aliases: tuple[str, ...]
    weak_aliases: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    generic: bool = False
    exact_aliases: tuple[str, ...] = ()
    set_off_aliases: tuple[str, ...] = ()


class Hit(NamedTuple):
    """One alias found in a token sequence: tokens ``start`` to ``start + length``."""

    entity: str
    group: str
    start: int
    length: int
    weak: bool

    @property
    def end(self) -> int:
        return self.start + self.length


class _Candidate(NamedTuple):
    strip: int  # letters of proclitic removed from the first text token
    tail: tuple[str, ...]  # the alias tokens after the first
    entity: str
    group: str
    weak: bool


def is_arabic_token(token: str) -> bool:
    return "\u0600" <= token[0] <= "\u08ff" or "\ufb50" <= token[0] <= "\ufeff"


class Lexicon:
    """The entities of one topic and a fast matcher over normalized text. Immutable."""

    __slots__ = (
        "_by_alias", "_entities", "_index", "_keys", "name", "set_off_names", "sides", "topic",
    )  # fmt: skip

    def __init__(self, topic: Topic, entities: Sequence[Entity]) -> None:
        self.topic = topic
        self.name = topic.name
        self.sides = topic.sides
        self._entities: dict[str, Entity] = {e.id: e for e in entities}
        self._by_alias: dict[tuple[str, ...], tuple[str, bool]] = {}
        index: dict[str, list[_Candidate]] = {}
        for entity in entities:
            weak = set(entity.weak_aliases)
            exact = set(entity.exact_aliases)
            for alias in entity.aliases:
                tokens = tuple(tokenize(alias))
                self._by_alias[tokens] = (entity.id, alias in weak)
                entries = _index_entries(tokens, entity, alias in weak, exact=alias in exact)
                for key, candidate in entries:
                    index.setdefault(key, []).append(candidate)
        self.set_off_names: tuple[str, ...] = tuple(
            dict.fromkeys(n for e in entities if e.group == ATTRIBUTION for n in e.set_off_aliases)
        )
        """Normalized source names that count as attribution only where set off as a source."""
        self._index: dict[str, tuple[_Candidate, ...]] = {
            key: tuple(sorted(cands, key=lambda c: (c.strip, -len(c.tail))))
            for key, cands in index.items()
        }
        self._keys = frozenset(self._index)

    @property
    def entities(self) -> tuple[Entity, ...]:
        return tuple(self._entities.values())

    def entity(self, entity_id: str) -> Entity:
        """The entity with this id; KeyError if there is none."""
        return self._entities[entity_id]

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._entities

    def find(self, normalized_text: str) -> list[Hit]:
        """Every alias in ``normalized_text`` (output of ``normalize``), left to right.

        Matches do not overlap: at each position the best reading is taken and its tokens are
        consumed, so a trap such as "south korea" hides the words it covers.
        """
        return self.find_tokens(tokenize(normalized_text))

    def find_tokens(self, tokens: Sequence[str]) -> list[Hit]:
        """``find`` over tokens already produced by ``tokenize``."""
        keys = self._keys
        if keys.isdisjoint(tokens):
            return []
        # Only positions holding a key can start a match; a comprehension finds them faster
        # than a Python loop that looks every token up.
        starts = [i for i, token in enumerate(tokens) if token in keys]
        index = self._index
        hits: list[Hit] = []
        free = 0  # the first token not consumed by an earlier match
        for i in starts:
            if i < free:
                continue
            for cand in index[tokens[i]]:
                if cand.tail and not _tail_matches(tokens, i + 1, cand.tail):
                    continue
                free = i + 1 + len(cand.tail)
                hits.append(Hit(cand.entity, cand.group, i, free - i, cand.weak))
                break
        return hits

    def alias_entity(self, tokens: Sequence[str]) -> tuple[str, bool] | None:
        """The (entity id, weak) whose alias is exactly these normalized tokens, if any."""
        return self._by_alias.get(tuple(tokens))

    def expand_aliases(self, tokens: Sequence[str]) -> tuple[tuple[str, ...], ...] | None:
        """For search: when ``tokens`` spell a strong alias of a named entity (not a cue, nor a
        third country), the token sequences of all that entity's strong aliases, in both
        languages; else None.

        The first word may carry a proclitic, read as ``find`` reads text (وبوتين, للكرملين,
        وكيم جونغ اون), so that a word pasted from an article finds the name; an alias listed
        as exact takes none (كروس is not روس)."""
        found = self._by_alias.get(tuple(tokens))
        if found is None and tokens:
            tail = tuple(tokens[1:])
            found = next(
                ((c.entity, c.weak) for c in self._index.get(tokens[0], ()) if c.tail == tail),
                None,
            )
        if found is None or found[1]:
            return None
        entity = self._entities[found[0]]
        if entity.group in (CUE, OTHER):
            return None
        weak = set(entity.weak_aliases)
        return tuple(tuple(tokenize(a)) for a in entity.aliases if a not in weak)


def _tail_matches(tokens: Sequence[str], start: int, tail: tuple[str, ...]) -> bool:
    if start + len(tail) > len(tokens):
        return False
    for offset, want in enumerate(tail):
        got = tokens[start + offset]
        # An English possessive on any word of a name: "north korea's".
        if got != want and not (got.endswith("'s") and got[:-2] == want):
            return False
    return True


def _index_entries(
    tokens: tuple[str, ...], entity: Entity, weak: bool, *, exact: bool = False
) -> Iterable[tuple[str, _Candidate]]:
    first, tail = tokens[0], tokens[1:]

    def make(strip: int) -> _Candidate:
        return _Candidate(strip, tail, entity.id, entity.group, weak)

    yield first, make(0)
    if exact:
        return
    if is_arabic_token(first):
        if len(first) < MIN_STEM:
            return
        has_article = first.startswith("ال")
        for prefix in PROCLITICS:
            if has_article and prefix.endswith(("ال", "لل")):
                continue
            yield prefix + first, make(len(prefix))
        if has_article and len(first) - 2 >= MIN_STEM:
            for prefix in _LAM_LAM:
                yield prefix + first[2:], make(len(prefix))
    elif not tail:
        yield first + "'s", make(0)
