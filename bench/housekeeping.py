"""Benchmark: what housekeeping costs the archive, and what it buys.

Measured side by side in one run on one archive (100,000 seen ids across 200 feeds, 5,000
archived articles by default), and printed as ratios:

- a poll's look-up of 500 item ids (``known``) alone, and with ``refresh_seen`` after it, both
  when no id needs marking (the usual poll) and when all 500 do (about once per half
  ``seen_days`` for a feed): the overhead the retention guard adds to each feed's poll;
- ``prune_seen`` with each feed's own limit (the per-feed rule) against one plain cutoff;
- search latency before and after the FTS5 ``optimize`` merge (articles added 25 at a time,
  as polls add them), and the index's segments.

Run from the project root:

    python bench/housekeeping.py [--seen 100000] [--articles 5000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/housekeeping.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import Article, Decision, FeedState
from bot.ops.retention import seen_prune_limits
from bot.store.archive import Archive

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FEEDS = 200
YES = Decision(relevant=True, score=1.0, matched=("ru:kursk",), reason="bench")
WORDS = (
    "Kursk Pyongyang Moscow troops summit treaty sanctions rail Tumen Putin Kim Lavrov "
    "ammunition missiles talks delegation border port Rason Vladivostok envoy"
).split()


def feed_url(n: int) -> str:
    return f"https://feed{n}.example/rss"


def article(n: int, rng: random.Random, *, days: float) -> Article:
    when = NOW - timedelta(days=days)
    title = " ".join(rng.choices(WORDS, k=8))
    return Article(
        id=f"a{n}",
        feed_url=feed_url(n % FEEDS),
        source=f"Outlet {n % FEEDS}",
        url=f"https://outlet.example/{n}",
        title=title,
        summary=" ".join(rng.choices(WORDS, k=30)),
        lang="en",
        published=when,
        seen_at=when,
    )


def fill(archive: Archive, seen: int, articles: int, rng: random.Random) -> None:
    with archive.transaction():
        for n in range(seen):
            archive.add_seen(
                Article(
                    id=f"s{n}",
                    feed_url=feed_url(n % FEEDS),
                    source="",
                    url="",
                    title="",
                    summary="",
                    lang="en",
                    published=NOW,
                    seen_at=NOW - timedelta(days=rng.uniform(0, 60)),
                )
            )
    # Articles arrive a poll at a time, each poll its own transaction: that is what leaves
    # the full-text index in many small segments.
    for start in range(0, articles, 25):
        with archive.transaction():
            for n in range(start, min(start + 25, articles)):
                archive.add_article(article(n, rng, days=rng.uniform(0, 60)), YES, announce=True)


def segments(archive: Archive) -> int:
    """The full-text index's segments (each poll's transaction can leave one more)."""
    row = archive._db.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()
    return int(row[0])


def per_call(work: Callable[[], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        work()
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seen", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Archive.in_dir(Path(scratch))
        fill(archive, args.seen, args.articles, rng)
        ids = [f"s{n}" for n in rng.sample(range(args.seen), 500)]

        # 1. the guard's cost per feed poll
        # interleaved, best of three, so drift in the machine's load hits both sides alike
        lookup = idle = float("inf")
        for _ in range(3):
            lookup = min(lookup, per_call(lambda: archive.known(ids), args.rounds))
            idle = min(
                idle,
                per_call(
                    lambda: archive.refresh_seen(
                        list(archive.known(ids)), now=NOW, older_than=NOW - timedelta(days=365)
                    ),
                    args.rounds,
                ),
            )
        start = time.perf_counter()
        for round_ in range(args.rounds):
            archive.refresh_seen(
                ids, now=NOW + timedelta(seconds=round_), older_than=NOW + timedelta(days=1)
            )
        busy = (time.perf_counter() - start) / args.rounds + lookup
        print(f"poll look-up of 500 ids: {lookup * 1e3:.2f} ms")
        print(f"  + refresh, nothing to mark (usual): {idle / lookup:.2f}× the look-up alone")
        print(f"  + refresh, all 500 marked (rare):   {busy / lookup:.2f}× the look-up alone")

        # 2. pruning seen ids: per-feed limits against one cutoff (each on a fresh copy)
        feeds = [
            FeedState(
                url=feed_url(n),
                name=str(n),
                last_status=200 if n % 4 else 304,
                last_fetch_at=NOW - timedelta(hours=1),
            )
            for n in range(FEEDS)
        ]
        limits = seen_prune_limits(NOW, 30, feeds)
        cutoff = NOW - timedelta(days=30)
        timings = {}
        for name, per_feed in (("one cutoff", None), ("per-feed limits", limits)):
            copy = Path(scratch) / f"{name}.sqlite3"
            archive.backup_to(copy)
            other = Archive(copy)
            start = time.perf_counter()
            removed = other.prune_seen(cutoff, per_feed)
            timings[name] = time.perf_counter() - start
            other.close()
            print(f"prune_seen, {name}: {removed} of {args.seen} removed in "
                  f"{timings[name] * 1e3:.1f} ms")  # fmt: skip
        print(f"  per-feed / one cutoff: {timings['per-feed limits'] / timings['one cutoff']:.2f}×")

        # 3. the FTS5 merge
        queries = ["Kursk", "troops summit", "Rason port", "Lavrov envoy talks"]
        # two copies made alike, both with fresh planner statistics, so that the merge is the
        # only difference between the sides
        copies = []
        for name in ("unmerged", "merged"):
            path = Path(scratch) / f"{name}.sqlite3"
            archive.backup_to(path)
            copy = Archive(path)
            copy.optimize()
            copies.append(copy)
        unmerged, merged = copies
        before_segments = segments(merged)
        start = time.perf_counter()
        merged.optimize_fts()
        merge = time.perf_counter() - start
        print(
            f"FTS5 optimize: {merge * 1e3:.0f} ms; segments {before_segments} → {segments(merged)}"
        )

        def searches(target: Archive) -> Callable[[], None]:
            def run() -> None:
                for query in queries:
                    target.search(query, limit=10)

            return run

        # interleaved, best of five, so drift in the machine's load hits both sides alike
        before = after = float("inf")
        for _ in range(5):
            before = min(before, per_call(searches(unmerged), max(args.rounds // 4, 10)))
            after = min(after, per_call(searches(merged), max(args.rounds // 4, 10)))
        print(f"  search: {before * 1e3:.2f} ms before, {after * 1e3:.2f} ms after the merge;"
              f" after / before {after / before:.2f}×")  # fmt: skip
        unmerged.close()
        merged.close()
        archive.close()


if __name__ == "__main__":
    main()
