"""The candidate joins of clustering: keeping each cluster's offers in a sorted run, and dropping
the run of a cluster merged away, changes no order."""

from __future__ import annotations

import heapq
import random

from bot.stories.cluster import _Pairs


def _orders(seed: int) -> tuple[list[tuple[int, int] | None], list[tuple[int, int] | None]]:
    """The same random merges run on ``_Pairs`` and on one plain heap of every join that only
    skips stale ones: the joins each hands out, in order."""
    rng = random.Random(seed)
    alive = set(range(40))
    pairs = _Pairs()
    plain: list[tuple[float, str, str, int, int]] = []

    def offer(a: int, others: list[int]) -> None:
        offered = []
        for b in others:
            key = -round(rng.random(), 1)  # coarse: ties are common and go by the labels
            labels = sorted((f"k{a:03}", f"k{b:03}"))
            offered.append((key, labels[1], labels[0], a, b))
            heapq.heappush(plain, (key, labels[0], labels[1], a, b))
        rng.shuffle(offered)  # a run is sorted by _Pairs, whatever the order offered
        pairs.push(offered)

    for a in sorted(alive):
        offer(a, [b for b in sorted(alive) if a < b and rng.random() < 0.6])
    got: list[tuple[int, int] | None] = []
    want: list[tuple[int, int] | None] = []
    next_id = 40
    while True:
        found = pairs.pop(alive)
        while plain and not (plain[0][3] in alive and plain[0][4] in alive):
            heapq.heappop(plain)
        expected = heapq.heappop(plain)[3:] if plain else None
        got.append(found)
        want.append(expected)
        if found is None or expected is None:
            break
        a, b = found
        alive -= {a, b}
        offer(next_id, [other for other in sorted(alive) if rng.random() < 0.5])
        alive.add(next_id)
        next_id += 1
    return got, want


def test_joins_come_out_as_from_one_plain_heap() -> None:
    for seed in range(30):
        got, want = _orders(seed)
        assert got == want
        assert len(got) > 10


def test_the_run_of_a_merged_cluster_is_dropped_unread() -> None:
    pairs = _Pairs()
    pairs.push([(-0.5, "a", f"b{b:02}", 0, b) for b in range(1, 50)])
    pairs.push([(-0.9, "y", "x", 60, 61)])
    assert pairs.pop({0, 60, 61, *range(1, 50)}) == (60, 61)
    assert len(pairs._heap) == 1  # the run offered by cluster 0, as one head
    assert pairs.pop(set(range(1, 50))) is None  # cluster 0 is gone: none of its 49 joins
    assert pairs._heap == []
