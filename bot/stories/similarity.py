"""How alike two reports are, in [0, 1]. Pure.

- **Rarity.** A word or mark that many recent reports share ("troops" during the Kursk fighting,
  a wire service's closing line) says less about which event a report is about than one only a
  few use, so every shared term counts by its inverse document frequency over the reports being
  clustered (``Rarity``).
- **Within a language**, the weighted Dice overlap of word stems and marks together (a paraphrase
  shares marks where it shares no word); a mark weighs twice a word of the same rarity (``MARKS``):
  a named person, a figure or what happened says more than a word.
- **Across languages**, the weighted Dice overlap of marks alone: story terms, entities, figures.
- **Time.** Reports of one event come close together; the score falls linearly with the time
  between the two reports, to 0 at ``horizon``. A follow-up two days later (a denial of a claim,
  a departure after a summit) must share much more to join than a report of the same day.
- **Contrast terms** (the topic file's ``contrast = true``, e.g. a denial): a report that has one
  and a report that has none are about different developments (the claim and its denial quote
  each other), so their score is scaled down by ``CONTRAST``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.stories.features import Features

CONTRAST = 0.5
"""Factor for two reports of which only one names a contrast term (a denial)."""
MARKS = 2.0
"""A mark (a story term, an entity, a figure) weighs this many plain words of the same rarity."""
DEFAULT_HORIZON = timedelta(hours=96)


@dataclass(frozen=True, slots=True)
class Rarity:
    """Document frequencies of words and marks over ``reports`` reports."""

    reports: int
    counts: Mapping[str, int]

    def weight(self, term: str) -> float:
        return math.log((self.reports + 1) / (self.counts.get(term, 0) + 1)) + 1


def rarity(reports: Iterable[Features]) -> Rarity:
    """The ``Rarity`` of words and marks over ``reports``."""
    counts: Counter[str] = Counter()
    total = 0
    for report in reports:
        total += 1
        counts.update(report.words)
        counts.update(report.marks)
    return Rarity(total, counts)


class _Weights(dict[str, float]):
    """Each term's weight, computed on first use (``map`` over a set reads it at C speed)."""

    __slots__ = ("_rare",)

    def __init__(self, rare: Rarity) -> None:
        super().__init__()
        self._rare = rare

    def __missing__(self, term: str) -> float:
        found = self[term] = self._rare.weight(term)
        return found


class _Masses(dict[frozenset[str], float]):
    """Each bag's mass, the exact sum of its weights, computed on first use."""

    __slots__ = ("_weights",)

    def __init__(self, weights: _Weights) -> None:
        super().__init__()
        self._weights = weights

    def __missing__(self, terms: frozenset[str]) -> float:
        # fsum: exact whatever the order of the set, which varies with the hash seed, so
        # equal scores stay equal and ties go by the keys
        found = self[terms] = math.fsum(map(self._weights.__getitem__, terms))
        return found


class Weigher:
    """Weighted overlaps under one ``Rarity``, remembering the mass of each bag it weighed (one
    report is compared with many others)."""

    __slots__ = ("_masses", "_rare", "_weights")

    def __init__(self, rare: Rarity) -> None:
        self._rare = rare
        self._weights = _Weights(rare)
        self._masses = _Masses(self._weights)

    def weight(self, term: str) -> float:
        return self._weights[term]

    def mass(self, terms: frozenset[str]) -> float:
        return self._masses[terms]

    def dice(self, a: frozenset[str], b: frozenset[str]) -> float:
        """Weighted Dice overlap of two bags."""
        return self.both(a, frozenset(), b, frozenset(), marks=1.0)

    def both(
        self,
        words_a: frozenset[str],
        marks_a: frozenset[str],
        words_b: frozenset[str],
        marks_b: frozenset[str],
        *,
        marks: float = MARKS,
    ) -> float:
        """Weighted Dice overlap of words and marks taken together, a mark weighing ``marks``
        times a word of the same rarity."""
        mass = self.mass
        total = mass(words_a) + mass(words_b) + marks * (mass(marks_a) + mass(marks_b))
        if not total:
            return 0.0
        # one pair after another is scored: a map over the shared terms, not a generator
        weight = self._weights.__getitem__
        shared = math.fsum(map(weight, words_a & words_b)) if words_a and words_b else 0.0
        if marks_a and marks_b:
            shared += marks * math.fsum(map(weight, marks_a & marks_b))
        return 2 * shared / total


def closeness(a: Features, b: Features, horizon: timedelta = DEFAULT_HORIZON) -> float:
    """1 for two reports published together, falling linearly to 0 at ``horizon`` apart."""
    apart = abs(a.published - b.published)
    if apart >= horizon:
        return 0.0
    return 1.0 - apart / horizon


def similarity(
    a: Features,
    b: Features,
    weigher: Weigher,
    *,
    contrast: frozenset[str] = frozenset(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> float:
    """How likely ``a`` and ``b`` report the same event, in [0, 1]."""
    near = closeness(a, b, horizon)
    if not near:
        return 0.0
    if a.lang == b.lang:
        score = weigher.both(a.words, a.marks, b.words, b.marks)
    else:
        score = weigher.dice(a.marks, b.marks)
    if contrast and bool(a.marks & contrast) != bool(b.marks & contrast):
        score *= CONTRAST
    return score * near
