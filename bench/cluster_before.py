"""``bot/stories/cluster.py``'s clustering as it was before its pairs were scored from per-report
term ids and its joins kept apart (``bot/stories/scoring.py``, ``bot/stories/joins.py``), kept for
``bench/cluster.py`` to measure beside the present one; the bot does not use it. It decides
exactly as the present one does (the rules are in ``bot/stories/cluster.py``'s docstring), and
takes the same reports, rules and decision types and the same limits from ``bot.stories``.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.stories.cluster import MAX_MEMBERS, MAX_REACHED, Clustering, Report, Rules
from bot.stories.features import Features
from bot.stories.scoring import COMMON, MIN_COMMON
from bot.stories.similarity import CONTRAST, MARKS, Weigher, rarity

_RULES = Rules()


class _Weigher(Weigher):
    """The ``Weigher`` of this clustering, with the pair score it had then."""

    def similarity(
        self, a: Features, b: Features, contrast: frozenset[str], horizon: timedelta
    ) -> float:
        """``similarity(a, b, self, ...)`` in one call, the same arithmetic in the same order:
        clustering a big poll scores hundreds of thousands of pairs."""
        apart = abs(a.published - b.published)
        if apart >= horizon:
            return 0.0
        near = 1.0 - apart / horizon
        if not near:
            return 0.0
        if a.lang == b.lang:
            # ``both`` with marks weighing ``MARKS``, written out: the same sums in the same order
            mass = self._masses
            words_a, marks_a, words_b, marks_b = a.words, a.marks, b.words, b.marks
            total = mass[words_a] + mass[words_b] + MARKS * (mass[marks_a] + mass[marks_b])
            if not total:
                score = 0.0
            else:
                weight = self._weights.__getitem__
                shared = math.fsum(map(weight, words_a & words_b)) if words_a and words_b else 0.0
                if marks_a and marks_b:
                    shared += MARKS * math.fsum(map(weight, marks_a & marks_b))
                score = 2 * shared / total
        else:
            score = self.both(a.marks, frozenset(), b.marks, frozenset(), marks=1.0)
        if contrast and bool(a.marks & contrast) != bool(b.marks & contrast):
            score *= CONTRAST
        return score * near


def cluster(recent: Iterable[Report], new: Iterable[Report], rules: Rules = _RULES) -> Clustering:
    """Assign the ``new`` reports (``story_id`` None) given the ``recent`` ones (in stories)."""
    fresh = sorted((r for r in new), key=lambda r: r.key)
    if not fresh:
        return Clustering()
    recent = list(recent)
    keys = [r.key for r in fresh] + [r.key for r in recent]
    if len(set(keys)) != len(keys):
        raise ValueError("every report to cluster needs a key of its own")
    members: dict[int, list[Report]] = defaultdict(list)
    for report in recent:
        if report.story_id is not None:
            members[report.story_id].append(report)
    pool = [r for rs in members.values() for r in rs] + fresh
    weigher = _Weigher(rarity(r.features for r in pool if not r.pseudo))
    kept = {story: _first(reports) for story, reports in members.items()}

    def score(a: Report, b: Report) -> float:
        return weigher.similarity(a.features, b.features, rules.contrast, rules.horizon)

    # Every pair (new, any) that shares a term, then the pairs between the stories reached: every
    # story with a report at least ``threshold`` alike to a new one (an average reaches the
    # threshold only if one of its pairs does, so no other story can take a new report), and of
    # the others the ``MAX_REACHED`` most alike, which may merge with one that takes a report.
    pair: dict[tuple[str, str], float] = {}
    closest: dict[int, float] = {}
    candidates = [r for reports in kept.values() for r in reports] + fresh
    for report, other, value in _scored(
        fresh,
        _Index(candidates),
        lambda a, b: b.key != a.key and not (b.story_id is None and b.key < a.key),
        score,
        rules.horizon,
    ):
        pair[_ordered(report.key, other.key)] = value
        if other.story_id is not None:
            closest[other.story_id] = max(value, closest.get(other.story_id, 0.0))
    taking = {story for story, value in closest.items() if value >= rules.threshold}
    others = sorted((s for s in closest if s not in taking), key=lambda s: (-closest[s], s))
    reached = taking | set(others[:MAX_REACHED])
    # Between the reached stories, only the pairs that share a term and lie within the horizon:
    # as sparse as the pairs of new reports.
    story_reports = [r for story in sorted(reached) for r in kept[story]]
    for report, other, value in _scored(
        story_reports,
        _Index(story_reports),
        lambda a, b: b.story_id != a.story_id and b.key > a.key,
        score,
        rules.horizon,
    ):
        pair[_ordered(report.key, other.key)] = value

    # Clusters: each reached story with its kept reports, each new report alone.
    clusters: dict[int, _Cluster] = {}
    owner: dict[str, int] = {}
    for number, story in enumerate(sorted(reached)):
        clusters[number] = _Cluster(
            keys=[r.key for r in kept[story]],
            stories={story},
            size=len(kept[story]),
            fresh=0,
            label=min(r.key for r in kept[story]),
        )
        for r in kept[story]:
            owner[r.key] = number
    for report in fresh:
        number = len(clusters)
        clusters[number] = _Cluster(
            keys=[report.key], stories=set(), size=1, fresh=1, label=report.key
        )
        owner[report.key] = number
    links: dict[int, dict[int, float]] = defaultdict(dict)
    between: dict[int, dict[int, float]] = defaultdict(dict)  # links of stories' own reports
    is_new = {r.key for r in fresh}
    for (first_key, second_key), value in sorted(pair.items()):
        if first_key not in owner or second_key not in owner:
            continue
        ca, cb = owner[first_key], owner[second_key]
        if ca != cb:
            links[ca][cb] = links[ca].get(cb, 0.0) + value
            links[cb][ca] = links[cb].get(ca, 0.0) + value
            if first_key not in is_new and second_key not in is_new:
                between[ca][cb] = between[ca].get(cb, 0.0) + value
                between[cb][ca] = between[cb].get(ca, 0.0) + value
    _agglomerate(clusters, links, between, rules.threshold)
    return _decide(clusters, fresh)


@dataclass(slots=True)
class _Cluster:
    keys: list[str]
    stories: set[int]
    size: int
    fresh: int
    """How many of ``keys`` are new reports (the rest are recent stories' reports)."""
    label: str
    """The smallest of ``keys``: breaks ties (kept, not recomputed for every candidate join)."""


def _first(reports: Sequence[Report]) -> list[Report]:
    """The reports of a story that take part: its earliest, and its headlines and summaries."""
    real = sorted((r for r in reports if not r.pseudo), key=lambda r: (r.features.published, r.key))
    pseudo = sorted((r for r in reports if r.pseudo), key=lambda r: r.key)
    return real[: max(1, MAX_MEMBERS - len(pseudo))] + pseudo[:MAX_MEMBERS]


def _scored(
    reports: Sequence[Report],
    index: _Index,
    wanted: Callable[[Report, Report], bool],
    score: Callable[[Report, Report], float],
    horizon: timedelta,
) -> Iterator[tuple[Report, Report, float]]:
    """Each report of ``reports`` with each report of ``index`` that shares a term with it, is
    ``wanted`` and lies within ``horizon``, and their score where it is above 0."""
    for report in reports:
        published = report.features.published
        for other in index.sharing(report):
            if not wanted(report, other):
                continue
            if abs(other.features.published - published) >= horizon:
                continue
            value = score(report, other)
            if value > 0:
                yield report, other, value


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class _Index:
    """Reports by word (with its language) and by mark, to score only pairs that share one."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self._size = len(reports)
        self._by: dict[str, list[Report]] = defaultdict(list)
        for report in reports:
            for term in self._terms(report):
                self._by[term].append(report)

    @staticmethod
    def _terms(report: Report) -> Iterable[str]:
        lang = report.features.lang
        yield from (f"{lang}:{w}" for w in report.features.words)
        yield from (f"#{m}" for m in report.features.marks)

    def sharing(self, report: Report) -> list[Report]:
        """The reports that share a term with ``report`` that few reports use: a pair that
        shares only terms in more than ``COMMON`` of the pool weighs too little to join."""
        seen: dict[str, Report] = {}
        common = max(MIN_COMMON, int(self._size * COMMON))
        for term in self._terms(report):
            posted = self._by.get(term, ())
            if len(posted) > common:
                continue
            for other in posted:
                seen.setdefault(other.key, other)
        return [seen[k] for k in sorted(seen)]


def _agglomerate(
    clusters: dict[int, _Cluster],
    links: dict[int, dict[int, float]],
    between: dict[int, dict[int, float]],
    threshold: float,
) -> None:
    """Join the two clusters of highest average link while it reaches ``threshold``.

    Two clusters that both hold recent stories join only when one of them holds a new report
    (a later poll never reopens what an earlier one decided) and when the stories' own reports
    are, on average, at least half the threshold alike: one roundup report that resembles two
    events ("troops arrive as the Duma ratifies the treaty") must not fuse them for good.
    """
    heap = _Pairs()
    half = threshold / 2

    def push(a: int, others: Iterable[int]) -> None:
        """Offer the joins of ``a`` with each of ``others`` (one loop: a merge in a big poll
        offers hundreds)."""
        one, row, own_between = clusters[a], links[a], between.get(a, {})
        size, fresh, stories, label = one.size, one.fresh, one.stories, one.label
        offered: list[_Join] = []
        for b in others:
            other = clusters[b]
            average = row.get(b, 0.0) / (size * other.size)
            if average < threshold:
                continue
            if stories and other.stories:
                if not fresh and not other.fresh:
                    continue
                own = (size - fresh) * (other.size - other.fresh)
                if own_between.get(b, 0.0) / own < half:
                    continue
            offered.append((-average, label, other.label, a, b))
        heap.push(offered)

    for a in sorted(links):
        push(a, [b for b in sorted(links[a]) if a < b])
    alive = set(clusters)
    next_id = max(clusters, default=-1) + 1
    while (found := heap.pop(alive)) is not None:
        a, b = found
        one, two = clusters[a], clusters[b]
        merged = _Cluster(
            keys=one.keys + two.keys,
            stories=one.stories | two.stories,
            size=one.size + two.size,
            fresh=one.fresh + two.fresh,
            label=min(one.label, two.label),
        )
        alive -= {a, b}
        for table in (links, between):
            joined: dict[int, float] = {}
            for old in (a, b):
                for other, value in table.pop(old, {}).items():
                    # a cluster merged away keeps its links to ``old``: nothing reads them
                    if other in alive:
                        table[other].pop(old, None)
                        joined[other] = joined.get(other, 0.0) + value
            table[next_id] = joined
            for other, value in joined.items():
                table[other][next_id] = value
        del clusters[a], clusters[b]
        clusters[next_id] = merged
        alive.add(next_id)
        push(next_id, sorted(links[next_id]))
        next_id += 1


_Join = tuple[float, str, str, int, int]
"""A candidate join: (-average, the two labels in order, the offering cluster, the other)."""


class _Pairs:
    """The candidate joins, best first.

    A join of a cluster that has since been merged away is stale and skipped. Every join is
    distinct (its labels name its two clusters), so the order in which the live ones come out
    depends only on which were offered. Each cluster's offers are kept as one sorted run, and
    the heap holds the head of each run: when the cluster that offered a run is merged away,
    the rest of the run is dropped unread. A big poll's clusters have hundreds of neighbours
    each, and each merge would otherwise leave all their joins in the heap to be popped."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[_Join, Iterator[_Join]]] = []

    def push(self, offered: list[_Join]) -> None:
        """Add the joins one cluster offers, given as (-average, the two labels in any order,
        that cluster, the other cluster)."""
        run = sorted(
            (key, label_a, label_b, a, b) if label_a < label_b else (key, label_b, label_a, a, b)
            for key, label_a, label_b, a, b in offered
        )
        if run:
            rest = iter(run)
            heapq.heappush(self._heap, (next(rest), rest))

    def pop(self, alive: set[int]) -> tuple[int, int] | None:
        """The best join of two live clusters, or None when there is none."""
        heap = self._heap
        while heap:
            join, rest = heap[0]
            a, b = join[3], join[4]
            if a not in alive:
                heapq.heappop(heap)  # every join left in the run names ``a``: all stale
                continue
            following = next(rest, None)
            if following is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (following, rest))
            if b in alive:
                return a, b
        return None


def _decide(clusters: dict[int, _Cluster], fresh: Sequence[Report]) -> Clustering:
    published = {r.key: r.features.published for r in fresh}
    joins: dict[str, int] = {}
    new_stories: list[tuple[str, ...]] = []
    merges: list[tuple[int, int]] = []

    def first(number: int) -> tuple[object, ...]:
        # New stories in the order their first reports were published (then by key), so that
        # story ids follow the news, whatever the ids of the articles.
        keys = [k for k in clusters[number].keys if k in published]
        earliest = min((published[k] for k in keys), default=None)
        return (earliest is None, earliest or 0, clusters[number].label)

    for number in sorted(clusters, key=first):
        found = clusters[number]
        arrived = tuple(sorted(k for k in found.keys if k in published))
        if not found.stories:
            if arrived:
                new_stories.append(arrived)
            continue
        survivor = min(found.stories)
        merges.extend((survivor, other) for other in sorted(found.stories) if other != survivor)
        for key in arrived:
            joins[key] = survivor
    return Clustering(joins=joins, new_stories=tuple(new_stories), merges=tuple(merges))
