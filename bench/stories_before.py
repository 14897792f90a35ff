"""The story clustering of digestbot before real-coverage tuning, kept for ``bench/stories.py`` to
measure beside the present one (``bot.stories``); the bot does not use it.

Clustering: which story does a new relevant article belong to? Pure functions.

Within a language, two reports of one event share many content words and entities; across
languages they share no words, so they are compared by a signature of canonical entity ids from
the lexicon plus the numbers they quote (10,900 soldiers, 73 railcars). The side-level entities
that every on-topic article names (Russia, North Korea, their capitals, their leaders) carry no
information about *which* event it is, so they are left out of the signature; and within a
language, words and entities that many recent reports use count less than rare ones (``Rarity``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.text.normalize import normalize, tokenize

WINDOW = timedelta(hours=48)
# Entities alone (no shared number) link reports in two languages only this close together.
ENTITIES_ONLY_WINDOW = timedelta(hours=24)

# Minimum similarity to join a story.
SAME_LANG_THRESHOLD = 0.4
CROSS_LANG_THRESHOLD = 0.5

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")

# A dateline at the start of a report ("MOSCOW, Nov 5 (Reuters) -", "Moscow, Mar 3 /TASS/.",
# "موسكو - "): its date is the day of filing, not a figure of the event.
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z'.]+(?:\s+[A-Z][A-Za-z'.]+){0,2},?\s*"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s*)?(?:\(\w[\w ]*\)|/\w+/)?\s*[-\u2013\u2014.:]"
    r"|[\u0600-\u06FF]+(?:\s+[\u0600-\u06FF]+)?\s*(?:\(\S+\)\s*)?[-\u2013\u2014])\s+"
)

# Words that every on-topic report uses (the two countries, their people and capitals): they say
# nothing about which event a report is about, so they do not count towards word overlap.
_TOPIC_WORDS = frozenset(
    tokenize(
        normalize(
            "russia russian russians north korea korean koreans moscow pyongyang kremlin "
            "روسيا الروسية روسي الروسي روسية كوريا الشمالية الكورية الكوري كوري كورية موسكو "
            "بيونغيانغ بيونغ يانغ الكرملين"
        )
    )
)

_STOPWORDS = frozenset(
    """
    a an the and or but of to in on at for from by with as is are was were be been has have had
    it its this that these those he she they his her their not no will would could should may
    said says say after before over about into than more most new also who which what when where
    في من على الى ان عن مع هذا هذه ذلك التي الذي الذين كان كانت قد لم لن ما لا او ثم بعد قبل
    حيث كما بين عند الي اي كل وقال قال وقالت قالت وفق خلال منذ حتى لها له هو هي
    """.split()
)


@dataclass(frozen=True, slots=True)
class Features:
    """What clustering compares, computed once per article."""

    lang: str
    words: frozenset[str]
    entities: frozenset[str]
    numbers: frozenset[str]
    published: datetime
    signature: frozenset[str] = frozenset()
    """Entities and numbers together (numbers marked with ``#``); filled in by ``features``."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An article already in a story."""

    story_id: int
    features: Features
    headline: bool = False
    """An LLM headline of the story rather than a report: compared in its own language only."""


def numbers_in(text: str) -> set[str]:
    """Numbers of two or more digits, separators removed (10,900 and 10900 are the same)."""
    found = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"[,.]", "", match.group())
        if len(digits) >= 2:
            found.add(digits)
    return found


def strip_dateline(text: str) -> str:
    """``text`` without a leading dateline ("SEOUL, Nov 5 (Reuters) -", "موسكو - ")."""
    return _DATELINE.sub("", text, count=1)


def features(
    *,
    lang: str,
    title: str,
    summary: str,
    entities: Iterable[str],
    generic: Collection[str],
    published: datetime,
) -> Features:
    text = normalize(f"{title} {strip_dateline(summary)}")
    words = frozenset(
        t for t in tokenize(text) if len(t) > 2 and t not in _STOPWORDS and t not in _TOPIC_WORDS
    )
    specific = frozenset(e for e in entities if e not in generic)
    numbers = frozenset(numbers_in(text))
    return Features(
        lang=lang,
        words=words,
        entities=specific,
        numbers=numbers,
        published=published,
        signature=specific | {f"#{n}" for n in numbers},
    )


