"""Average-linkage agglomeration of clustering's groups, best join first. Pure.

Each group keeps, per neighbour, the *sum* of the scores of its reports' pairs with the
neighbour's: the sum for a join of two groups is the two sums added, so an average is one
division, and no sum is ever taken again from the pairs (average linkage by Lance and Williams).
Every added pair of sums is two numbers, and ``x + y`` is ``y + x`` to the bit: a join's sums do
not depend on which of its two groups offered it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress

BEST = 16
"""How many of its best joins a group offers at a time."""
_NOBODY = -1
"""The handle of no group: a join with it is read and skipped."""


@dataclass(slots=True)
class Group:
    """A cluster of reports while the agglomeration runs."""

    keys: list[str]
    stories: set[int]
    size: int
    fresh: int
    """How many of ``keys`` are new reports (the rest are recent stories' reports)."""
    label: int
    """The rank of the smallest of ``keys`` among all keys: breaks ties."""


def agglomerate(
    groups: list[Group],
    links: list[dict[int, float]],
    between: dict[int, dict[int, float]],
    threshold: float,
) -> list[Group]:
    """Join the two groups of highest average link while it reaches ``threshold``; the groups
    left. ``links[a][b]`` is the sum of the scores between groups ``a`` and ``b`` (numbers in
    ``groups``), ``between[a][b]`` that of the pairs of recent stories' reports alone.

    Two groups that both hold recent stories join only when one of them holds a new report
    (a later poll never reopens what an earlier one decided) and when the stories' own reports
    are, on average, at least half the threshold alike: one roundup report that resembles two
    events ("troops arrive as the Duma ratifies the treaty") must not fuse them for good.

    A join keeps the number of the group with more neighbours and updates the sums of the
    other's neighbours only; the joins it then offers name it by a new handle, so that the
    joins offered before are known stale. Each group offers its ``BEST`` best joins at a time
    (``run``): memory follows the groups, not the pairs of reports.
    """
    heap = _Pairs()
    half = threshold / 2
    size = [g.size for g in groups]
    fresh = [g.fresh for g in groups]
    label = [g.label for g in groups]
    handle = list(range(len(groups)))  # number → its handle now
    number = list(range(len(groups)))  # handle → number
    alive = set(handle)

    def joinable(a: int, others: list[int] | None = None) -> tuple[list[float], list[int]]:
        """The averages of group ``a`` with ``others`` (all its neighbours when None) and
        those, leaving out joins that the rules forbid (but not those below ``threshold``,
        where ``a`` holds no story)."""
        row, own_size = links[a], size[a]
        if not groups[a].stories:
            if others is None:
                return [v / (own_size * size[b]) for b, v in row.items()], list(row)
            return [row[b] / (own_size * size[b]) for b in others], others
        own_fresh, own_between = fresh[a], between.get(a, {})
        found: tuple[list[float], list[int]] = ([], [])
        for b in row if others is None else others:
            average = row[b] / (own_size * size[b])
            if average < threshold:
                continue
            if groups[b].stories:
                if not own_fresh and not fresh[b]:
                    continue
                own = (own_size - own_fresh) * (size[b] - fresh[b])
                if own_between.get(b, 0.0) / own < half:
                    continue
            found[0].append(average)
            found[1].append(b)
        return found

    def best(a: int, averages: list[float], others: list[int]) -> tuple[list[_Join], bool]:
        """The ``BEST`` best joins of ``a`` that reach ``threshold`` (and all that tie with the
        last), in order, and whether any is left out."""
        cutoff = threshold
        if len(averages) > BEST:
            cutoff = max(threshold, sorted(averages, reverse=True)[BEST - 1])
        chosen = list(map(cutoff.__le__, averages))
        own_label, own_handle = label[a], handle[a]
        joins = []
        for average, b in zip(compress(averages, chosen), compress(others, chosen), strict=True):
            other = label[b]
            low, high = (own_label, other) if own_label < other else (other, own_label)
            joins.append((-average, low, high, own_handle, handle[b]))
        joins.sort()
        more = cutoff > threshold and sum(map(threshold.__le__, averages)) > len(joins)
        return joins, more

    def run(a: int, first: list[_Join], more: bool) -> Iterator[_Join]:
        """The joins of group ``a``, best first: ``first``, then, once they are all read and
        ``a`` is still there (none was a join), the best of its joins then, and so on."""
        joins = first
        while True:
            yield from joins
            if not more:
                return
            # Read only once every join before it is: the best joins of ``a`` with the groups
            # that are there now (a join with one offered since is offered twice, the same).
            last = joins[-1]
            yield (last[0], last[1], last[2], last[3], _NOBODY)
            joins, more = best(a, *joinable(a))

    def offer(a: int, others: list[int] | None = None) -> None:
        heap.push_run(run(a, *best(a, *joinable(a, others))))

    for a in range(len(groups)):
        offer(a, [b for b in links[a] if a < b])
    while (found := heap.pop(alive)) is not None:
        a, b = number[found[0]], number[found[1]]
        if len(links[a]) < len(links[b]):
            a, b = b, a
        kept, gone = groups[a], groups[b]
        kept.keys += gone.keys
        kept.stories |= gone.stories
        size[a] = kept.size = kept.size + gone.size
        fresh[a] = kept.fresh = kept.fresh + gone.fresh
        label[a] = kept.label = min(kept.label, gone.label)
        alive -= {handle[a], handle[b]}
        _join_rows(links, a, b)
        links[b] = {}
        if a in between or b in between:
            _join_rows(between, a, b)
            between.pop(b, None)
        handle[a] = len(number)
        number.append(a)
        alive.add(handle[a])
        offer(a)
    return [groups[number[h]] for h in sorted(alive)]


def _join_rows(table: _Rows, a: int, b: int) -> None:
    """Row ``a`` of ``table`` becomes the sum of rows ``a`` and ``b``, and so does each
    neighbour's link to ``a``; no row links to ``b`` any more. ``table[b]`` is left to drop.
    A sum is ``table[a][o] + table[b][o]``, or the one that is there."""
    if isinstance(table, list):
        kept, gone = table[a], table[b]
    else:
        kept, gone = table.setdefault(a, {}), table.get(b, {})
    kept.pop(b, None)
    gone.pop(a, None)
    get = kept.get
    for other, value in gone.items():
        row = table[other]
        del row[b]
        found = get(other)
        kept[other] = row[a] = value if found is None else found + value


_Rows = list[dict[int, float]] | dict[int, dict[int, float]]
_Join = tuple[float, int, int, int, int]
"""A candidate join: (-average, the two labels in order, the offering handle, the other)."""


class _Pairs:
    """The candidate joins, best first.

    A join of a group that has since been merged away is stale and skipped. Every join is
    distinct (its labels name its two groups), so the order in which the live ones come out
    depends only on which were offered. Each group's offers are kept as one sorted run, and
    the heap holds the head of each run: when the group that offered a run is merged away,
    the rest of the run is dropped unread. A big poll's groups have hundreds of neighbours
    each, and each merge would otherwise leave all their joins in the heap to be popped."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[_Join, Iterator[_Join]]] = []

    def push(self, offered: list[_Join]) -> None:
        """Add the joins one group offers, given as (-average, the two labels in any order,
        that group, the other group)."""
        run = sorted(
            (key, label_a, label_b, a, b) if label_a < label_b else (key, label_b, label_a, a, b)
            for key, label_a, label_b, a, b in offered
        )
        self.push_run(iter(run))

    def push_run(self, run: Iterator[_Join]) -> None:
        """Add the joins one group offers, best first, their labels in order."""
        head = next(run, None)
        if head is not None:
            heapq.heappush(self._heap, (head, run))

    def pop(self, alive: set[int]) -> tuple[int, int] | None:
        """The best join of two live groups, or None when there is none."""
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
