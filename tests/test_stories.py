"""Clustering articles into stories (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.stories import Candidate, assign, features, numbers_in

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