@dataclass(frozen=True, slots=True)
class Rarity:
    """How many of the recent reports use each word and signature mark.

    A word or an entity that many recent reports share (Kursk during the fighting there, a
    minister's title, a wire service's closing line such as "Neither side disclosed figures")
    says less about which event a report is about than one only a few reports use, so overlap
    is weighted by inverse document frequency over the reports the index holds (the last two
    windows in the pipeline). Weights run from 1 (in every report) to ``max_weight`` (in none).
    """

    reports: int
    counts: Mapping[str, int]

    def weight(self, term: str) -> float:
        return math.log((self.reports + 1) / (self.counts.get(term, 0) + 1)) + 1

    def mass(self, terms: Iterable[str]) -> float:
        return sum(self.weight(t) for t in terms)

    @property
    def max_weight(self) -> float:
        return math.log(self.reports + 1) + 1


def rarity(reports: Iterable[Features]) -> Rarity:
    """The ``Rarity`` of words and marks over ``reports``."""
    counts: Counter[str] = Counter()
    total = 0
    for report in reports:
        total += 1
        counts.update(report.words)
        counts.update(report.signature)
    return Rarity(total, counts)


class _Remembered:
    """A ``Rarity`` that remembers the mass of each set it weighed: one new article is
    compared with many candidates, and its own words are weighed in every comparison."""

    __slots__ = ("_masses", "_rare")

    def __init__(self, rare: Rarity) -> None:
        self._rare = rare
        self._masses: dict[frozenset[str], float] = {}

    def mass(self, terms: frozenset[str]) -> float:
        found = self._masses.get(terms)
        if found is None:
            found = self._masses[terms] = self._rare.mass(terms)
        return found


_EVEN = Rarity(0, {})  # every term weighs 1


def _jaccard(a: frozenset[str], b: frozenset[str], rare: Rarity | _Remembered) -> float:
    if not a or not b:
        return 0.0
    shared = rare.mass(a & b)
    return shared / (rare.mass(a) + rare.mass(b) - shared)


_WORD_WEIGHT = 0.7


def similarity(a: Features, b: Features, rare: Rarity | _Remembered = _EVEN) -> float:
    """How likely two articles report the same event, in [0, 1]; within a language, shared
    words and marks count by their ``rare`` weights."""
    if a.lang == b.lang:
        signature = _jaccard(a.signature, b.signature, rare)
        smaller = min(rare.mass(a.words), rare.mass(b.words))
        words = rare.mass(a.words & b.words) / smaller if smaller else 0.0
        return _WORD_WEIGHT * words + (1 - _WORD_WEIGHT) * signature
    shared = len(a.entities & b.entities)
    if not shared:
        return 0.0
    # Entities recur from event to event (Kozlov in Vladivostok: a trade figure one day, a
    # commission meeting the next), so entities alone link two reports only when they appeared
    # close together; a shared number as well links them anywhere in the window.
    if not a.numbers & b.numbers and abs(a.published - b.published) > ENTITIES_ONLY_WINDOW:
        return 0.0
    containment = shared / min(len(a.entities), len(b.entities))
    if shared == 1:
        # A lone entity ranks below two shared entities or a shared number.
        containment /= 2
    same_number = 0.25 if a.numbers & b.numbers else 0.0
    return min(1.0, containment + same_number)


def assign(new: Features, candidates: Sequence[Candidate]) -> int | None:
    """The story ``new`` joins, or None for a new story. Ties go to the most recent story."""
    found = best_match(new, candidates)
    return found[1].story_id if found else None


def best_match(
    new: Features, candidates: Sequence[Candidate], rare: Rarity | None = None
) -> tuple[float, Candidate] | None:
    """The candidate that decides which story ``new`` joins, with its score, or None.
    ``rare`` defaults to the rarity of words over the reports among ``candidates``.

    Across languages, without a shared number, entities link a new report to a story only when
    that story has no report in the new one's language yet: if it has, the words of that report
    say whether the new one belongs (they share far more than entities do), and entities alone
    must not overrule them. A lone shared entity (Kursk, the MSMT) joins, moreover, only a story
    that it singles out, only when one report's entities include the other's, and only when they
    do not quote different numbers: otherwise it says nothing about which story the new report
    belongs to. An LLM headline is compared in its own language only.
    """
    if rare is None:
        rare = rarity(c.features for c in candidates if not c.headline)
    remembered = _Remembered(rare)
    recent = [c for c in candidates if abs(c.features.published - new.published) <= WINDOW]
    stories_naming: dict[str, set[int]] = {}
    for candidate in recent:
        for entity in candidate.features.entities & new.entities:
            stories_naming.setdefault(entity, set()).add(candidate.story_id)
    # Stories with a report in the new article's language. A headline does not count: one
    # line is too little to compare with when the two sides differ only in wording.
    speaks = {c.story_id for c in recent if c.features.lang == new.lang and not c.headline}
    best: tuple[float, int] | None = None
    chosen: Candidate | None = None
    for candidate in recent:
        other = candidate.features
        if candidate.headline and other.lang != new.lang:
            # The headline's entities are those of the report it was written from, which
            # is itself a candidate; alone, its shorter signature passes more easily.
            continue
        if other.lang != new.lang and not other.numbers & new.numbers:
            if candidate.story_id in speaks:
                continue
            shared = other.entities & new.entities
            if len(shared) == 1 and (
                len(stories_naming[next(iter(shared))]) > 1
                or (other.numbers and new.numbers)
                or not (other.entities <= new.entities or new.entities <= other.entities)
            ):
                continue
        score = similarity(new, other, remembered)
        threshold = (
            SAME_LANG_THRESHOLD if candidate.features.lang == new.lang else CROSS_LANG_THRESHOLD
        )
        if score >= threshold and (best is None or (score, candidate.story_id) > best):
            best = (score, candidate.story_id)
            chosen = candidate
    return (best[0], chosen) if best and chosen else None


