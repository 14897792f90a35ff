"""Search ranking: bm25 relevance boosted by recency, paging past the ranked candidates, and
the Arabic forms and aliases a query also finds."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.store.search as search_module
from bot.search.query import build_match
from bot.store.archive import Archive
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon
from tests.test_archive import YES, article

FILLER = "officials met in the capital to discuss trade and the weather on monday"


def make_archive(tmp_path: Path, samples: list[tuple[str, str, str, int]]) -> Archive:
    """An archive of (id, title, summary, hours old) articles and ten that match nothing, so
    that bm25 sees the query's words as rare (as they are in a real archive)."""
    archive = Archive.in_dir(tmp_path)
    for number in range(10):
        archive.add_article(
            article(f"f{number}", FILLER, FILLER, "en", hours=number), YES, announce=True
        )
    for id_, title, summary, hours in samples:
        archive.add_article(article(id_, title, summary, "en", hours=hours), YES, announce=True)
    return archive


def order(archive: Archive, query: str) -> list[str]:
    return [hit.article.id for hit in archive.search(query, limit=20)]


def test_of_equally_relevant_articles_the_much_newer_ranks_first(tmp_path: Path) -> None:
    text = "Wonsan port visit by the delegation"
    # the newer one is archived first, so neither archive order nor id decides
    archive = make_archive(tmp_path, [("new", text, FILLER, 2), ("old", text, FILLER, 24 * 90)])
    assert order(archive, "Wonsan") == ["new", "old"]


def test_a_far_more_relevant_older_article_beats_a_barely_relevant_new_one(
    tmp_path: Path,
) -> None:
    archive = make_archive(
        tmp_path,
        [
            # named in the title and throughout the text
            ("old", "Wonsan port expands", "Wonsan harbour Wonsan ships Wonsan cranes", 24 * 60),
            # named once in passing, in a long text, today
            ("new", "A week of talks", " ".join([FILLER] * 4) + " and a stop near Wonsan", 0),
        ],
    )
    assert order(archive, "Wonsan") == ["old", "new"]


def test_recency_outweighs_a_small_difference_in_relevance(tmp_path: Path) -> None:
    archive = make_archive(
        tmp_path,
        [
            ("old", "Wonsan port visit", "the delegation toured Wonsan", 24 * 120),
            ("new", "Wonsan port visit", "the delegation toured the port", 0),
        ],
    )
    # "old" names the port once more, but four months of age outweigh it
    assert order(archive, "Wonsan") == ["new", "old"]


def test_pages_run_on_past_the_ranked_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 3)
    monkeypatch.setattr("bot.search.ranking.RANK_CANDIDATES", 3)
    # archived oldest first, as they came in: w6 … w0
    samples = [(f"w{n}", f"Wonsan report {n}", FILLER, 24 * n) for n in reversed(range(7))]
    archive = make_archive(tmp_path, samples)
    pages = [
        [hit.article.id for hit in archive.search("Wonsan", limit=2, offset=offset)]
        for offset in range(0, 8, 2)
    ]
    seen = [id_ for page in pages for id_ in page]
    assert sorted(seen) == sorted(id_ for id_, *_ in samples)  # each once, none lost
    assert set(seen[:3]) == {"w0", "w1", "w2"}  # the newest three are the ranked ones
    assert seen[3:] == ["w3", "w4", "w5", "w6"]  # then older matches, newest first
    assert archive.search("Wonsan", limit=2, offset=8) == []


def test_the_merged_index_answers_the_same(tmp_path: Path) -> None:
    samples = [(f"w{n}", f"Wonsan report {n}", FILLER, 24 * n) for n in range(5)]
    archive = make_archive(tmp_path, samples)
    before = order(archive, "Wonsan")
    archive.optimize_fts()
    assert order(archive, "Wonsan") == before and len(before) == 5


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("كيم جونغ أون", "وكيم جونغ اون يزور روسيا"),  # a conjunction on a name's first word
        ("كيم جونغ أون", "التقى بوتين بكيم جونغ أون"),
        ("كوريا الشمالية", "روسيا وكوريا الشمالية توقعان"),
        ("حزب العمال الكوري", "التقى وفد روسي وبحزب العمال الكوري"),
        # a five-word alias is looked up whole, so its other spellings are found too
        ("فريق مراقبة العقوبات متعدد الأطراف", "تقرير جديد لفريق MSMT"),
        ('"الشراكة الاستراتيجية"', "تعزيز للشراكة الاستراتيجية بين البلدين"),  # لل + الـ
        ('"الشراكة الاستراتيجية"', "الشراكة الإستراتيجية بين البلدين"),
    ],
)
def test_names_and_phrases_are_found_with_a_proclitic_on_their_first_word(
    tmp_path: Path, query: str, text: str
) -> None:
    archive = Archive.in_dir(tmp_path)
    archive.add_article(article("a", text), YES, announce=True)
    archive.add_article(article("b", "خبر عن الطقس"), YES, announce=True)
    expand = TopicMatcher(load_lexicon()).alias_expander()
    assert [h.article.id for h in archive.search(query, expand=expand)] == ["a"]


def test_aliases_contained_in_shorter_ones_are_not_asked_for() -> None:
    expand = TopicMatcher(load_lexicon()).alias_expander()
    match = build_match("كوريا الشمالية", expand)
    assert match is not None
    assert '"كوريا الديمقراطيه"' in match
    # found wherever كوريا الديمقراطيه is, so asking for it too only costs time
    assert "كوريا الديمقراطيه الشعبيه" not in match
    kremlin = build_match("الكرملين", expand)
    assert kremlin is not None and kremlin.count('"كرملين"') == 1


def test_a_name_as_typed_ranks_before_its_other_aliases_and_all_are_found(
    tmp_path: Path,
) -> None:
    # bm25 weighs the name's own words (bot.search.query.SearchMatch): the Arabic article,
    # though newer and naming Kursk in its title, follows the English one for "Kursk"
    archive = make_archive(
        tmp_path,
        [
            ("en", "Troops seen near Kursk", FILLER, 48),
            ("ar", "قوات قرب كورسك", "وصل الجنود إلى منطقة كورسك", 0),
        ],
    )
    expand = TopicMatcher(load_lexicon()).alias_expander()
    ids = [hit.article.id for hit in archive.search("Kursk", limit=20, expand=expand)]
    assert ids == ["en", "ar"]
    ids = [hit.article.id for hit in archive.search("بكورسك", limit=20, expand=expand)]
    assert ids == ["ar", "en"]
