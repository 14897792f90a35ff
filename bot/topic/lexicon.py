"""The topic lexicon: named entities in two languages, loaded from a TOML file, and the matcher
that finds them in normalized text.

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

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from bot.errors import ConfigError
from bot.text.normalize import MIN_STEM, PROCLITICS, normalize, tokenize

BRIDGE = "bridge"
ATTRIBUTION = "attribution"
TRAP = "trap"
CUE = "cue"
OTHER = "other"
RESERVED_GROUPS = (BRIDGE, ATTRIBUTION, TRAP, CUE, OTHER)

_ENTITY_KEYS = frozenset(
    {
        "id", "group", "ar", "en", "aliases", "weak_aliases", "exact_aliases", "set_off_aliases",
        "weak", "generic", "requires_any", "nisba",
    }
)  # fmt: skip
_TOPIC_KEYS = frozenset({"name", "sides"})
# [[story_term]] tables are the story vocabulary (bot.stories.vocabulary), not entities.
_TOP_KEYS = frozenset({"topic", "entity", "story_term"})
# لل is ل + ال with the alef dropped (للكرملين = ل + الكرملين).
_LAM_LAM = ("لل", "ولل", "فلل")
_DEFAULT_RESOURCE = ("data", "topic", "default.toml")
# The endings of an Arabic nisba adjective after normalization (ة is ه): masculine, feminine,
# masculine plural (nominative, then oblique) and feminine plural. The dual is left out on
# purpose: الكوريتين is "the two Koreas", not one of them. Longest first, so that الروسيين loses
# يين rather than ن.
_NISBA_ENDINGS = ("يون", "يين", "يات", "يه", "ي")
# Generated too: the indefinite accusative, whose alef stays once the tanween is gone (صاروخاً
# كورياً شمالياً). Not read as an ending of a written alias, where يا ends names (روسيا).
_NISBA_FORMS = (*_NISBA_ENDINGS, "يا")

_Fail = Callable[[str], ConfigError]


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


def _is_arabic(token: str) -> bool:
    return "\u0600" <= token[0] <= "\u08ff" or "\ufb50" <= token[0] <= "\ufeff"


class Lexicon:
    """The entities of one topic and a fast matcher over normalized text. Immutable."""

    __slots__ = ("_by_alias", "_entities", "_index", "_keys", "name", "set_off_names", "sides")

    def __init__(self, name: str, sides: tuple[str, str], entities: Sequence[Entity]) -> None:
        self.name = name
        self.sides = sides
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
    if _is_arabic(first):
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


# ─────────────────────────────── loading ───────────────────────────────


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load a topic file; ``None`` loads the packaged default topic.

    Raises ConfigError, naming the file and the entity or key at fault, when the file cannot be
    read or does not follow the schema.
    """
    data, source = read_topic_file(path)
    return _build(data, source)


def read_topic_file(path: Path | None = None) -> tuple[dict[str, Any], str]:
    """The parsed TOML of a topic file (``None``: the packaged default) and its name for error
    messages. Raises ConfigError when it cannot be read or is not TOML."""
    if path is None:
        resource = resources.files("bot").joinpath(*_DEFAULT_RESOURCE)
        source = "/".join(("bot", *_DEFAULT_RESOURCE))
        try:
            text = resource.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read the packaged topic file: {exc}") from exc
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read topic file: {exc}") from exc
    return _parse_toml(text, source), source


def parse_lexicon(text: str, source: str = "<topic>") -> Lexicon:
    """Build a Lexicon from the text of a topic file; ``source`` names it in errors."""
    return _build(_parse_toml(text, source), source)


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc


