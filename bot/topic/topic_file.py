"""Reading a topic file: TOML in, a checked ``Lexicon`` out (``bot.topic.lexicon``).

The schema is described at the top of the packaged ``bot/data/topic/default.toml``. Every error
names the file and the table, entity or key at fault, so that a typo surfaces at start-up. The
Arabic nisba forms of the aliases so marked are generated here, once, so that matching stays a
look-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.text.normalize import MIN_STEM, normalize, tokenize
from bot.topic.lexicon import (
    ATTRIBUTION,
    BRIDGE,
    RESERVED_GROUPS,
    Entity,
    Lexicon,
    Topic,
    is_arabic_token,
)

_ENTITY_KEYS = frozenset(
    {
        "id", "group", "ar", "en", "aliases", "weak_aliases", "exact_aliases", "set_off_aliases",
        "weak", "generic", "requires_any", "nisba",
    }
)  # fmt: skip
_TOPIC_TEXTS = ("name", "name_ar", "description", "description_ar")
_TOPIC_KEYS = frozenset({*_TOPIC_TEXTS, "sides", "stands_for"})
# [[story_term]] tables are the story vocabulary (bot.stories.vocabulary), not entities.
_TOP_KEYS = frozenset({"topic", "entity", "story_term"})
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


def load_topic(path: Path | None = None) -> Topic:
    """The ``[topic]`` table of a topic file (``None``: the packaged default), checked as
    ``load_lexicon`` checks it."""
    return load_lexicon(path).topic


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
    texts: dict[str, str] = {}
    for text_key in _TOPIC_TEXTS:
        value = topic.get(text_key, "")
        if not isinstance(value, str):
            raise fail(f"[topic].{text_key} must be a string")
        texts[text_key] = " ".join(value.split())
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
    stands_for = _stands_for(topic.get("stands_for", {}), entities, fail)
    return Lexicon(Topic(sides=side_pair, stands_for=stands_for, **texts), entities)


def _stands_for(raw: object, entities: Sequence[Entity], fail: _Fail) -> dict[str, str]:
    """The ``[topic.stands_for]`` table, checked: entity ids of one side, never chained."""
    if not isinstance(raw, dict):
        raise fail("[topic.stands_for] must be a table of entity id = entity id")
    groups = {e.id: e.group for e in entities}
    result: dict[str, str] = {}
    for name, target in raw.items():
        where = f"[topic.stands_for] {name!r}"
        if not isinstance(target, str):
            raise fail(f"{where}: must name an entity id")
        for entity_id in (name, target):
            if entity_id not in groups:
                raise fail(f"{where}: no entity has the id {entity_id!r}")
        if groups[name] != groups[target]:
            raise fail(f"{where}: {target!r} is of another group")
        if name == target or target in raw:
            raise fail(f"{where}: {target!r} must stand for itself")
        result[name] = target
    return result


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
    if not is_arabic_token(token):
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
