"""The topic filter: is a news item about the link between the topic's two sides? Pure.

Decision rule (research notes B.5), over normalized text with datelines removed:

1. a bridge term (a name of the link itself) → relevant, when its ``requires_any`` side is
   named somewhere in the item;
2. the title names both sides → relevant (covers headline-only feed items);
3. the title names one side and the first body sentence the other, or the first body sentence
   names both → relevant (the lead of a news item says what it is about);
4. at least two body sentences each name both sides → relevant;
5. otherwise not relevant.

A side named only in a concessive clause after the main one ("…, despite North Korea's growing
alignment with Russia") is background and counts as not named there. Lists of countries do not
link: a side named as a member of a list of three or more countries, at least one of them a
third country of the topic file ("China, Russia, Iran and North Korea", "الصين وروسيا وإيران
وكوريا الشمالية"), is not named there. A side named beside one third country ("China and North
Korea") still counts, unless the other side is also named only so in the stretch that would
link them: that is one list split between a title and its lead.

Position matters because wire copy about one side often ends with a boilerplate line about the
other ("…has deepened military ties with Moscow"); one such sentence is not enough.
Attributions ("TASS", "قناة روسيا اليوم", a title ending in "- روسيا اليوم") and traps
("South Korea", Kim Jong Il, the Kursk submarine) are matched only so that their words are
consumed and never counted. A weak alias
(bare "Kim") counts only in a title that names the other side with a strong alias and names no
trap ("Putin hosts Kim", but not "Lavrov meets South Korea's Kim").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from bot.models import Decision, EntityName
from bot.text.html import cut_at_word
from bot.text.normalize import normalize, tokenize
from bot.topic.lexicon import BRIDGE, CUE, OTHER, TRAP, Hit, Lexicon
from bot.topic.reading import (
    CONCESSIVE,
    CONCESSIVE_WORDS,
    LIST_GAP,
    SENTENCE_END,
    SET_OFF_MARKS,
    TOKEN_RE,
    Reading,
    set_off_pattern,
    strip_dateline,
)

AliasExpander = Callable[[Sequence[str]], Sequence[tuple[str, ...]] | None]

# How much of an item is read, cut at a word: the decision rests on the title, the lead and the
# sentences of a news item, and an item of any length must cost no more than this. The same as
# the text bot.ingest.articles keeps of an item; on the real feeds no decision changes.
MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 10_000

_ACCEPT_BASE = {"bridge": 0.85, "title": 0.9, "lead": 0.8, "body": 0.65}
_REJECT_BASE = {2: 0.3, 1: 0.15, 0: 0.0}
_CUE_STEP = 0.02
_CUE_CAP = 0.1


class TopicMatcher:
    """Classifies items against a Lexicon's topic and names the entities they mention."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._sides = lexicon.sides
        self._side_set = frozenset(lexicon.sides)
        self._generic = tuple(e.id for e in lexicon.entities if e.generic)
        self._set_off = set_off_pattern(lexicon.set_off_names)
        self._set_off_first = tuple(dict.fromkeys(n.split()[0] for n in lexicon.set_off_names))
        self._has_others = any(e.group == OTHER for e in lexicon.entities)

    # ── reading ──

    def _read(self, hits: Sequence[Hit], text: str | None = None) -> Reading:
        """What ``hits`` name; with ``text``, the string they were found in, lists of countries
        and concessive clauses are read too (without it, every mention counts)."""
        reading = Reading()
        aside: frozenset[int] = frozenset()
        paired: frozenset[int] = frozenset()
        if text is not None and hits:
            aside, paired = self._asides(hits, text)
        for number, hit in enumerate(hits):
            group = hit.group
            if group in self._side_set:
                if number in aside:
                    reading.aside.add(group)
                    continue
                if number in paired:
                    reading.paired[group] = reading.paired.get(group, 0) + 1
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

    def _asides(self, hits: Sequence[Hit], text: str) -> tuple[frozenset[int], frozenset[int]]:
        """Indexes of the side hits that do not count (in a concessive clause, or in a list of
        three or more countries with a third one among them), and of those in a pair with a
        third country (see the module docstring).

        Traps count as list members ("North Korea, South Korea, China and Russia") but never as
        sides. The work is done only where a stretch names a side and a third country, or a
        side and a concessive word, so rarely."""
        sides = self._side_set
        groups = [hit.group for hit in hits]
        if sides.isdisjoint(groups):
            return frozenset(), frozenset()
        aside: set[int] = set()
        spans: list[tuple[int, int]] = []
        if any(word in text for word in CONCESSIVE_WORDS):
            clause = CONCESSIVE.search(text)
            if clause is not None:
                spans = [match.span() for match in TOKEN_RE.finditer(text)]
                aside.update(
                    n
                    for n, hit in enumerate(hits)
                    if groups[n] in sides and clause.start() <= spans[hit.start][0] < clause.end()
                )
        if not self._has_others or OTHER not in groups or len(hits) < 2:
            return frozenset(aside), frozenset()
        spans = spans or [match.span() for match in TOKEN_RE.finditer(text)]
        member = sides | {OTHER, TRAP}
        runs: list[list[int]] = []
        last_end = -1
        for number, hit in enumerate(hits):
            if hit.group not in member or hit.weak:
                last_end = -1
                continue
            start = spans[hit.start][0]
            if runs and last_end >= 0 and LIST_GAP.fullmatch(text, last_end, start):
                runs[-1].append(number)
            else:
                runs.append([number])
            last_end = spans[hit.end - 1][1]
        paired: set[int] = set()
        for run in runs:
            in_sides = [n for n in run if groups[n] in sides]
            if len(in_sides) == len(run) or not in_sides:
                continue  # "Putin, Lavrov and Kim" is no list of countries
            (aside if len(run) >= 3 else paired).update(in_sides)
        return frozenset(aside), frozenset(paired - aside)

    def _read_text(self, normalized: str) -> Reading:
        text = self._drop_set_off(normalized)
        return self._read(self.lexicon.find_tokens(tokenize(text)), text)

    def _drop_set_off(self, normalized: str) -> str:
        """``normalized`` without source names set off as sources ("… - روسيا اليوم")."""
        if (
            self._set_off is None
            or not any(mark in normalized for mark in SET_OFF_MARKS)
            or not any(word in normalized for word in self._set_off_first)
        ):
            return normalized
        return self._set_off.sub(" ", normalized)

    def _sentence_tokens(self, text: str) -> Iterator[tuple[str, list[str]]]:
        """Each sentence of ``text`` (one or more lines, each normalized) with its tokens, with
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
            for sentence in SENTENCE_END.split(normalized):
                tokens = tokenize(sentence)
                if tokens:
                    yield sentence, tokens

    def _promote_weak(self, reading: Reading) -> None:
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
        """Whether the item is on topic, with a score in [0, 1] and a one-line reason. Only the
        first ``MAX_TITLE_CHARS`` of the title and ``MAX_BODY_CHARS`` of the summary and of the
        content are read."""
        title = cut_at_word(title, MAX_TITLE_CHARS)
        summary = cut_at_word(summary, MAX_BODY_CHARS)
        content = cut_at_word(content, MAX_BODY_CHARS)
        head = self._read_text(normalize(title))
        self._promote_weak(head)
        body: list[Reading] = []
        seen: set[tuple[str, ...]] = set()
        find = self.lexicon.find_tokens
        nothing = Reading()  # shared by the sentences that name nothing; never modified
        for text in (summary, content):
            for sentence, tokens in self._sentence_tokens(text):
                key = tuple(tokens)
                if key not in seen:
                    seen.add(key)
                    hits = find(tokens)
                    body.append(self._read(hits, sentence) if hits else nothing)

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
            reason=self._rejection(
                named, present, aside=bool(head.aside.union(*(r.aside for r in body)))
            ),
        )

    def _bridge_counts(self, entity_id: str, present: frozenset[str]) -> bool:
        required = self.lexicon.entity(entity_id).requires_any
        return not required or any(side in present for side in required)

    def _verdict(
        self, head: Reading, body: Sequence[Reading], bridges: Sequence[str]
    ) -> tuple[str, str] | None:
        if bridges:
            return "bridge", f"bridge term: {bridges[0]}"
        both = self._side_set
        if head.links():
            return "title", f"title names both sides: {self._pair(head)}"
        if body:
            lead = body[0]
            missing = both - head.sides
            if len(missing) == 1 and lead.sides >= missing:
                (side,) = missing
                (known,) = head.sides
                if head.firm(known) or lead.firm(side):
                    return "lead", (
                        f"title names {head.strong[known][0]}, "
                        f"first sentence names {lead.strong[side][0]}"
                    )
            if lead.links():
                return "lead", f"first sentence names both sides: {self._pair(lead)}"
        linked = [r for r in body if r.links()]
        if len(linked) >= 2:
            return "body", f"{len(linked)} body sentences name both sides: {self._pair(linked[0])}"
        return None

    def _pair(self, reading: Reading) -> str:
        return " + ".join(sorted(reading.strong[side][0] for side in self._sides))

    def _rejection(
        self, named: dict[str, list[str]], present: frozenset[str], *, aside: bool
    ) -> str:
        if aside and len(present) < 2:
            return "names a side only in a list of countries or a concessive clause"
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