def _build(data: Mapping[str, Any], source: str) -> Lexicon:
    def fail(message: str) -> ConfigError:
        return ConfigError(f"{source}: {message}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown top-level key {unknown[0]!r} (expected [topic] and [[entity]])")
    topic = data.get("topic")
    if not isinstance(topic, dict):
        raise fail("missing [topic] table with 'sides'")
    unknown = sorted(set(topic) - _TOPIC_KEYS)
    if unknown:
        raise fail(f"[topic]: unknown key {unknown[0]!r}")
    name = topic.get("name", "")
    if not isinstance(name, str):
        raise fail("[topic].name must be a string")
    sides = topic.get("sides")
    if (
        not isinstance(sides, list)
        or len(sides) != 2
        or not all(isinstance(s, str) and s.strip() for s in sides)
        or sides[0] == sides[1]
    ):
        raise fail("[topic].sides must list two different group names")
    clash = [s for s in sides if s in RESERVED_GROUPS]
    if clash:
        raise fail(f"[topic].sides: {clash[0]!r} is a reserved group name")
    side_pair = (sides[0], sides[1])

    raw_entities = data.get("entity", [])
    if not isinstance(raw_entities, list):
        raise fail("'entity' must be an array of tables ([[entity]])")
    entities: list[Entity] = []
    seen_ids: set[str] = set()
    alias_owner: dict[tuple[str, ...], str] = {}
    groups = (*side_pair, *RESERVED_GROUPS)
    for number, raw in enumerate(raw_entities, start=1):
        entity = _parse_entity(raw, number, side_pair, groups, fail)
        if entity.id in seen_ids:
            raise fail(f"entity {entity.id!r}: duplicate id")
        seen_ids.add(entity.id)
        for alias in entity.aliases:
            key = tuple(tokenize(alias))
            owner = alias_owner.setdefault(key, entity.id)
            if owner != entity.id:
                raise fail(
                    f"entity {entity.id!r}: alias {alias!r} is also an alias of entity {owner!r}"
                )
        entities.append(entity)
    for number, (raw, entity) in enumerate(zip(raw_entities, entities, strict=True)):
        if raw.get("nisba", False):
            entities[number] = _with_nisba_forms(entity, alias_owner)
    for side in side_pair:
        if not any(e.group == side for e in entities):
            raise fail(f"side {side!r} has no entity")
    return Lexicon(name, side_pair, entities)


