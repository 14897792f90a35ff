"""Benchmark: story clustering of relevant articles against a labelled corpus.

Reads ``bench/data/stories_corpus.jsonl`` (300 Arabic and English articles about Russia–North
Korea relations, each labelled with the ``event`` it reports), computes clustering features the
way the pipeline does (``TopicMatcher.entities(title + "\\n" + summary)`` with the topic's generic
entities left out) and clusters the articles in published order with ``StoryIndex``, as the
pipeline does for each new relevant article.

Prints pairwise precision, recall and F1 against the labels for same-language pairs,
cross-language pairs and all pairs; stories formed vs. events; summarizer calls per cycle of
one call per story vs. the naive one call per article and language; the share of the corpus the
topic filter calls relevant; and a PASS/FAIL line per target. The bench runs offline: the
issue's targets are stated with the LLM on, and no LLM is asked here. Run from the project root:

    python bench/stories.py [--corpus PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/stories.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.stories import Candidate, Features, StoryIndex, features
from bot.topic.lexicon import load_lexicon
from bot.topic.matcher import TopicMatcher

CORPUS = Path(__file__).resolve().parent / "data" / "stories_corpus.jsonl"
SAME_LANG_F1 = 0.9
CROSS_LANG_F1 = 0.75
CALLS_RATIO = 0.35
LANGUAGES = 2  # the naive design summarizes each article once per output language


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    event: str
    lang: str
    title: str
    summary: str
    published: datetime


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load(path: Path) -> list[Item]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                items.append(
                    Item(
                        id=row["id"],
                        event=row["event"],
                        lang=row["lang"],
                        title=row["title"],
                        summary=row["summary"],
                        published=datetime.fromisoformat(row["published"]),
                    )
                )
    items.sort(key=lambda i: (i.published, i.id))
    return items


def cluster(items: list[Item], matcher: TopicMatcher) -> tuple[dict[str, int], dict[str, Features]]:
    """Story id of each item, assigned in published order as the pipeline does."""
    generic = matcher.generic_entities()
    index = StoryIndex()
    stories: dict[str, int] = {}
    feats_of: dict[str, Features] = {}
    next_story = 1
    for item in items:
        feats = features(
            lang=item.lang,
            title=item.title,
            summary=item.summary,
            entities=matcher.entities(f"{item.title}\n{item.summary}"),
            generic=generic,
            published=item.published,
        )
        story_id = index.assign(feats)
        if story_id is None:
            story_id = next_story
            next_story += 1
        index.add(Candidate(story_id, feats))
        stories[item.id] = story_id
        feats_of[item.id] = feats
    return stories, feats_of


def score_pairs(
    items: list[Item], stories: dict[str, int]
) -> tuple[dict[str, Score], list[tuple[str, Item, Item]]]:
    """Pairwise scores by kind of pair, and the wrong pairs (``"merged"`` or ``"split"``)."""
    scores = {"same-language": Score(), "cross-language": Score(), "all": Score()}
    wrong: list[tuple[str, Item, Item]] = []
    for a, b in combinations(items, 2):
        truth = a.event == b.event
        guess = stories[a.id] == stories[b.id]
        if not truth and not guess:
            continue
        kind = "same-language" if a.lang == b.lang else "cross-language"
        for key in (kind, "all"):
            score = scores[key]
            if truth and guess:
                score.tp += 1
            elif guess:
                score.fp += 1
            else:
                score.fn += 1
        if truth != guess:
            wrong.append(("merged" if guess else "split", a, b))
    return scores, wrong


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verbose", action="store_true", help="list wrongly merged/split pairs")
    args = parser.parse_args()

    items = load(args.corpus)
    matcher = TopicMatcher(load_lexicon())
    relevant = sum(matcher.classify(i.title, i.summary).relevant for i in items)
    stories, feats_of = cluster(items, matcher)
    scores, wrong = score_pairs(items, stories)

    events = len({i.event for i in items})
    n_stories = len(set(stories.values()))
    langs = Counter(i.lang for i in items)
    naive_calls = LANGUAGES * len(items)
    ratio = n_stories / naive_calls

    print(f"corpus: {len(items)} articles ({langs['ar']} ar, {langs['en']} en), {events} events")
    print(f"topic filter relevant: {relevant}/{len(items)} ({relevant / len(items):.1%})")
    print("offline run: no LLM is asked (the issue's targets are stated with the LLM on)")
    print(f"{'pairs':<16}{'true':>6}{'found':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for name, s in scores.items():
        print(
            f"{name:<16}{s.tp + s.fn:>6}{s.tp + s.fp:>7}"
            f"{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
        )
    print(f"stories: {n_stories}, events: {events}")
    print(
        f"LLM calls per cycle: {n_stories} (one per story) vs {naive_calls} naive "
        f"(one per article per language): {ratio:.3f}x"
    )
    print(f"(perfect clustering: {events} calls, {events / naive_calls:.3f}x naive)")
    same, cross = scores["same-language"].f1, scores["cross-language"].f1
    print(f"{verdict(same >= SAME_LANG_F1)} same-language F1 {same:.3f} >= {SAME_LANG_F1}")
    print(f"{verdict(cross >= CROSS_LANG_F1)} cross-language F1 {cross:.3f} >= {CROSS_LANG_F1}")
    print(f"{verdict(ratio <= CALLS_RATIO)} LLM calls {ratio:.3f}x naive <= {CALLS_RATIO}x")

    if args.verbose:
        for kind, a, b in wrong:
            hours = abs(a.published - b.published).total_seconds() / 3600
            print(f"\n{kind} {a.id}/{a.event} {b.id}/{b.event} ({hours:.0f} h apart)")
            for item in (a, b):
                f = feats_of[item.id]
                marks = " ".join(sorted(f.signature))
                print(f"  [{item.lang}] {item.title}  {{{marks}}}")


if __name__ == "__main__":
    main()
