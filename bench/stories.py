"""Benchmark: story clustering of relevant articles against a labelled corpus.

Reads ``bench/data/stories_corpus.jsonl`` (300 Arabic and English articles about Russia–North
Korea relations, each labelled with the ``event`` it reports), computes clustering features the
way the pipeline does (``TopicMatcher.entities(title + "\\n" + summary)`` with the topic's generic
entities left out) and clusters the articles in published order with ``StoryIndex``, as the
pipeline does for each new relevant article.

The run goes in hourly cycles, as the pipeline polls. With the LLM off, stories are matched on
their reports only. With the LLM on, each story that appeared in a cycle is given, after that
cycle, the English and Arabic headlines an LLM would write for its first report (stored in the
corpus as ``llm_headline_en``/``llm_headline_ar``: the title itself in its own language, a
translation written for the corpus in the other), and they take part in matching later reports,
as the pipeline does with the headlines of stored LLM summaries. No LLM is asked.

Prints pairwise precision, recall and F1 against the labels for same-language and
cross-language pairs, LLM off and on side by side; stories formed vs. events; summarizer calls
and estimated input tokens per cycle (one call per story, again when the bot's own rule,
``summary_is_stale``, says so: after ``[llm] resummarize_new_articles`` new reports) vs. the
naive one call per article and language; F1 on each half of the events; and a PASS/FAIL line
per target. Each hourly cycle builds its index from the last two windows of reports, as the
pipeline builds it at each poll (so word rarity is counted over the same span). Run from the
project root:

    python bench/stories.py [--corpus PATH] [--verbose | --errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/stories.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import LLMSettings
from bot.stories import WINDOW, Candidate, Features, StoryIndex, features
from bot.summarize.prompt import MAX_ARTICLES, MAX_TEXT_CHARS, MAX_TITLE_CHARS, SYSTEM_PROMPT
from bot.summarize.refresh import SummaryState, summary_is_stale
from bot.topic.lexicon import load_lexicon
from bot.topic.matcher import TopicMatcher

CORPUS = Path(__file__).resolve().parent / "data" / "stories_corpus.jsonl"
SAME_LANG_F1 = 0.9
CROSS_LANG_F1 = 0.75
CALLS_RATIO = 0.35
LANGUAGES = 2  # the naive design summarizes each article once per output language
CYCLE = timedelta(hours=1)
# the default of [llm] resummarize_new_articles; the calls are counted with the bot's own rule,
# bot.summarize.refresh.summary_is_stale
RESUMMARIZE_NEW: int = LLMSettings.model_fields["resummarize_new_articles"].default
CHARS_PER_TOKEN = 4  # a rough estimate of input tokens from characters


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    event: str
    lang: str
    title: str
    summary: str
    published: datetime
    llm_headline_en: str
    llm_headline_ar: str


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
                        llm_headline_en=row["llm_headline_en"],
                        llm_headline_ar=row["llm_headline_ar"],
                    )
                )
    items.sort(key=lambda i: (i.published, i.id))
    return items


@dataclass(slots=True)
class Calls:
    calls: int = 0
    tokens: int = 0
    offline: int = 0
    naive_calls: int = 0
    naive_tokens: int = 0
    cycles: int = 0


def _tokens(items: list[Item]) -> int:
    chars = len(SYSTEM_PROMPT) + sum(
        min(len(i.title), MAX_TITLE_CHARS) + min(len(i.summary), MAX_TEXT_CHARS)
        for i in items[:MAX_ARTICLES]
    )
    return chars // CHARS_PER_TOKEN


def cluster(
    items: list[Item], matcher: TopicMatcher, *, llm: bool, resummarize_after: int = RESUMMARIZE_NEW
) -> tuple[dict[str, int], dict[str, Features], Calls, dict[str, str]]:
    """Story id of each item, assigned in published order in hourly cycles as the pipeline does;
    with ``llm``, each new story gets its LLM headlines after the cycle it appeared in. Also
    the features of each item and, for an item that joined a story, what it matched."""
    generic = matcher.generic_entities()
    history: list[Candidate] = []  # every report, as the archive keeps them
    headlines: dict[int, list[Candidate]] = {}
    stories: dict[str, int] = {}
    feats_of: dict[str, Features] = {}
    members: dict[int, list[Item]] = {}
    summarized: dict[int, SummaryState] = {}
    calls = Calls()
    links: dict[str, str] = {}
    name_of: dict[int, str] = {}  # id() of indexed features -> what they were made from
    next_story = 1
    position = 0
    cycle_end = items[0].published + CYCLE if items else datetime.now()
    while position < len(items):
        # Each poll builds its index from the reports of the last two windows and the LLM
        # headlines of their stories, as the pipeline does.
        index = StoryIndex()
        for report in history:
            if report.features.published >= cycle_end - 2 * WINDOW:
                index.add(report)
        for story_id in dict.fromkeys(
            r.story_id for r in history if r.features.published >= cycle_end - 2 * WINDOW
        ):
            for headline in headlines.get(story_id, ()):
                index.add_headline(headline)
        touched: list[int] = []
        while position < len(items) and items[position].published < cycle_end:
            item = items[position]
            position += 1
            feats = features(
                lang=item.lang,
                title=item.title,
                summary=item.summary,
                entities=matcher.entities(f"{item.title}\n{item.summary}"),
                generic=generic,
                published=item.published,
            )
            found = index.match(feats)
            if found is None:
                story_id = next_story
                next_story += 1
            else:
                story_id = found[1].story_id
                links[item.id] = f"{name_of[id(found[1].features)]} ({found[0]:.2f})"
            index.add(Candidate(story_id, feats))
            history.append(Candidate(story_id, feats))
            name_of[id(feats)] = f"{item.id}/{item.event} [{item.lang}]"
            stories[item.id] = story_id
            feats_of[item.id] = feats
            members.setdefault(story_id, []).append(item)
            if story_id not in touched:
                touched.append(story_id)
            calls.naive_calls += LANGUAGES
            calls.naive_tokens += LANGUAGES * _tokens([item])
        if touched:
            calls.cycles += 1
        for story_id in touched:
            reports = members[story_id]
            langs = frozenset(i.lang for i in reports)
            done = summarized.get(story_id)
            if not summary_is_stale(
                done,
                articles=len(reports),
                langs=langs,
                resummarize_after=resummarize_after,
            ):
                continue
            if llm:
                calls.calls += 1
                calls.tokens += _tokens(reports)
            else:
                calls.offline += 1  # an offline extract: no call, no tokens
            summarized[story_id] = SummaryState(len(reports), langs, "llm" if llm else "offline")
            if llm and done is None:
                first = reports[0]
                for lang, headline in (
                    ("en", first.llm_headline_en),
                    ("ar", first.llm_headline_ar),
                ):
                    feats = features(
                        lang=lang,
                        title=headline,
                        summary="",
                        entities=matcher.entities(headline),
                        generic=generic,
                        published=first.published,
                    )
                    headlines.setdefault(story_id, []).append(Candidate(story_id, feats))
                    name_of[id(feats)] = f"LLM headline of {first.id}/{first.event} [{lang}]"
        cycle_end += CYCLE
    return stories, feats_of, calls, links


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
    parser.add_argument(
        "--errors", action="store_true", help="list the wrongly merged/split same-language pairs"
    )
    args = parser.parse_args()

    items = load(args.corpus)
    matcher = TopicMatcher(load_lexicon())
    relevant = sum(matcher.classify(i.title, i.summary).relevant for i in items)
    runs = {llm: cluster(items, matcher, llm=llm) for llm in (False, True)}
    scores = {llm: score_pairs(items, run[0]) for llm, run in runs.items()}

    events = len({i.event for i in items})
    langs = Counter(i.lang for i in items)
    print(f"corpus: {len(items)} articles ({langs['ar']} ar, {langs['en']} en), {events} events")
    print(f"topic filter relevant: {relevant}/{len(items)} ({relevant / len(items):.1%})")
    print(f"{'pairs':<16}{'true':>6}{'LLM':>5}{'found':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for name in ("same-language", "cross-language", "all"):
        for llm in (False, True):
            s = scores[llm][0][name]
            print(
                f"{name:<16}{s.tp + s.fn:>6}{'on' if llm else 'off':>5}{s.tp + s.fp:>7}"
                f"{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
            )
    for llm in (False, True):
        stories, _, calls, _ = runs[llm]
        n_stories = len(set(stories.values()))
        cycles = max(1, calls.cycles)
        if not llm:
            print(
                f"LLM off: {n_stories} stories for {events} events; {calls.offline} offline "
                f"summaries (no calls), refreshed whenever a story changes"
            )
            continue
        print(
            f"LLM on : {n_stories} stories for {events} events; "
            f"per cycle ({calls.cycles} cycles with news) {calls.calls / cycles:.2f} calls, "
            f"~{calls.tokens / cycles:.0f} input tokens vs naive {calls.naive_calls / cycles:.2f} "
            f"calls, ~{calls.naive_tokens / cycles:.0f} tokens"
        )
        print(
            f"  calls {calls.calls / calls.naive_calls:.3f}x naive, "
            f"tokens {calls.tokens / calls.naive_tokens:.3f}x naive; "
            f"first summaries only (one per story): {n_stories / calls.naive_calls:.3f}x; "
            f"re-summary after {RESUMMARIZE_NEW} new reports (the default)"
        )
        others = []
        for after in (1, 2, 3, 4):
            if after != RESUMMARIZE_NEW:
                other = cluster(items, matcher, llm=True, resummarize_after=after)[2]
                others.append(f"after {after}: {other.calls / other.naive_calls:.3f}x")
        print("  calls with other [llm] resummarize_new_articles: " + ", ".join(others))
    # The events split in two halves (alternate event ids), pairs across halves left out: a
    # figure that holds on both halves is not carried by a handful of events. The rules were
    # studied on the errors of the whole corpus, so this is a consistency check, not a held-out
    # test in the strict sense.
    ordered = sorted({i.event for i in items})
    half = {event: "AB"[n % 2] for n, event in enumerate(ordered)}
    for name in ("A", "B"):
        part = [i for i in items if half[i.event] == name]
        line = []
        for llm in (False, True):
            part_scores = score_pairs(part, runs[llm][0])[0]
            line.append(
                f"LLM {'on' if llm else 'off'} same-language F1 "
                f"{part_scores['same-language'].f1:.3f}, cross-language F1 "
                f"{part_scores['cross-language'].f1:.3f}"
            )
        print(f"half {name} ({len(part)} articles): " + "; ".join(line))
    same = scores[True][0]["same-language"].f1
    cross = scores[True][0]["cross-language"].f1
    calls = runs[True][2]
    ratio = calls.calls / calls.naive_calls
    print(f"{verdict(same >= SAME_LANG_F1)} same-language F1 {same:.3f} >= {SAME_LANG_F1} (LLM on)")
    print(f"{verdict(cross >= CROSS_LANG_F1)} cross-language F1 {cross:.3f} >= {CROSS_LANG_F1}")
    print(
        f"{verdict(ratio <= CALLS_RATIO)} LLM calls {ratio:.3f}x naive <= {CALLS_RATIO}x"
        " (re-summaries counted)"
    )

    wrong = scores[True][1]
    feats_of = runs[True][1]
    links = runs[True][3]
    if args.verbose or args.errors:
        for kind, a, b in wrong:
            if args.errors and not args.verbose and a.lang != b.lang:
                continue
            hours = abs(a.published - b.published).total_seconds() / 3600
            print(
                f"\n{kind} {a.id}/{a.event} {b.id}/{b.event} ({hours:.0f} h apart, "
                f"half {half[a.event]}{'' if half[a.event] == half[b.event] else half[b.event]})"
            )
            for item in (a, b):
                f = feats_of[item.id]
                marks = " ".join(sorted(f.signature))
                print(f"  [{item.lang}] {item.title}  {{{marks}}}")
                if item.id in links:
                    print(f"      {item.id} joined via {links[item.id]}")


if __name__ == "__main__":
    main()
