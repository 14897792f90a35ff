"""Benchmark: story clustering of a big cold poll, beside the clustering it replaced.

The reports are those the cold poll of ``bench/ingest.py`` gives clustering: its generated feeds
(``make_feed``, 500 feeds × 50 items by default, about one item in ten on topic and nearly all
alike) read by the real path, ``parse_feed`` → ``to_article`` → the topic filter → entities →
``Reader.read``, the relevant items with a link of their own kept once each. Two polls:

- **cold**: every relevant report new, no recent story (the first poll of a big feed list);
- **with stories**: the reports published before the middle of the feeds' span clustered first
  and made recent stories, then the others clustered as new beside them (as the next poll).

Each runs through ``bench/cluster_before.py`` (the clustering before its pairs were scored from
per-report term ids and its joins kept apart) and through ``bot.stories.cluster``: CPU seconds
(the best of ``--rounds``), peak memory traced by ``tracemalloc``, the ratios, whether the
decisions are the same, and PASS/FAIL (same decisions; CPU at least ``CPU_RATIO`` times less on
the cold poll). Run from the project root::

    python bench/cluster.py [--feeds 500] [--items 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cluster_before as before
from bench.ingest import make_feed
from bot.stories import Reader, Report, Rules, cluster

CPU_RATIO = 2.0
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

Cluster = Callable[[list[Report], list[Report], Rules], Any]


def cold_reports(feeds: int, items: int, seed: int) -> tuple[list[Report], Rules]:
    """The relevant reports of the ingest bench's cold poll, and the default rules."""
    from bot.ingest.articles import to_article
    from bot.ingest.parse import parse_feed
    from bot.topic.matcher import TopicMatcher
    from bot.topic.topic_file import load_lexicon

    matcher = TopicMatcher(load_lexicon())
    reader = Reader(matcher.lexicon)
    seen: set[str] = set()
    reports = []
    for index in range(feeds):
        url = f"https://bench.example/feed/{index}.xml"
        for entry in parse_feed(make_feed(index, items, seed, NOW), base_url=url):
            article = to_article(entry, feed_url=url, source=f"Feed {index}", now=NOW)
            if article is None or not article.url or article.id in seen:
                continue
            decision = matcher.classify(article.title, article.summary)
            if not decision.relevant:
                continue
            seen.add(article.id)
            entities = matcher.entities(f"{article.title}\n{article.summary}")
            features = reader.read(
                lang=article.lang,
                title=article.title,
                summary=article.summary,
                entities=entities or decision.matched,
                published=article.published,
            )
            reports.append(Report(article.id, features))
    return reports, reader.rules(threshold=0.19, horizon_hours=96)


def with_stories(reports: Sequence[Report], rules: Rules) -> tuple[list[Report], list[Report]]:
    """The earlier half of ``reports`` (by time) made recent stories, and the later half."""
    times = sorted(r.features.published for r in reports)
    middle = times[len(times) // 2]
    earlier = [r for r in reports if r.features.published < middle]
    later = [r for r in reports if r.features.published >= middle]
    decided = cluster([], earlier, rules)
    story = {key: n for n, group in enumerate(decided.new_stories, 1) for key in group}
    recent = [Report(r.key, r.features, story[r.key]) for r in earlier]
    return recent, later


def cpu(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def traced_peak_mb(run: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def decisions(found: Any) -> tuple[object, ...]:
    return (found.joins, found.new_stories, found.merges)


def compare(
    label: str, recent: list[Report], new: list[Report], rules: Rules, rounds: int
) -> tuple[bool, float]:
    """Prints both clusterings' figures on one poll; whether they decide the same, and the
    CPU ratio."""
    runs: dict[str, Cluster] = {"before": before.cluster, "after": cluster}
    found = {name: decisions(run(recent, new, rules)) for name, run in runs.items()}
    seconds = {
        name: cpu(lambda run=run: run(recent, new, rules), rounds) for name, run in runs.items()
    }
    peak = {
        name: traced_peak_mb(lambda run=run: run(recent, new, rules)) for name, run in runs.items()
    }
    same = found["before"] == found["after"]
    stories = len(found["after"][1])
    print(f"\n== {label}: {len(new)} new reports, {len(recent)} of recent stories ==")
    print(f"{'':24}{'before':>10}{'after':>10}{'ratio':>9}")
    best_of = f"CPU s (best of {rounds})"
    print(
        f"{best_of:24}{seconds['before']:10.2f}{seconds['after']:10.2f}"
        f"{seconds['before'] / seconds['after']:8.2f}x"
    )
    print(
        f"{'traced peak MB':24}{peak['before']:10.1f}{peak['after']:10.1f}"
        f"{peak['before'] / peak['after']:8.2f}x"
    )
    print(
        f"decisions: {'the same' if same else 'DIFFERENT'} ({stories} new stories, "
        f"{len(found['after'][0])} joins, {len(found['after'][2])} merges)"
    )
    return same, seconds["before"] / seconds["after"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    reports, rules = cold_reports(args.feeds, args.items, args.seed)
    results = [compare("cold poll", [], reports, rules, args.rounds)]
    recent, later = with_stories(reports, rules)
    results.append(compare("poll with recent stories", recent, later, rules, args.rounds))
    print()
    ok = True
    for (same, _), label in zip(results, ("cold poll", "with stories"), strict=True):
        ok &= same
        print(f"{'PASS' if same else 'FAIL'} {label}: the same decisions")
    cold_ratio = results[0][1]
    passed = cold_ratio >= CPU_RATIO
    ok &= passed
    print(f"{'PASS' if passed else 'FAIL'} cold poll: CPU {cold_ratio:.2f}x less >= {CPU_RATIO}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
