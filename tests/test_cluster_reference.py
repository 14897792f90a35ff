"""Clustering decides as a plain, slow statement of its rules does, on many random polls.

The reference below scores every pair with ``similarity``, keeps every sum between two
clusters in a dict keyed by the pair of clusters, and at each step looks at every pair of live
clusters for the best join: no index, no heap, no numbers for reports or clusters, keys
compared as strings. The polls are small and built for ties: many reports share their
features exactly (equal scores), times fall on a few hours, and the limits (``MAX_MEMBERS``,
``MAX_REACHED``, the share of reports above which a term finds no pairs) are reached.
"""

from __future__ import annotations

import importlib
import math
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from bot.stories import scoring
from bot.stories.cluster import Clustering, Report, Rules, cluster
from bot.stories.features import Features
from bot.stories.similarity import Weigher, rarity, similarity

# the module, not the function ``bot.stories`` exports under its name
clustering = importlib.import_module("bot.stories.cluster")
BASE = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
WORDS = [f"w{n}" for n in range(9)]
MARKS = ["act:meet", "act:deny", "#5", "#40", "e:kim", "e:shoigu", "thing:troops"]


def _terms(f: Features) -> set[str]:
    return {f"{f.lang}:{w}" for w in f.words} | {f"#{m}" for m in f.marks}


def _findable(members: list[Report]) -> set[frozenset[str]]:
    """The pairs of ``members`` that share a term used by few of them."""
    users: dict[str, int] = defaultdict(int)
    for r in members:
        for term in _terms(r.features):
            users[term] += 1
    common = max(scoring.MIN_COMMON, int(len(members) * scoring.COMMON))
    return {
        frozenset((a.key, b.key))
        for a, b in combinations(members, 2)
        if any(users[t] <= common for t in _terms(a.features) & _terms(b.features))
    }