class StoryIndex:
    """Candidates indexed by word and by signature, so that a new article is compared only with
    those that could reach a threshold, not with every recent article (the same answers as
    ``assign`` over all candidates, without its quadratic cost).

    A candidate can only pass if it shares a signature element (an entity or a number) with the
    new article, or, in the same language, enough words to pass on words alone.

    A story is represented by its ``per_story`` first reports: a new article is compared with
    what the story was first about, so a story cannot drift from event to event through a chain
    of reports that each resemble only the previous one, and a big story (hundreds of outlets on
    one summit) costs no more than a small one.
    """

    def __init__(self, per_story: int = 3) -> None:
        self._per_story = per_story
        self._items: list[Candidate] = []
        self._by_word: dict[str, list[int]] = {}
        self._by_mark: dict[str, list[int]] = {}
        self._members: dict[int, deque[int]] = {}
        self._representatives: dict[int, list[int]] = {}
        self._retired: set[int] = set()
        self._counts: Counter[str] = Counter()
        self._reports = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, candidate: Candidate) -> None:
        index = len(self._items)
        self._items.append(candidate)
        for word in candidate.features.words:
            self._by_word.setdefault(word, []).append(index)
        for mark in candidate.features.signature:
            self._by_mark.setdefault(mark, []).append(index)
        self._reports += 1
        self._counts.update(candidate.features.words)
        self._counts.update(candidate.features.signature)
        members = self._members.setdefault(candidate.story_id, deque())
        if len(members) < self._per_story:
            members.append(index)
            self._representatives.setdefault(candidate.story_id, []).append(index)
        else:
            self._retired.add(index)

    def add_headline(self, candidate: Candidate) -> None:
        """Index the headline an LLM wrote for a story, in one language, as one more report of
        that story: it is how an article in that language is matched with a story first
        reported in the other. It does not take the place of one of the story's first reports.
        """
        index = len(self._items)
        self._items.append(replace(candidate, headline=True))
        self._representatives.setdefault(candidate.story_id, []).append(index)
        for word in candidate.features.words:
            self._by_word.setdefault(word, []).append(index)
        for mark in candidate.features.signature:
            self._by_mark.setdefault(mark, []).append(index)

    def assign(self, new: Features) -> int | None:
        found = self.match(new)
        return found[1].story_id if found else None

    def match(self, new: Features) -> tuple[float, Candidate] | None:
        """``best_match`` over the candidates that could pass: what decided ``assign``."""
        shared: Counter[int] = Counter()
        for word in new.words:
            shared.update(self._by_word.get(word, ()))
        pool: set[int] = set()
        for mark in new.signature:
            pool.update(self._by_mark.get(mark, ()))
        rare = Rarity(self._reports, self._counts)
        # The weighted share of words that passes on its own needs at least this share of
        # shared words when the shared ones weigh as much as the new article's heaviest word
        # and the others the least (1).
        needed = SAME_LANG_THRESHOLD / _WORD_WEIGHT
        top = max((rare.weight(w) for w in new.words), default=1.0)
        share = needed / (top * (1 - needed) + needed)
        for index, count in shared.items():
            if index in self._retired:
                continue
            other = self._items[index].features
            if count >= share * max(1, min(len(new.words), len(other.words))):
                pool.add(index)
        pool -= self._retired
        # All of a pooled story's representatives, for best_match to see which languages the
        # story speaks; those that share nothing with the new article score 0.
        for story_id in {self._items[i].story_id for i in pool}:
            pool.update(self._representatives[story_id])
        return best_match(new, [self._items[i] for i in sorted(pool)], rare)
