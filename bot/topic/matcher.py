"""The topic filter: is a news item about the link between the topic's two sides? Pure.

Decision rule (research notes B.5), over normalized text with datelines removed:

1. a bridge term (a name of the link itself) → relevant, when its ``requires_any`` side is
   named somewhere in the item;
2. the title names both sides → relevant (covers headline-only feed items);
3. the title names one side and the first body sentence the other, or the first body sentence
   names both → relevant (the lead of a news item says what it is about);
4. at least two body sentences each name both sides → relevant;
5. otherwise not relevant.

Position matters because wire copy about one side often ends with a boilerplate line about the
other ("…has deepened military ties with Moscow"); one such sentence is not enough.
Attributions ("TASS", "قناة روسيا اليوم", a title ending in "- روسيا اليوم") and traps
("South Korea", Kim Jong Il, the Kursk submarine) are matched only so that their words are
consumed and never counted. A weak alias
(bare "Kim") counts only in a title that names the other side with a strong alias and names no
trap ("Putin hosts Kim", but not "Lavrov meets South Korea's Kim").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.models import Decision, EntityName
from bot.text.normalize import normalize, tokenize
from bot.topic.lexicon import BRIDGE, CUE, TRAP, Hit, Lexicon

AliasExpander = Callable[[Sequence[str]], Sequence[tuple[str, ...]] | None]

# A simple splitter on normalized text (؟ is already ?). A stop after a lone letter is an
# initial or an abbreviation ("n. korea", "u.s.", "د. محمد"), and so is one after a month or a
# title ("jan. 2", "gen. kim", "st. petersburg"): none ends a sentence. Splitting there would cut
# a lead such as "debris from the jan. 2 strike came from a missile supplied to russia" in two.
# The stop comes first in the pattern so that the regex engine scans for it cheaply; Python's
# look-behinds need a fixed width, hence one per abbreviation length.
_SENTENCE_END = re.compile(
    r"[.!?](?<!\b[^\W\d_][.!?])"
    r"(?<!\b(?:mr|ms|dr|lt|st|mt|ft|jr|sr|vs|co)\.)"
    r"(?<!\b(?:mrs|gen|col|maj|gov|sen|rep|rev|amb|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.)"
    r"(?<!\b(?:sept|capt|prof|cmdr|corp|pres)\.)"
    r"[.!?]*(?:\s+|$)"
)
# A set-off source name needs one of these around it; most lines have none and skip the regex.
_SET_OFF_MARKS = ("(", '"', " -", "|")

# Datelines and agency tags that open a story: "moscow, nov 3 /tass/.", "seoul, oct. 31
# (yonhap) --", "(reuters) -", "موسكو - ", "بيونغ يانغ, 5 مارس (شينخوا) --", and Reuters'
# multi-city "seoul/moscow (reuters) -", whose second city must not count as a mention. A place
# may be up to three words, never a pair joined by "and"/"و" ("موسكو وبيونغ يانغ - " is a
# headline).
_DATELINE = re.compile(
    r"""^
    (?P<place>[^\W\d_]+(?:[ .'][^\W\d_]+){0,2}\.?
      (?:\s?/\s?[^\W\d_]+(?:[ .'][^\W\d_]+){0,2}\.?){0,3})?
    (?:\s*,\s*(?:[^\W\d_]+\.?\s+)?\d{1,2}(?:\s+[^\W\d_]+)?(?:\s*,?\s*\d{4})?)?
    \s*(?P<agency>\([^()]{1,40}\)|/[^/]{1,40}/)?
    (?P<sep>\s*-{1,3}\s+|(?<=[)/])\s*[-.:]{1,3}\s*)?
    """,
    re.VERBOSE,
)
_JOINED_PLACE = re.compile(r"(?:^|\s)(?:and|و)\s|\sو")

_ACCEPT_BASE = {"bridge": 0.85, "title": 0.9, "lead": 0.8, "body": 0.65}
_REJECT_BASE = {2: 0.3, 1: 0.15, 0: 0.0}
_CUE_STEP = 0.02
_CUE_CAP = 0.1


def strip_dateline(normalized: str) -> str:
    """``normalized`` without a leading dateline or agency tag, if it has one."""
    match = _DATELINE.match(normalized)
    if match is None or match.end() == 0:
        return normalized
    place, agency, sep = match.group("place"), match.group("agency"), match.group("sep")
    if not agency and not (place and sep):
        return normalized
    if place and _JOINED_PLACE.search(place):
        return normalized
    return normalized[match.end() :]


def _set_off_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """A source name at the end of a title after a dash or a bar, or in brackets or quotes."""
    if not names:
        return None
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in name.split())
        for name in sorted(names, key=len, reverse=True)
    )
    return re.compile(
        rf"\s[-|]{{1,2}}\s*(?:{alternatives})\s*$"
        rf"|\(\s*(?:{alternatives})\s*\)"
        rf"|\"\s*(?:{alternatives})\s*\""
    )


@dataclass(slots=True)
class _Reading:
    """What one stretch of text (a title or a sentence) names."""

    strong: dict[str, list[str]] = field(default_factory=dict)
    weak: dict[str, list[str]] = field(default_factory=dict)
    bridges: list[str] = field(default_factory=list)
    cues: set[str] = field(default_factory=set)
    trap: bool = False

    @property
    def sides(self) -> frozenset[str]:
        return frozenset(self.strong)


class TopicMatcher:
    """Classifies items against a Lexicon's topic and names the entities they mention."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._sides = lexicon.sides
        self._side_set = frozenset(lexicon.sides)
        self._generic = tuple(e.id for e in lexicon.entities if e.generic)
        self._set_off = _set_off_pattern(lexicon.set_off_names)
        self._set_off_first = tuple(dict.fromkeys(n.split()[0] for n in lexicon.set_off_names))

    # ── reading ──

    def _read(self, hits: Iterable[Hit]) -> _Reading:
        reading = _Reading()
        for hit in hits:
            group = hit.group
            if group in self._side_set:
                target = reading.weak if hit.weak else reading.strong
                target.setdefault(group, []).append(hit.entity)
            elif group == BRIDGE:
                reading.bridges.append(hit.entity)
            elif group == CUE:
                reading.cues.add(hit.entity)
            elif group == TRAP:
                reading.trap = True
            # ATTRIBUTION: consumed by the match, deliberately counted as nothing.
        return reading

    def _read_text(self, normalized: str) -> _Reading:
        return self._read(self.lexicon.find_tokens(tokenize(self._drop_set_off(normalized))))

    def _drop_set_off(self, normalized: str) -> str:
        """``normalized`` without source names set off as sources ("… - روسيا اليوم")."""
        if (
            self._set_off is None
            or not any(mark in normalized for mark in _SET_OFF_MARKS)
            or not any(word in normalized for word in self._set_off_first)
        ):
            return normalized
        return self._set_off.sub(" ", normalized)

    def _sentence_tokens(self, text: str) -> Iterator[list[str]]:
        """The tokens of each sentence of ``text`` (one or more lines, each normalized), with
        the opening dateline and set-off source names removed; sentences without a word are
        skipped."""
        opening = True
        for line in text.splitlines():
            normalized = normalize(line)
            if not normalized:
                continue
            if opening:
                normalized = strip_dateline(normalized)
                opening = False
            normalized = self._drop_set_off(normalized)
            # The split and the tokenizing run in C; a Python loop over the tokens of a line
            # would cost more than both.
            for tokens in map(tokenize, _SENTENCE_END.split(normalized)):
                if tokens:
                    yield tokens

    def _promote_weak(self, reading: _Reading) -> None:
        """Rule 6: a weak alias counts in a title naming the other side strongly, and no trap."""
        if not reading.weak or reading.trap:
            return
        first, second = self._sides
        named = reading.sides  # before promotion: a weak hit never vouches for another
        for side, other in ((first, second), (second, first)):
            if side in reading.weak and other in named:
                reading.strong.setdefault(side, []).extend(reading.weak[side])

    # ── deciding ──

    def classify(self, title: str, summary: str = "", content: str = "") -> Decision:
        """Whether the item is on topic, with a score in [0, 1] and a one-line reason."""
        head = self._read_text(normalize(title))
        self._promote_weak(head)
        body: list[_Reading] = []
        seen: set[tuple[str, ...]] = set()
        find = self.lexicon.find_tokens
        nothing = _Reading()  # shared by the sentences that name nothing; never modified
        for text in (summary, content):
            for tokens in self._sentence_tokens(text):
                key = tuple(tokens)
                if key not in seen:
                    seen.add(key)
                    hits = find(tokens)
                    body.append(self._read(hits) if hits else nothing)

        named: dict[str, list[str]] = {
            side: list(head.strong.get(side, ())) for side in self._sides
        }
        for reading in body:
            for side, ids in reading.strong.items():
                named[side].extend(ids)
        present = frozenset(side for side, ids in named.items() if ids)
        bridges = [b for r in (head, *body) for b in r.bridges if self._bridge_counts(b, present)]
        cues = set(head.cues).union(*(r.cues for r in body))
        bonus = min(_CUE_CAP, _CUE_STEP * len(cues))
        matched = tuple(sorted({*bridges, *(i for ids in named.values() for i in ids)}))

        verdict = self._verdict(head, body, bridges)
        if verdict is not None:
            kind, reason = verdict
            score = min(1.0, _ACCEPT_BASE[kind] + bonus)
            return Decision(relevant=True, score=round(score, 3), matched=matched, reason=reason)
        score = _REJECT_BASE[len(present)] + bonus
        return Decision(
            relevant=False,
            score=round(score, 3),
            matched=matched,
            reason=self._rejection(named, present),
        )

    def _bridge_counts(self, entity_id: str, present: frozenset[str]) -> bool:
        required = self.lexicon.entity(entity_id).requires_any
        return not required or any(side in present for side in required)

    def _verdict(
        self, head: _Reading, body: Sequence[_Reading], bridges: Sequence[str]
    ) -> tuple[str, str] | None:
        if bridges:
            return "bridge", f"bridge term: {bridges[0]}"
        both = self._side_set
        if head.sides >= both:
            return "title", f"title names both sides: {self._pair(head)}"
        if body:
            lead = body[0]
            missing = both - head.sides
            if head.sides and lead.sides >= missing:
                (side,) = missing
                (known,) = head.sides
                return "lead", (
                    f"title names {head.strong[known][0]}, "
                    f"first sentence names {lead.strong[side][0]}"
                )
            if lead.sides >= both:
                return "lead", f"first sentence names both sides: {self._pair(lead)}"
        linked = [r for r in body if r.sides >= both]
        if len(linked) >= 2:
            return "body", f"{len(linked)} body sentences name both sides: {self._pair(linked[0])}"
        return None

    def _pair(self, reading: _Reading) -> str:
        return " + ".join(sorted(reading.strong[side][0] for side in self._sides))

    def _rejection(self, named: dict[str, list[str]], present: frozenset[str]) -> str:
        if not present:
            return "names neither side"
        if len(present) == 1:
            (side,) = present
            return f"names one side only: {named[side][0]}"
        firsts = " + ".join(sorted(named[side][0] for side in self._sides))
        return f"names both sides, but not together in title, lead or two sentences: {firsts}"

    # ── naming ──

    def entities(self, text: str) -> tuple[str, ...]:
        """Ids of the side and bridge entities ``text`` names, in order of first mention.

        Attributions, traps and cues are left out; a weak alias is kept only where rule 6 of a
        title would count it (the text also names the other side, and no trap).
        """
        hits = self.lexicon.find(self._drop_set_off(normalize(text)))
        reading = self._read(hits)
        self._promote_weak(reading)
        wanted = set(reading.bridges)
        for ids in reading.strong.values():
            wanted.update(ids)
        out: list[str] = []
        for hit in hits:
            if hit.entity in wanted and hit.entity not in out:
                out.append(hit.entity)
        return tuple(out)

    def entity_names(self, ids: Iterable[str]) -> tuple[EntityName, ...]:
        """Canonical Arabic and English names of ``ids``; ids not in the lexicon are skipped
        (a story stored under an older topic file may name them)."""
        names: list[EntityName] = []
        for entity_id in ids:
            if entity_id in self.lexicon:
                entity = self.lexicon.entity(entity_id)
                names.append(EntityName(id=entity.id, ar=entity.ar, en=entity.en))
        return tuple(names)

    def entity_score(self, sentence: str) -> int:
        """How many distinct side or bridge entities a sentence names with a strong alias."""
        reading = self._read_text(normalize(sentence))
        ids = {i for side_ids in reading.strong.values() for i in side_ids}
        return len(ids) + len(set(reading.bridges))

    def generic_entities(self) -> tuple[str, ...]:
        """Ids marked ``generic`` in the topic file (countries, capitals, leaders)."""
        return self._generic

    def alias_expander(self) -> AliasExpander:
        """For search: maps query tokens naming an entity to all of its aliases' tokens."""
        return self.lexicon.expand_aliases
