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
    other's neighbours only; the joins it offers name it by a new handle, so that the joins
    offered before are known stale.
    """
    heap = _Pairs()
    half = threshold / 2
    size = [g.size for g in groups]
    fresh = [g.fresh for g in groups]
    label = [g.label for g in groups]
    handle = list(range(len(groups)))  # number → its handle now
    number = list(range(len(groups)))  # handle → number
    alive = set(handle)

    def offer(a: int, others: list[int]) -> None:
        """Offer the joins of group ``a`` with each of ``others`` (its neighbours)."""
        row, own_size, own_label, own_handle = links[a], size[a], label[a], handle[a]
        if not groups[a].stories:
            # A join in a big poll offers hundreds, of which a few are read: they are sorted
            # by average alone, and made into joins as they are read.
            averages = [row[b] / (own_size * size[b]) for b in others]
            heap.push_run(
                _run(
                    averages,
                    sorted(range(len(others)), key=averages.__getitem__, reverse=True),
                    list(map(label.__getitem__, others)),
                    list(map(handle.__getitem__, others)),
                    own_label,
                    own_handle,
                    threshold,
                )
            )
            return
        own_fresh, own_between = fresh[a], between.get(a, {})
        offered: list[_Join] = []
        for b in others:
            average = row[b] / (own_size * size[b])
            if average < threshold:
                continue
            if groups[b].stories:
                if not own_fresh and not fresh[b]:
                    continue
                own = (own_size - own_fresh) * (size[b] - fresh[b])
                if own_between.get(b, 0.0) / own < half:
                    continue
            low, high = (own_label, label[b]) if own_label < label[b] else (label[b], own_label)
            offered.append((-average, low, high, own_handle, handle[b]))
        offered.sort()
        heap.push_run(iter(offered))

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
        offer(a, list(links[a]))
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


def _run(
    averages: list[float],
    order: list[int],
    labels: list[int],
    handles: list[int],
    own_label: int,
    own_handle: int,
    threshold: float,
) -> Iterator[_Join]:
    """The joins of a group with its neighbours (``labels``, ``handles``) whose average reaches
    ``threshold``, best first: ``order`` has them by average, and ties go by the labels. One
    group's joins all name it, so the neighbour's label alone orders its ties."""
    start, end = 0, len(order)
    while start < end and (average := averages[order[start]]) >= threshold:
        stop = start + 1
        while stop < end and averages[order[stop]] == average:
            stop += 1
        tied = order[start:stop]
        if len(tied) > 1:
            tied.sort(key=labels.__getitem__)
        for k in tied:
            other = labels[k]
            if own_label < other:
                yield (-average, own_label, other, own_handle, handles[k])
            else:
                yield (-average, other, own_label, own_handle, handles[k])
        start = stop


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