def reference(recent: list[Report], new: list[Report], rules: Rules) -> Clustering:
    fresh = sorted(new, key=lambda r: r.key)
    if not fresh:
        return Clustering()
    stories: dict[int, list[Report]] = defaultdict(list)
    for r in recent:
        if r.story_id is not None:
            stories[r.story_id].append(r)
    weigher = Weigher(
        rarity(
            r.features
            for r in [*fresh, *(r for rs in stories.values() for r in rs)]
            if not r.pseudo
        )
    )
    kept: dict[int, list[Report]] = {}
    for story, reports in stories.items():
        real = sorted(
            (r for r in reports if not r.pseudo), key=lambda r: (r.features.published, r.key)
        )
        pseudo = sorted((r for r in reports if r.pseudo), key=lambda r: r.key)
        limit = clustering.MAX_MEMBERS
        kept[story] = real[: max(1, limit - len(pseudo))] + pseudo[:limit]

    def score(a: Report, b: Report) -> float:
        return similarity(
            a.features, b.features, weigher, contrast=rules.contrast, horizon=rules.horizon
        )

    value: dict[frozenset[str], float] = {}
    candidates = [r for rs in kept.values() for r in rs] + fresh
    findable = _findable(candidates)
    closest: dict[int, float] = {}
    for a in fresh:
        for b in candidates:
            pair = frozenset((a.key, b.key))
            if b.key == a.key or (b.story_id is None and b.key < a.key) or pair not in findable:
                continue
            if (found := score(a, b)) > 0:
                value[pair] = found
                if b.story_id is not None:
                    closest[b.story_id] = max(found, closest.get(b.story_id, 0.0))
    taking = {s for s, v in closest.items() if v >= rules.threshold}
    others = sorted((s for s in closest if s not in taking), key=lambda s: (-closest[s], s))
    reached = sorted(taking | set(others[: clustering.MAX_REACHED]))
    of_reached = [r for s in reached for r in kept[s]]
    findable = _findable(of_reached)
    for a, b in combinations(of_reached, 2):
        pair = frozenset((a.key, b.key))
        if a.story_id != b.story_id and pair in findable and (found := score(a, b)) > 0:
            value[pair] = found

    # A cluster is the frozenset of its keys; its stories and new reports are looked up.
    story_of = {r.key: r.story_id for r in of_reached}
    is_new = {r.key for r in fresh}
    live = [frozenset(r.key for r in kept[s]) for s in reached] + [
        frozenset([r.key]) for r in fresh
    ]
    links: dict[frozenset[frozenset[str]], float] = defaultdict(float)
    between: dict[frozenset[frozenset[str]], float] = defaultdict(float)
    owner = {key: group for group in live for key in group}
    for pair in sorted(value, key=sorted):  # every sum in the order of the pairs' keys
        first, second = (owner.get(k) for k in sorted(pair))
        if first is None or second is None or first == second:
            continue
        links[frozenset((first, second))] += value[pair]
        if not pair & is_new:
            between[frozenset((first, second))] += value[pair]

    def held(group: frozenset[str]) -> set[int]:
        return {s for k in group if (s := story_of.get(k)) is not None}

    while True:
        best: tuple[float, str, str] | None = None
        join = None
        for one, two in combinations(live, 2):
            both = frozenset((one, two))
            if both not in links:
                continue
            average = links[both] / (len(one) * len(two))
            if average < rules.threshold:
                continue
            if held(one) and held(two):
                if not one & is_new and not two & is_new:
                    continue
                own = len(one - is_new) * len(two - is_new)
                if between.get(both, 0.0) / own < rules.threshold / 2:
                    continue
            key = (-average, *sorted((min(one), min(two))))
            if best is None or key < best:
                best, join = key, (one, two)
        if join is None:
            break
        one, two = join
        merged = one | two
        live = [g for g in live if g not in join]
        for table in (links, between):
            for other in live:
                sums = [table.pop(frozenset((part, other)), None) for part in join]
                if any(s is not None for s in sums):
                    table[frozenset((merged, other))] = sum(s for s in sums if s is not None)
        live.append(merged)

    published = {r.key: r.features.published for r in fresh}

    def first(group: frozenset[str]) -> tuple[object, ...]:
        earliest = min((published[k] for k in group if k in published), default=None)
        return (earliest is None, earliest or 0, min(group))

    joins: dict[str, int] = {}
    new_stories: list[tuple[str, ...]] = []
    merges: list[tuple[int, int]] = []
    for group in sorted(live, key=first):
        arrived = tuple(sorted(group & is_new))
        if not held(group):
            if arrived:
                new_stories.append(arrived)
            continue
        survivor = min(held(group))
        merges.extend((survivor, s) for s in sorted(held(group)) if s != survivor)
        joins.update(dict.fromkeys(arrived, survivor))
    return Clustering(joins=joins, new_stories=tuple(new_stories), merges=tuple(merges))


def _poll(rng: random.Random) -> tuple[list[Report], list[Report], Rules]:
    keys = iter(rng.sample(range(10**5), 400))
    made: list[Features] = []

    def read(hours: float) -> Features:
        if made and rng.random() < 0.35:
            return rng.choice(made)  # the same features again: scores tie exactly
        found = Features(
            lang=rng.choice(["ar", "en", "en"]),
            words=frozenset(rng.sample(WORDS, rng.randint(0, 4))),
            marks=frozenset(rng.sample(MARKS, rng.randint(0, 3))),
            published=BASE + timedelta(hours=hours),
        )
        made.append(found)
        return found

    recent: list[Report] = []
    for story in rng.sample(range(1, 90), rng.randint(0, 7)):
        for _ in range(rng.choice([1, 2, 3, 14])):  # 14: more than MAX_MEMBERS
            recent.append(Report(f"k{next(keys):05}", read(rng.choice([-30, -6, 0])), story))
        for lang in rng.sample(["ar", "en"], rng.randint(0, 2)):
            recent.append(Report(f"~summary:{story}:{lang}", read(-6), story, pseudo=True))
    new = [
        Report(f"k{next(keys):05}", read(rng.choice([0, 0, 2, 30, 100])))
        for _ in range(rng.randint(1, 28))
    ]
    rules = Rules(
        threshold=rng.choice([0.1, 0.19, 0.3]),
        horizon=timedelta(hours=rng.choice([48, 96])),
        contrast=frozenset({"act:deny"}),
    )
    if rng.random() < 0.3:
        # the threshold at exactly the score of two new reports: "reaches" is "at least"
        one, two = rng.choice(new), rng.choice(new)
        pool = [r.features for r in [*recent, *new] if not r.pseudo]
        score = similarity(
            one.features,
            two.features,
            Weigher(rarity(pool)),
            contrast=rules.contrast,
            horizon=rules.horizon,
        )
        if score > 0:
            rules = replace(rules, threshold=score)
    return recent, new, rules