def _parse_entity(
    raw: object,
    number: int,
    sides: tuple[str, str],
    groups: tuple[str, ...],
    fail: _Fail,
) -> Entity:
    if not isinstance(raw, dict):
        raise fail(f"entity #{number}: must be a table")
    entity_id = raw.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise fail(f"entity #{number}: missing or empty 'id'")
    where = f"entity {entity_id!r}"
    if entity_id != entity_id.strip() or any(c.isspace() for c in entity_id):
        raise fail(f"{where}: 'id' must not contain whitespace")
    unknown = sorted(set(raw) - _ENTITY_KEYS)
    if unknown:
        raise fail(f"{where}: unknown key {unknown[0]!r}")
    group = raw.get("group")
    if group not in groups:
        raise fail(f"{where}: unknown group {group!r} (expected one of {', '.join(groups)})")
    names: dict[str, str] = {}
    for key in ("ar", "en"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{where}: missing or empty {key!r}")
        names[key] = value.strip()
    aliases = _string_list(raw, "aliases", where, fail)
    weak_listed = _string_list(raw, "weak_aliases", where, fail)
    requires = _string_list(raw, "requires_any", where, fail)
    exact_listed = _string_list(raw, "exact_aliases", where, fail)
    set_off_listed = _string_list(raw, "set_off_aliases", where, fail)
    if set_off_listed and group != ATTRIBUTION:
        raise fail(f"{where}: 'set_off_aliases' is only for group {ATTRIBUTION!r}")
    for flag in ("weak", "generic", "nisba"):
        if not isinstance(raw.get(flag, False), bool):
            raise fail(f"{where}: {flag!r} must be true or false")
    if requires and group != BRIDGE:
        raise fail(f"{where}: 'requires_any' is only for group {BRIDGE!r}")
    for side in requires:
        if side not in sides:
            raise fail(f"{where}: 'requires_any' names {side!r}, which is not a side")

    strong: list[str] = []
    weak: list[str] = []
    all_weak = bool(raw.get("weak", False))
    for written in (names["ar"], names["en"], *aliases):
        _add_alias(strong if not all_weak else weak, written, where, fail)
    for written in weak_listed:
        _add_alias(weak, written, where, fail)
    exact: list[str] = []
    for written in exact_listed:
        _add_alias(exact, written, where, fail)
    strong_set = set(strong)
    weak = [a for a in weak if a not in strong_set]
    exact = [a for a in exact if a not in strong_set and a not in weak]
    set_off: list[str] = []
    for written in set_off_listed:
        _add_alias(set_off, written, where, fail)
    return Entity(
        id=entity_id,
        group=group,
        ar=names["ar"],
        en=names["en"],
        aliases=(*strong, *weak, *exact),
        weak_aliases=tuple(weak + exact if all_weak else weak),
        requires_any=tuple(requires),
        generic=bool(raw.get("generic", False)),
        exact_aliases=tuple(exact),
        set_off_aliases=tuple(set_off),
    )


def _string_list(raw: Mapping[str, Any], key: str, where: str, fail: _Fail) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{where}: {key!r} must be a list of strings")
    return value


def _nisba_stem(token: str) -> str | None:
    """The stem of an Arabic nisba form (الكوريات → الكور), or None for any other word."""
    if not _is_arabic(token):
        return None
    for ending in _NISBA_ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= MIN_STEM:
            return token[: -len(ending)]
    return None


def _nisba_forms(alias: str) -> list[str]:
    """Every gender, number and case form of ``alias`` when all its words are nisba adjectives,
    all taking the same ending as Arabic agreement does: الكوري الشمالي → الكوريون الشماليون,
    الكوريات الشماليات (never الكوريات الشمالي). Empty for any other alias: "كوريا الجنوبية" and
    "جمهورية الصين الشعبية" are names, not adjectives."""
    stems = [_nisba_stem(token) for token in alias.split()]
    if not all(stems):
        return []
    definite = any(stem.startswith("ال") for stem in stems if stem)
    return [
        " ".join(stem + ending for stem in stems if stem)
        for ending in _NISBA_FORMS
        if not (definite and ending == "يا")  # the accusative alef is indefinite only
    ]


def _with_nisba_forms(entity: Entity, owners: dict[tuple[str, ...], str]) -> Entity:
    """``entity`` with the nisba forms of its aliases added, each as strong, weak or exact as
    the alias it comes from. A form that another entity lists is left to it (the accusative of
    روسي is روسيا, the country); ``owners`` maps alias tokens to entity ids and is updated."""
    weak, exact = set(entity.weak_aliases), set(entity.exact_aliases)
    added: dict[str, str] = {}
    for alias in entity.aliases:
        for form in _nisba_forms(alias):
            key = tuple(tokenize(form))
            if owners.setdefault(key, entity.id) == entity.id and form not in entity.aliases:
                added.setdefault(form, alias)
    if not added:
        return entity
    strong_added = [f for f, a in added.items() if a not in weak and a not in exact]
    weak_added = [f for f, a in added.items() if a in weak and a not in exact]
    exact_added = [f for f, a in added.items() if a in exact]
    # An exact alias of an all-weak entity is weak too; its forms follow it.
    exact_weak = [f for f in exact_added if added[f] in weak]
    n_strong = len(entity.aliases) - len(weak | exact)
    return replace(
        entity,
        aliases=(
            *entity.aliases[:n_strong],
            *strong_added,
            *entity.aliases[n_strong:],
            *weak_added,
            *exact_added,
        ),
        weak_aliases=(*entity.weak_aliases, *weak_added, *exact_weak),
        exact_aliases=(*entity.exact_aliases, *exact_added),
    )


def _add_alias(into: list[str], written: str, where: str, fail: _Fail) -> None:
    alias = " ".join(tokenize(normalize(written)))
    if not alias:
        raise fail(f"{where}: alias {written!r} has no letters or digits")
    if alias not in into:
        into.append(alias)
