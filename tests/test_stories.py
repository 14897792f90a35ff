"""Clustering articles into stories (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import services
from bot.demo import load_manifest, serve
from bot.stories import (
    Candidate,
    Rarity,
    StoryIndex,
    assign,
    features,
    numbers_in,
    rarity,
    strip_dateline,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.test_llm_pipeline import llm_settings

T0 = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
GENERIC = {"ru:russia", "nk:north-korea", "ru:putin", "nk:kim-jong-un"}


def feats(lang: str, title: str, summary: str, entities: list[str], hours: float = 0):  # type: ignore[no-untyped-def]
    return features(
        lang=lang,
        title=title,
        summary=summary,
        entities=entities,
        generic=GENERIC,
        published=T0 + timedelta(hours=hours),
    )


KURSK_AR = feats(
    "ar",
    "نحو 10900 جندي كوري شمالي في كورسك",
    "قالت الاستخبارات الكورية الجنوبية إن 10,900 جندي من كوريا الشمالية انتشروا في كورسك",
    ["ru:kursk", "nk:north-korea", "ru:russia"],
)


def test_numbers_ignore_separators() -> None:
    assert numbers_in("10,900 soldiers and 10900 more, 73 cars, 5 days") == {"10900", "73"}


def test_same_language_reports_join() -> None:
    other = feats(
        "ar",
        "الاستخبارات: 10900 جندي كوري شمالي انتشروا في كورسك",
        "انتشر جنود من كوريا الشمالية في منطقة كورسك الروسية وفق الاستخبارات الكورية الجنوبية",
        ["ru:kursk", "nk:north-korea"],
        hours=3,
    )
    assert assign(other, [Candidate(1, KURSK_AR)]) == 1


def test_cross_language_reports_join_by_entities_and_numbers() -> None:
    english = feats(
        "en",
        "Seoul says 10,900 North Korean troops deployed to Kursk",
        "South Korean intelligence says North Korean soldiers joined Russian units in Kursk",
        ["ru:kursk", "nk:north-korea", "ru:russia"],
        hours=2,
    )
    assert assign(english, [Candidate(1, KURSK_AR)]) == 1


def test_different_events_stay_apart() -> None:
    rail = feats(
        "en",
        "Satellite images show 73 freight cars at Tumangang",
        "Rail traffic across the border with Russia surged after the summit",
        ["bridge:tumangang", "nk:north-korea", "ru:russia"],
        hours=1,
    )
    assert assign(rail, [Candidate(1, KURSK_AR)]) is None


def test_only_within_the_window() -> None:
    late = feats(
        "ar",
        "نحو 10900 جندي كوري شمالي في كورسك",
        "قالت الاستخبارات الكورية الجنوبية إن 10,900 جندي من كوريا الشمالية انتشروا في كورسك",
        ["ru:kursk"],
        hours=72,
    )
    assert assign(late, [Candidate(1, KURSK_AR)]) is None


def test_generic_entities_alone_never_link_languages() -> None:
    a = feats("en", "Putin praises ties with North Korea", "", ["ru:putin", "nk:north-korea"])
    b = feats("ar", "كيم يشيد بروسيا", "", ["nk:kim-jong-un", "ru:russia"], hours=1)
    assert assign(b, [Candidate(1, a)]) is None


def test_the_index_answers_like_a_full_scan() -> None:
    from bot.stories import StoryIndex

    words = ["kursk", "troops", "rail", "tumangang", "summit", "treaty", "duma", "bridge", "wheat"]
    articles = [
        feats(
            "en" if i % 3 else "ar",
            " ".join(words[(i * k) % len(words)] for k in range(1, 5)),
            f"report {i % 4} number {10 + i % 3}",
            [f"e:{words[i % len(words)]}"]
            + ([f"e:{words[(i + 1) % len(words)]}"] if i % 2 else []),
            hours=i % 30,
        )
        for i in range(60)
    ]
    index = StoryIndex(per_story=1000)  # nothing retired: must match the full scan exactly
    candidates: list[Candidate] = []
    for number, article in enumerate(articles):
        expected = assign(article, candidates)
        assert index.assign(article) == expected
        story = expected if expected is not None else number + 100
        candidates.append(Candidate(story, article))
        index.add(Candidate(story, article))
        if number % 5 == 0:  # now and then an LLM headline in the other language
            lang = "ar" if article.lang == "en" else "en"
            headline = feats(lang, f"headline {words[number % len(words)]}", "", [], number % 30)
            candidates.append(Candidate(story, headline, headline=True))
            index.add_headline(Candidate(story, headline))


def test_datelines_are_stripped_before_numbers_are_read() -> None:
    assert strip_dateline("MOSCOW, Nov 5 (Reuters) - Putin met Kim") == "Putin met Kim"
    assert strip_dateline("Moscow, Mar 3 /TASS/. Footage shows guns") == "Footage shows guns"
    assert strip_dateline("موسكو - التقى بوتين كيم") == "التقى بوتين كيم"
    assert strip_dateline("Seoul says 10,900 troops") == "Seoul says 10,900 troops"
    dated = feats("en", "Talks held", "SEOUL, Nov 21 (Reuters) - Envoys met", ["ru:msmt"])
    assert dated.numbers == frozenset()


def test_topic_words_alone_do_not_join_reports() -> None:
    a = feats("en", "Russia and North Korea", "Russian and North Korean officials in Moscow", [])
    b = feats("en", "North Korea, Russia", "Korean and Russian delegations in Pyongyang", [])
    assert a.words == frozenset() or not a.words & b.words
    assert assign(b, [Candidate(1, a)]) is None


def test_stories_do_not_chain_through_later_reports() -> None:
    index = StoryIndex(per_story=2)
    first = feats("en", "Rail bridge opens", "Tumen river rail bridge opens to freight trains", [])
    second = feats("en", "Rail bridge opens to freight", "Tumen bridge freight trains start", [], 1)
    drift = feats("en", "Freight trains start", "Freight trains start grain shipments", [], 2)
    index.add(Candidate(1, first))
    index.add(Candidate(1, second))
    index.add(Candidate(1, drift))  # past per_story: kept in the story, not matched against
    later = feats("en", "Grain shipments start", "Grain shipments start by sea", [], 3)
    assert assign(later, [Candidate(1, drift)]) == 1  # resembles only the drifted report
    assert index.assign(later) is None


def test_an_llm_headline_matches_later_reports_in_its_language() -> None:
    arabic = feats(
        "ar", "افتتاح جسر السكة الحديد", "افتتح الجسر امام قطارات الشحن", ["bridge:tumen"]
    )
    english = feats(
        "en",
        "Freight trains cross new Tumen rail bridge",
        "The first freight trains crossed the new rail bridge over the Tumen river",
        ["bridge:tumen"],
        30,  # past the window in which one shared entity joins across languages
    )
    index = StoryIndex()
    index.add(Candidate(1, arabic))
    assert index.assign(english) is None
    headline = feats("en", "New Tumen rail bridge opens to freight trains", "", ["bridge:tumen"])
    index.add_headline(Candidate(1, headline))
    assert index.assign(english) == 1


async def test_the_pipeline_matches_new_reports_with_stored_llm_headlines(
    tmp_path: Path, openai_api: FakeOpenAI
) -> None:
    manifest = load_manifest()
    with serve(manifest) as base_url:
        settings = llm_settings(tmp_path, base_url, openai_api.base_url)
        async with services(settings, now=lambda: manifest.now) as svc:
            await svc.pipeline.poll()
            before = len(svc.pipeline._story_index(manifest.now))
            stories = await svc.pipeline.summarize()
            after = svc.pipeline._story_index(manifest.now)
    assert stories > 0
    assert len(after) == before + 2 * stories  # an English and an Arabic headline per story


def test_rarity_weighs_common_terms_less() -> None:
    rare = Rarity(10, {"kursk": 10, "troops": 6, "deminers": 1})
    weights = [rare.weight(t) for t in ("kursk", "troops", "deminers", "unseen")]
    assert weights == sorted(weights) and len(set(weights)) == 4
    assert weights[0] == 1.0  # in every report
    assert weights[-1] == rare.max_weight
    counted = rarity([KURSK_AR, KURSK_AR])
    assert (
        counted.reports == 2 and counted.counts["ru:kursk"] == 2 and counted.counts["#10900"] == 2
    )


BOILERPLATE = "Neither side disclosed figures"


@pytest.mark.parametrize(("others", "joins"), [(0, True), (8, False)])
def test_words_that_many_recent_reports_share_count_less(others: int, joins: bool) -> None:
    # Two reports of different events that share only a closing line: alone they look alike,
    # among recent reports that all end with that line they do not.
    background = [
        Candidate(10 + n, feats("en", f"Story{n} topic{n}", BOILERPLATE, [], hours=-n))
        for n in range(others)
    ]
    commission = feats("en", "Commission cargo", BOILERPLATE, [], hours=1)
    trade = feats("en", "Trade jumped", BOILERPLATE, [], hours=2)
    expected = 1 if joins else None
    assert assign(trade, [*background, Candidate(1, commission)]) == expected


@pytest.mark.parametrize(
    ("hours", "numbers", "joins"),
    [(6, False, True), (30, False, False), (30, True, True)],
)
def test_entities_alone_link_languages_only_close_together(
    hours: float, numbers: bool, joins: bool
) -> None:
    figure = " 70" if numbers else ""
    trade = feats(
        "en", f"Trade up{figure}", "Kozlov spoke in Vladivostok", ["ru:kozlov", "ru:vlad"]
    )
    meeting = feats(
        "ar", f"اجتماع اللجنة{figure}", "كوزلوف في فلاديفوستوك", ["ru:kozlov", "ru:vlad"], hours
    )
    assert assign(meeting, [Candidate(1, trade)]) == (1 if joins else None)


@pytest.mark.parametrize(("with_english_report", "joins"), [(False, True), (True, False)])
def test_entities_do_not_overrule_a_report_in_the_same_language(
    with_english_report: bool, joins: bool
) -> None:
    arabic = feats("ar", "أسر جنود في كورسك", "زيلينسكي: أسرنا جنودا", ["ru:kursk", "ru:zel"])
    english = feats("en", "Soldiers captured in Kursk", "Zelensky shows prisoners", [], hours=1)
    story = [Candidate(1, arabic)] + ([Candidate(1, english)] if with_english_report else [])
    casualties = feats(
        "en", "Casualties reported by spy agency", "Losses mount", ["ru:kursk", "ru:zel"], 3
    )
    assert assign(casualties, story) == (1 if joins else None)


@pytest.mark.parametrize(("headline", "joins"), [(False, True), (True, False)])
def test_an_llm_headline_is_not_compared_across_languages(headline: bool, joins: bool) -> None:
    arabic = feats("ar", "جسر تومين", "", ["bridge:tumen", "ru:khasan"])
    english = feats(
        "en", "Bridge work", "Khasan crossing on the Tumen", ["bridge:tumen", "ru:khasan"]
    )
    assert assign(english, [Candidate(1, arabic, headline=headline)]) == (1 if joins else None)
