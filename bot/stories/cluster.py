"""Which story each new report belongs to, decided for a whole poll at once. Pure.

The reports of one poll are clustered together with the recent stories by average-linkage
agglomeration: every new report starts alone, every recent story starts as the cluster of its
reports (and of its LLM headlines and summaries, when it has them: they make an Arabic report
comparable in words with a story first reported in English), and the two clusters whose reports
are most alike *on average* are joined, again and again, while that average reaches the
threshold. Then:

- a cluster with no recent story becomes a new story;
- new reports in a cluster with one story join that story;
- a cluster that holds two or more stories merges them into the oldest (a bridge report showed
  that they are one event); the merge is returned for the stores to carry out.

The average, not the best single pair, decides: one report that resembles another only by a
shared place and a shared day cannot chain two events together, and a story does not drift from
event to event through a chain of reports that each resemble only the previous one. The result
depends only on the set of reports, never on the order in which feeds were read: every sum is
taken in a fixed order, and ties go to the pair with the smallest keys.

Cost: only pairs that share a word or a mark are scored (an inverted index; ``scoring.py`` scores
them from each report's terms as small ints), only recent stories with a report at least
``threshold`` alike to a new one take part (no other could take it), and each takes part with at
most ``MAX_MEMBERS`` of its reports (its first ones: what the story was first about). The
agglomeration (``joins.py``) keeps one sum per pair of linked clusters and a few best joins per
cluster: a big poll of nearly alike reports scores hundreds of thousands of pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.stories.features import Features
from bot.stories.joins import Group, agglomerate
from bot.stories.joins import _Pairs as _Pairs  # the candidate joins, tested on their own
from bot.stories.scoring import Index, Table
from bot.stories.similarity import DEFAULT_HORIZON, Weigher, rarity

DEFAULT_THRESHOLD = 0.19
"""The average similarity at which two clusters join (``[stories] threshold``)."""
MAX_MEMBERS = 12
"""Reports of a recent story that take part, its earliest first (headlines and summaries too)."""
MAX_REACHED = 32
"""Recent stories that take part without a report alike enough to take a new one: the closest."""


@dataclass(frozen=True, slots=True)
class Report:
    """One report to cluster: a new one (``story_id`` None) or one of a recent story."""

    key: str
    """Unique and stable (an article id): orders sums and breaks ties."""
    features: Features
    story_id: int | None = None
    pseudo: bool = False
    """An LLM headline or summary of ``story_id``: it links reports to the story but is not
    one of its reports (it does not count towards word rarity)."""


@dataclass(frozen=True, slots=True)
class Rules:
    """What an operator may tune (``[stories]`` in the config)."""

    threshold: float = DEFAULT_THRESHOLD
    horizon: timedelta = DEFAULT_HORIZON
    contrast: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Clustering:
    """The decision for one poll."""

    joins: dict[str, int] = field(default_factory=dict)
    """New report key → the existing story it joins (a survivor, after ``merges``)."""
    new_stories: tuple[tuple[str, ...], ...] = ()
    """Groups of new report keys that each start a new story, each group sorted."""
    merges: tuple[tuple[int, int], ...] = ()
    """(survivor, absorbed) existing story ids, the survivor being the oldest (smallest id)."""


def cluster(recent: Iterable[Report], new: Iterable[Report], rules: Rules = Rules()) -> Clustering:
    """Assign the ``new`` reports (``story_id`` None) given the ``recent`` ones (in stories)."""
    fresh = sorted((r for r in new), key=lambda r: r.key)
    if not fresh:
        return Clustering()
    recent = list(recent)
    keys = [r.key for r in fresh] + [r.key for r in recent]
    if len(set(keys)) != len(keys):
        raise ValueError("every report to cluster needs a key of its own")
    if any(r.story_id is not None for r in fresh):
        raise ValueError("a new report to cluster is in no story yet")
    members: dict[int, list[Report]] = defaultdict(list)
    for report in recent:
        if report.story_id is not None:
            members[report.story_id].append(report)
    pool = [r for rs in members.values() for r in rs] + fresh
    weigher = Weigher(rarity(r.features for r in pool if not r.pseudo))
    kept = {story: _first(reports) for story, reports in members.items()}

    # Reports by number: the new ones in key order, then the kept ones of each story. Their
    # ranks in key order stand for their keys (in sums' order and ties).
    reports = fresh + [r for story in sorted(kept) for r in kept[story]]
    table = Table([r.features for r in reports], weigher, rules.contrast, rules.horizon)
    story = [r.story_id for r in reports]
    order = {key: n for n, key in enumerate(sorted(r.key for r in reports))}
    rank = [order[r.key] for r in reports]
    count = len(fresh)

    # Every pair (new, any) that shares a term, then the pairs between the stories reached: every
    # story with a report at least ``threshold`` alike to a new one (an average reaches the
    # threshold only if one of its pairs does, so no other story can take a new report), and of
    # the others the ``MAX_REACHED`` most alike, which may merge with one that takes a report.
    links: list[dict[int, float]] = [{} for _ in range(count)]  # new reports' groups first
    with_stories: list[tuple[int, int, float]] = []
    closest: dict[int, float] = {}
    index = Index(table, range(len(reports)))
    for one in range(count):
        row = links[one]
        # each pair once: with a new report after ``one`` in key order, or with a story's
        for other, value in table.scores(one, index.sharing(one, after=one)):
            if other < count:
                # two new reports: the only pair of their two groups, nothing to sum
                row[other] = links[other][one] = value
                continue
            with_stories.append((one, other, value))
            owner = story[other]
            assert owner is not None
            if value > closest.get(owner, 0.0):
                closest[owner] = value
    taking = {s for s, value in closest.items() if value >= rules.threshold}
    others = sorted((s for s in closest if s not in taking), key=lambda s: (-closest[s], s))
    reached = taking | set(others[:MAX_REACHED])
    # Between the reached stories, only the pairs that share a term and lie within the horizon:
    # as sparse as the pairs of new reports.
    of_reached = [n for n in range(count, len(reports)) if story[n] in reached]
    index = Index(table, of_reached)
    stories_pairs: list[tuple[int, int, float]] = []
    for one in of_reached:
        wanted = [n for n in index.sharing(one) if story[n] != story[one] and rank[n] > rank[one]]
        stories_pairs.extend((one, other, value) for other, value in table.scores(one, wanted))

    # Groups: each new report alone (numbered as the report), each reached story with its kept
    # reports. The links of a story are summed in the order of the pairs' keys.
    groups = [Group([r.key], set(), 1, 1, rank[n]) for n, r in enumerate(fresh)]
    owners = list(range(count)) + [-1] * (len(reports) - count)
    numbers_of: dict[int | None, list[int]] = defaultdict(list)
    for n in of_reached:
        numbers_of[story[n]].append(n)
    for s in sorted(reached):
        numbers = numbers_of[s]
        for n in numbers:
            owners[n] = len(groups)
        keys = [reports[n].key for n in numbers]
        groups.append(Group(keys, {s}, len(numbers), 0, min(map(rank.__getitem__, numbers))))
        links.append({})
    between: dict[int, dict[int, float]] = defaultdict(dict)  # links of stories' own reports
    summed = [
        (*_ordered(rank[a], rank[b]), a, b, value)
        for a, b, value in with_stories + stories_pairs
        if owners[b] >= 0
    ]
    for _, _, one, other, value in sorted(summed):  # no two pairs have the same ranks
        ca, cb = owners[one], owners[other]
        links[ca][cb] = links[cb][ca] = links[ca].get(cb, 0.0) + value
        if one >= count:  # both are stories' reports
            between[ca][cb] = between[cb][ca] = between[ca].get(cb, 0.0) + value
    return _decide(agglomerate(groups, links, between, rules.threshold), fresh)


def _first(reports: Sequence[Report]) -> list[Report]:
    """The reports of a story that take part: its earliest, and its headlines and summaries."""
    real = sorted((r for r in reports if not r.pseudo), key=lambda r: (r.features.published, r.key))
    pseudo = sorted((r for r in reports if r.pseudo), key=lambda r: r.key)
    return real[: max(1, MAX_MEMBERS - len(pseudo))] + pseudo[:MAX_MEMBERS]


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _decide(groups: list[Group], fresh: Sequence[Report]) -> Clustering:
    published = {r.key: r.features.published for r in fresh}
    joins: dict[str, int] = {}
    new_stories: list[tuple[str, ...]] = []
    merges: list[tuple[int, int]] = []

    def first(group: Group) -> tuple[object, ...]:
        # New stories in the order their first reports were published (then by key), so that
        # story ids follow the news, whatever the ids of the articles.
        keys = [k for k in group.keys if k in published]
        earliest = min((published[k] for k in keys), default=None)
        return (earliest is None, earliest or 0, group.label)

    for found in sorted(groups, key=first):
        arrived = tuple(sorted(k for k in found.keys if k in published))
        if not found.stories:
            if arrived:
                new_stories.append(arrived)
            continue
        survivor = min(found.stories)
        merges.extend((survivor, other) for other in sorted(found.stories) if other != survivor)
        for key in arrived:
            joins[key] = survivor
    return Clustering(joins=joins, new_stories=tuple(new_stories), merges=tuple(merges))
