"""The candidate joins of clustering: dropping the stale ones at once changes no order."""

from __future__ import annotations

import heapq
import random

from bot.stories.cluster import _Pairs


def _plain_order(seed: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The same random merges run on ``_Pairs`` and on a plain heap that only skips stale
    entries: the joins each one hands out, in order."""
    rng = random.Random(seed)
    alive = set(range(40))
    pairs = _Pairs()
    plain: list[tuple[float, str, str, int, int]] = []

    def push(a: int, b: int) -> None:
        key = -round(rng.random(), 2)  # coarse: ties are common and go by the labels
        labels = sorted((f"k{a:03}", f"k{b:03}"))
        pairs.push([(key, labels[1], labels[0], a, b)])
        heapq.heappush(plain, (key, labels[0], labels[1], a, b))

    for a in sorted(alive):
        for b in sorted(alive):
            if a < b and rng.random() < 0.6:
                push(a, b)
    got: list[tuple[int, int]] = []
    want: list[tuple[int, int]] = []
    next_id = 40
    while True:
        found = pairs.pop(alive)
        while plain and not (plain[0][3] in alive and plain[0][4] in alive):
            heapq.heappop(plain)
        expected = heapq.heappop(plain)[3:] if plain else None
        want.append(expected)  # type: ignore[arg-type]
        got.append(found)  # type: ignore[arg-type]
        if found is None or expected is None:
            break
        a, b = found
        alive -= {a, b}
        pairs.forget(a, b, alive)
        for other in sorted(alive):
            if rng.random() < 0.5:
                push(next_id, other)
        alive.add(next_id)
        next_id += 1
    return got, want


def test_joins_come_out_as_from_a_plain_heap() -> None:
    for seed in range(20):
        got, want = _plain_order(seed)
        assert got == want
        assert len(got) > 10  # many merges, so the stale entries were dropped several times


def test_the_stale_entries_are_dropped() -> None:
    pairs = _Pairs()
    for b in range(1, 50):
        pairs.push([(-0.5, "a", f"b{b:02}", 0, b)])
    pairs.push([(-0.9, "y", "x", 60, 61)])
    assert pairs.pop({0, 60, 61, *range(1, 50)}) == (60, 61)
    alive = set(range(1, 50))
    pairs.forget(0, 60, alive)  # cluster 0 is gone: its 49 entries are stale
    assert len(pairs._heap) == 0
    assert pairs.pop(alive) is None
