"""Benchmark: the cost of watch lists per poll, with many chats and terms.

An archive of ``--old`` articles (the project's own ``bench/data/stories_corpus.jsonl``, Arabic
and English reporting, repeated with new ids) gets a poll of ``--new`` articles, each in a
story; ``--chats`` subscribed chats each watch 10 terms drawn from a pool of ``--terms``
distinct terms (names the lexicon expands across languages, words and "phrases" of the
corpus). Prints, side by side in one run:

- matching as built: each distinct term once, over the poll's new articles (``rowid > mark``);
- each distinct term once over the whole archive (no mark);
- each chat's each term over the new articles (per chat × term, the design avoided);

their ratios, and the whole watch step as a poll runs it (matching, sharing out, rendering
every alert for its chat, the outbox write), with the alerts it queued. Run from the project
root:

    python bench/watch.py [--old 10000] [--new 100] [--chats 5000] [--terms 300]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.container import platforms
from bot.app.watch_job import queue_watch_alerts
from bot.digest.watch_alerts import distinct_terms
from bot.i18n import Catalog
from bot.models import Article, Chat, Decision
from bot.search.watch import watch_match
from bot.store.archive import Archive
from bot.store.watch import WatchWindow
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon

CORPUS = Path(__file__).resolve().parent / "data" / "stories_corpus.jsonl"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
NAMES = ["Kursk", "كورسك", "Shoigu", "لافروف", "Tumen", "بيونغ يانغ", "Vladivostok", "Putin"]


def corpus() -> list[dict[str, str]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def term_pool(rows: list[dict[str, str]], size: int, rng: random.Random) -> list[str]:
    """Names, the corpus' commoner words and a few two-word "phrases"."""
    words = Counter(
        word
        for row in rows
        for word in re.findall(r"[^\W\d_]{5,}", row["title"])
        if not word.istitle() or row["lang"] == "ar"
    )
    # past the 30 commonest (Russia, Korea, …): a reader follows a thread, not the topic
    common = [word for word, _ in words.most_common(size * 2)][30:]
    pool = list(dict.fromkeys(NAMES + common))[: size - size // 10]
    titles = [row["title"].split() for row in rows if len(row["title"].split()) > 3]
    phrases = {
        '"' + " ".join(words[i : i + 2]) + '"' for words in titles for i in range(len(words) - 2)
    }
    extra = rng.sample(sorted(phrases), min(len(phrases), max(0, size - len(pool))))
    pool = list(dict.fromkeys(pool + extra))
    return pool


def fill(
    archive: Archive, rows: list[dict[str, str]], count: int, start: int, when: datetime
) -> None:
    decision = Decision(relevant=True, score=0.9, matched=("russia", "dprk"), reason="bench")
    story: int | None = None
    with archive.transaction():
        for number, row in zip(range(start, start + count), itertools.cycle(rows), strict=False):
            article = Article(
                id=f"bench-{number}",
                feed_url="https://wire.example/rss",
                source=row["source"],
                url=f"https://wire.example/{number}",
                title=row["title"],
                summary=row["summary"],
                lang=row["lang"],
                published=when - timedelta(minutes=5),
                seen_at=when,
            )
            archive.add_article(article, decision, announce=True)
            # stories of five articles
            story = archive.attach(
                article.id, story if number % 5 else None, entities=(), announce=True, now=when
            )


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--chats", type=int, default=5_000)
    parser.add_argument("--terms", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(17)
    rows = corpus()
    expand = TopicMatcher(load_lexicon()).alias_expander()
    pool = term_pool(rows, args.terms, rng)
    chats = [
        Chat("telegram", n, lang=rng.choice(["ar", "en", "both"]), subscribed=True)
        for n in range(1, args.chats + 1)
    ]
    chats = [replace(c, watch=tuple(rng.sample(pool, 10))) for c in chats]
    distinct = distinct_terms(chats)
    catalog, writer = Catalog.load(), platforms()
    matches = {key: watch_match(term, expand) for key, term in distinct.items()}

    with tempfile.TemporaryDirectory() as scratch:
        archive = Archive(Path(scratch) / "archive.sqlite3")
        started = time.perf_counter()
        fill(archive, rows, args.old, 0, NOW - timedelta(days=2))
        archive.queue_watch_alerts([], archive.watch_window(), NOW)  # the past is not news
        fill(archive, rows, args.new, args.old, NOW)
        print(
            f"archive: {args.old} articles + a poll of {args.new} (filled in"
            f" {time.perf_counter() - started:.1f} s); {args.chats} chats × 10 terms,"
            f" {len(distinct)} distinct"
        )
        window = archive.watch_window()
        whole = WatchWindow(after=0, upto=window.upto)

        def run(pairs: list[str], over: WatchWindow) -> int:
            return sum(len(archive.watch_hits(match, over)) for match in pairs)

        # per chat × term: a tenth of the chats, timed and scaled up
        sample = chats[: max(1, args.chats // 10)]
        per_chat = [watch_match(t, expand) for c in sample for t in c.watch]
        t_built, hits = timed(lambda: run(list(matches.values()), window))
        t_whole, _ = timed(lambda: run(list(matches.values()), whole))
        t_sample, _ = timed(lambda: run(per_chat, window))
        t_naive = t_sample * args.chats / len(sample)
        print(f"  as built (distinct terms, new articles): {t_built * 1000:8.1f} ms, {hits} hits")
        for name, took in (
            ("distinct terms over the whole archive: ", t_whole),
            ("per chat × term, new articles (scaled):", t_naive),
        ):
            print(f"  {name}  {took * 1000:8.1f} ms  ({took / t_built:.1f}× as built)")
        t_step, queued = timed(
            lambda: queue_watch_alerts(
                archive=archive,
                chats=chats,
                expand=expand,
                catalog=catalog,
                writer=writer,
                now=NOW,
            )
        )
        print(f"  the whole watch step of the poll: {t_step * 1000:.1f} ms, {queued} alerts queued")
        t_again, again = timed(
            lambda: queue_watch_alerts(
                archive=archive,
                chats=chats,
                expand=expand,
                catalog=catalog,
                writer=writer,
                now=NOW,
            )
        )
        print(f"  a poll with no new article: {t_again * 1000:.1f} ms, {again} alerts")
        archive.close()


if __name__ == "__main__":
    main()