@pytest.mark.parametrize("limits", ["default", "tight"])
def test_cluster_decides_as_the_plain_statement_of_its_rules(
    limits: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if limits == "tight":  # few stories reached, common terms find no pairs
        monkeypatch.setattr(clustering, "MAX_REACHED", 1)
        monkeypatch.setattr(scoring, "MIN_COMMON", 3)
    rng = random.Random(20)
    decided = 0
    for _ in range(150):
        recent, new, rules = _poll(rng)
        want = reference(recent, new, rules)
        assert cluster(recent, new, rules) == want
        rng.shuffle(recent)
        rng.shuffle(new)
        assert cluster(recent, new, rules) == want  # the order of the feeds changes nothing
        decided += bool(want.merges) + bool(want.joins) + any(len(g) > 1 for g in want.new_stories)
    assert decided > 100  # the polls joined, merged and grouped, not only kept reports apart


def test_the_links_of_a_story_are_summed_in_the_order_of_the_keys() -> None:
    """Three scores summed in another order may differ in the last bit: with the threshold at
    exactly the average summed in the order of the keys, the new report joins the story, and
    with the next float above it, it does not."""
    rng = random.Random(7)
    for _ in range(2000):
        # the later the key, the earlier the report: not the order the story lists them in
        story = [
            Report(
                f"k{n}",
                Features("en", frozenset(rng.sample(WORDS, 4)), frozenset(), BASE - n * HOUR),
                story_id=5,
            )
            for n in rng.sample(range(10, 40), 3)
        ]
        new = Report("k00", Features("en", frozenset(rng.sample(WORDS, 4)), frozenset(), BASE))
        weigher = Weigher(rarity(r.features for r in [*story, new]))
        score = {
            r.key: similarity(new.features, r.features, weigher, horizon=timedelta(hours=96))
            for r in story
        }
        first, second, third = (score[k] for k in sorted(score))
        by_key = (first + second) + third
        # every other order adds another pair first, and each of those gives another sum
        if not third or by_key in ((first + third) + second, (second + third) + first):
            continue
        rules = Rules(threshold=by_key / 3)
        assert cluster(story, [new], rules).joins == {"k00": 5}
        above = Rules(threshold=math.nextafter(by_key / 3, 1.0))
        assert cluster(story, [new], above).new_stories == (("k00",),)
        return
    raise AssertionError("no scores whose sum depends on its order")


def test_a_new_report_already_in_a_story_is_refused() -> None:
    read = Features("en", frozenset({"w1"}), frozenset(), BASE)
    with pytest.raises(ValueError, match="no story yet"):
        cluster([Report("a", read, story_id=1)], [Report("b", read, story_id=1)])


def test_an_index_takes_its_members_in_order() -> None:
    """``Index.sharing`` finds the members after a number by bisecting each term's list."""
    read = [Features("en", frozenset({"w1"}), frozenset(), BASE)] * 3
    table = scoring.Table(read, Weigher(rarity(read)), frozenset(), timedelta(hours=96))
    assert scoring.Index(table, [0, 1, 2]).sharing(0, after=0) == {1, 2}
    with pytest.raises(ValueError, match="increasing order"):
        scoring.Index(table, [0, 2, 1])
