"""The scores of every pair of reports that clustering compares, for a whole poll. Pure.

The score is ``bot.stories.similarity.similarity``'s, restated for a big poll's hundreds of
thousands of pairs: each report's terms become small ints and its masses, its contrast and its
time are worked out once, so that a pair costs two intersections of small sets of ints. The
arithmetic is the same, in the same order (every sum of weights an exact ``fsum``), so every
score is equal to the last bit to ``similarity``'s: clustering decides exactly as it would with
that.

Only pairs that share a word (in one language) or a mark are scored, found through an inverted
index; a term in more than ``COMMON`` of the indexed reports (and in over ``MIN_COMMON``) finds no
pairs: a pair that shares only such terms weighs too little to join.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import timedelta
from itertools import pairwise

from bot.stories.features import Features
from bot.stories.similarity import CONTRAST, MARKS, Weigher

COMMON = 0.1
"""A term in more than this share of the reports (and in over ``MIN_COMMON``) finds no pairs."""
MIN_COMMON = 64
_MICROSECOND = timedelta(microseconds=1)


class Table:
    """What a score reads of each report, by its number in ``reports``."""

    __slots__ = (
        "_contrast",
        "_lang",
        "_mark_mass",
        "_marks",
        "_records",
        "_weights",
        "_word_mass",
        "_words",
        "at",
        "horizon",
        "terms",
    )

    def __init__(
        self,
        reports: Sequence[Features],
        weigher: Weigher,
        contrast: frozenset[str],
        horizon: timedelta,
    ) -> None:
        ids: dict[str, int] = {}
        weights: list[float] = []

        def ints(terms: frozenset[str]) -> frozenset[int]:
            found = []
            for term in terms:
                number = ids.get(term)
                if number is None:
                    number = ids[term] = len(weights)
                    weights.append(weigher.weight(term))
                found.append(number)
            return frozenset(found)

        # a word and a mark spelled alike have one weight (``Rarity`` counts them together)
        self._words = [ints(r.words) for r in reports]
        self._marks = [ints(r.marks) for r in reports]
        self._weights = weights
        self._word_mass = [weigher.mass(r.words) for r in reports]
        self._mark_mass = [weigher.mass(r.marks) for r in reports]
        self._lang = [r.lang for r in reports]
        self._contrast = [bool(contrast and r.marks & contrast) for r in reports]
        # Times as microseconds from one of them: ``apart / horizon`` of two timedeltas is this
        # division of their microseconds.
        self.at = [(r.published - reports[0].published) // _MICROSECOND for r in reports]
        self.horizon = horizon // _MICROSECOND
        # all a score reads of a report, in one tuple: one look-up per pair
        self._records = list(
            zip(
                self.at,
                self._lang,
                self._words,
                self._marks,
                self._word_mass,
                self._mark_mass,
                self._contrast,
                strict=True,
            )
        )
        # What the index files a report under: its words with their language, and its marks.
        word_term: dict[tuple[str, int], int] = {}
        self.terms = [
            [word_term.setdefault((lang, w), ~len(word_term)) for w in words] + list(marks)
            for lang, words, marks in zip(self._lang, self._words, self._marks, strict=True)
        ]

    def scores(self, report: int, others: Iterable[int]) -> list[tuple[int, float]]:
        """Each of ``others`` whose score with ``report`` is above 0, with that score:
        ``similarity(report, other, weigher)``, term by term."""
        horizon, records, fsum = self.horizon, self._records, math.fsum
        weight = self._weights.__getitem__
        when, language, words_a, marks_a, words_mass_a, marks_mass_a, against = records[report]
        found = []
        for other in others:
            at, lang, words_b, marks_b, words_mass_b, marks_mass_b, contrast = records[other]
            apart = abs(at - when)
            if apart >= horizon:
                continue
            near = 1.0 - apart / horizon
            if not near:
                continue
            if lang == language:
                total = words_mass_a + words_mass_b + MARKS * (marks_mass_a + marks_mass_b)
                if not total:
                    score = 0.0
                else:
                    # an empty sum is 0.0, and adding it changes nothing: no call for it
                    both = words_a & words_b
                    shared = fsum(map(weight, both)) if both else 0.0
                    both = marks_a & marks_b
                    if both:
                        shared += MARKS * fsum(map(weight, both))
                    score = 2 * shared / total
            else:
                # ``Weigher.both`` of the marks alone adds 1.0 * (0.0 + 0.0): nothing
                total = marks_mass_a + marks_mass_b
                if not total:
                    score = 0.0
                else:
                    both = marks_a & marks_b
                    score = 2 * (fsum(map(weight, both)) if both else 0.0) / total
            if against is not contrast:
                score *= CONTRAST
            value = score * near
            if value > 0:
                found.append((other, value))
        return found


class Index:
    """The reports of ``members`` (numbers in a ``Table``, in increasing order) by the terms
    they are filed under."""

    __slots__ = ("_by", "_common", "_terms")

    def __init__(self, table: Table, members: Sequence[int]) -> None:
        if any(a >= b for a, b in pairwise(members)):
            raise ValueError("the members of an index go in increasing order")
        self._terms = table.terms
        self._by: dict[int, list[int]] = {}
        for member in members:
            for term in self._terms[member]:
                posted = self._by.get(term)
                if posted is None:
                    self._by[term] = [member]
                else:
                    posted.append(member)
        self._common = max(MIN_COMMON, int(len(members) * COMMON))

    def sharing(self, report: int, after: int = -1) -> set[int]:
        """The members numbered after ``after`` that share with ``report`` a term that few
        members use (``report`` too, when it is one)."""
        found: set[int] = set()
        by, common = self._by, self._common
        for term in self._terms[report]:
            posted = by.get(term)
            if posted is not None and len(posted) <= common:
                found.update(posted[bisect_right(posted, after) :])  # posted in order
        return found
