"""Benchmark: reading figures (``bot.text.numbers``) costs time linear in the text.

An item's text may be up to 100,000 characters (``MAX_SUMMARY_HTML_CHARS``), and both the index
(``bot.search.query.index_text``) and story clustering read its figures. For texts made of one
piece repeated (figures with multipliers, teens, "ألف" alone, proclitics glued to digits, plain
words) it times ``quantities`` at 10,000 and at 100,000 characters and prints the ratio: about
10x is linear, 100x quadratic (the target is under 20x). Then the cost of the figures' tokens
in indexing: ``index_text`` over the real corpora's articles with and without them, side by
side. Run from the project root:

    python bench/read_figures.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.search.query as fts
from bot.text.normalize import normalize
from bot.text.numbers import quantities

PIECES = ("12 ألف ", "سبعة آلاف ", "خمسة عشر ألف ", "1,500 ", "ب12 ", "ألف ", "كلمة ", "May 5 ")
CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
TARGET_RATIO = 20.0


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` runs, in seconds: this compares work, not the machine's noise."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    ok = True
    print(f"{'text of':<18}{'10k chars ms':>14}{'100k chars ms':>15}{'ratio':>8}")
    for piece in PIECES:
        small = normalize((piece * 10_000)[:10_000])
        large = normalize((piece * 100_000)[:100_000])
        t_small = best_of(3, partial(quantities, small))
        t_large = best_of(3, partial(quantities, large))
        ratio = t_large / t_small
        ok = ok and ratio < TARGET_RATIO
        print(f"{piece.strip():<18}{t_small * 1000:>14.2f}{t_large * 1000:>15.2f}{ratio:>7.1f}x")
    print(f"target ratio < {TARGET_RATIO:.0f}x (linear): {'PASS' if ok else 'FAIL'}")

    texts = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append((record.get("title", ""), record.get("summary", "")))
    if not texts:
        print(f"(no corpora at {CORPORA}: indexing cost not measured)")
        return 0 if ok else 1
    with_figures = best_of(3, lambda: [fts.index_text(t, s) for t, s in texts])
    original = fts.shadow_with_numbers
    fts.shadow_with_numbers = lambda shadow, title, body: shadow  # the index before figures
    try:
        without = best_of(3, lambda: [fts.index_text(t, s) for t, s in texts])
    finally:
        fts.shadow_with_numbers = original
    print(
        f"index_text over {len(texts)} real articles: {with_figures * 1000:.1f} ms with the"
        f" figures' tokens, {without * 1000:.1f} ms without, ratio {with_figures / without:.2f}x"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
