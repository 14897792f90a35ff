"""Clustering reports into stories (pure): each kind of error seen on real coverage, with items
written for these tests, and the rules of the grouping itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import StoriesSettings
from bot.errors import ConfigError
from bot.stories import Features, Reader, Report, Rules, cluster, rarity, similarity
from bot.stories.similarity import Weigher
from bot.stories.vocabulary import parse_vocabulary
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
LEXICON = load_lexicon()
MATCHER = TopicMatcher(LEXICON)
READER = Reader(LEXICON)
DEFAULTS = StoriesSettings()
RULES = READER.rules(threshold=DEFAULTS.threshold, horizon_hours=DEFAULTS.horizon_hours)


def read(lang: str, title: str, summary: str = "", hours: float = 0) -> Features:
    return READER.read(
        lang=lang,
        title=title,
        summary=summary,
        entities=MATCHER.entities(f"{title}\n{summary}"),
        published=T0 + timedelta(hours=hours),
    )


def groups(*reports: tuple[str, Features], recent: tuple[Report, ...] = ()) -> set[frozenset[str]]:
    """The new reports' grouping, as sets of keys (a key joining a recent story is grouped with
    that story's id as ``story:<id>``)."""
    decided = cluster(recent, [Report(key, f) for key, f in reports], RULES)
    found: dict[str, set[str]] = {}
    for key, story in decided.joins.items():
        found.setdefault(f"story:{story}", {f"story:{story}"}).add(key)
    out = {frozenset(v) for v in found.values()}
    out |= {frozenset(group) for group in decided.new_stories}
    return out


def together(*reports: tuple[str, Features]) -> bool:
    return len(groups(*reports)) == 1


# -- the kinds of error seen on real coverage -------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("Putin and Kim to meet at Vostochny cosmodrome", "The two leaders meet on Wednesday."),
            (
                "Putin, Kim begin talks at Vostochny space centre",
                "Talks started at the launch site.",
            ),
        ),
        (
            ("Russia–North Korea trade surges in first quarter", "Customs figures show a jump."),
            ("Trade between Moscow and Pyongyang increases sharply", "Customs data show growth."),
        ),
        (
            ("Duma backs defence pact with Pyongyang", "Lawmakers approved the treaty."),
            ("Russian lawmakers ratify defense agreement with North Korea", "The Duma voted."),
        ),
    ],
)
def test_paraphrased_headlines_join(first: tuple[str, str], second: tuple[str, str]) -> None:
    assert together(("a", read("en", *first)), ("b", read("en", *second, hours=3)))


def test_arabic_paraphrases_join() -> None:
    treaty = read("ar", "الدوما تصادق على معاهدة الدفاع مع بيونغ يانغ", "صوت النواب بالإجماع")
    pact = read("ar", "البرلمان الروسي يقر الاتفاقية الدفاعية مع كوريا الشمالية", "مصادقة الدوما")
    assert together(("a", treaty), ("b", pact))


@pytest.mark.parametrize(
    ("arabic", "english"),
    [
        (
            ("البنتاغون: خسائر كبيرة للقوات الكورية الشمالية في كورسك", "قال متحدث باسم البنتاغون"),
            ("Pentagon says North Korean forces suffer heavy losses in Kursk", "A spokesman said."),
        ),
        (
            ("بوتين يهدي كيم سيارة ليموزين من طراز أوروس", "هدية جديدة من الرئيس الروسي"),
            ("Putin gifts Kim another Aurus limousine", "The car was delivered on Friday."),
        ),
        (
            ("بكين تراقب التقارب بين موسكو وبيونغ يانغ", "الصين قلقة من التعاون العسكري"),
            ("Beijing watches Moscow-Pyongyang military ties warily", "China is concerned."),
        ),
    ],
)
def test_reports_in_two_languages_join_on_names_and_terms(
    arabic: tuple[str, str], english: tuple[str, str]
) -> None:
    assert together(("ar", read("ar", *arabic)), ("en", read("en", *english, hours=2)))


def test_figures_written_differently_join_languages() -> None:
    arabic = read("ar", "كوريا الشمالية أرسلت ١٢ ألف حاوية ذخائر إلى روسيا", "وفق سيول")
    english = read("en", "North Korea shipped 12,000 containers of munitions to Russia", "Seoul")
    assert "#12000" in arabic.marks and "#12000" in english.marks
    assert together(("ar", arabic), ("en", english))


def test_dateline_figures_are_not_facts_of_the_event() -> None:
    one = read("en", "Kim inspects artillery units", "PYONGYANG, Sept. 13 (Yonhap) -- In 2023 he")
    other = read("en", "Lavrov meets Choe Son Hui", "MOSCOW, Sept. 13 (Reuters) - In 2023 they")
    assert not {m for m in one.marks if m.startswith("#")}
    assert not together(("a", one), ("b", other))


def test_a_new_development_two_days_later_is_another_story() -> None:
    capture = read(
        "en",
        "Ukraine captures two North Korean soldiers in Kursk",
        "Zelensky said the two wounded soldiers were being questioned in Kyiv.",
    )
    swap = read(
        "en",
        "Zelensky offers to swap captured North Korean soldiers for Ukrainians",
        "Kyiv is ready to hand the two soldiers to Kim if he arranges an exchange.",
        hours=50,
    )
    assert not together(("capture", capture), ("swap", swap))


def test_a_denial_is_not_the_claim_it_denies() -> None:
    claim = read(
        "en",
        "White House says North Korea shipped artillery shells to Russia",
        "Kirby said the shipments were disguised as deliveries to the Middle East.",
    )
    denial = read(
        "en",
        "North Korea denies shipping artillery shells to Russia",
        "Pyongyang called the White House claims groundless rumours.",
        hours=20,
    )
    assert "act:deny" in denial.marks and "act:deny" not in claim.marks
    assert not together(("claim", claim), ("denial", denial))


def test_topic_words_alone_do_not_join() -> None:
    one = read("en", "Putin and Kim exchange New Year greetings", "Russia and North Korea")
    other = read("en", "Putin says Russia values North Korea", "Moscow and Pyongyang")
    assert not together(("a", one), ("b", other))


def test_similarity_fades_with_time() -> None:
    text = ("North Korean deminers arrive in Kursk", "Sappers began clearing mines.")
    weigher = Weigher(rarity([read("en", *text)]))
    now, later, far = read("en", *text), read("en", *text, hours=48), read("en", *text, hours=96)
    assert similarity(now, now, weigher) > similarity(now, later, weigher) > 0
    assert similarity(now, far, weigher) == 0.0


def test_a_report_like_two_stories_does_not_chain_them() -> None:
    """One report that resembles two events (single linkage would join all three) joins one of
    them: the average over the other story's reports decides, not the best single pair."""
    summit = [
        read("en", "Putin and Kim hold summit in Vladivostok", "Talks lasted five hours."),
        read("en", "Putin, Kim summit ends in Vladivostok", "The leaders talked for five hours."),
    ]
    fair = [
        read("en", "Kozlov opens trade fair in Khabarovsk", "Exporters showed grain and oil."),
        read("en", "Khabarovsk trade fair draws exporters", "Kozlov said grain and oil sell."),
    ]
    bridge = read("en", "Vladivostok summit and Khabarovsk trade fair fill hotels", "Busy week.")
    weigher = Weigher(rarity([*summit, *fair, bridge]))
    assert similarity(bridge, fair[0], weigher) >= RULES.threshold  # a single link would chain
    found = groups(("s0", summit[0]), ("s1", summit[1]), ("f0", fair[0]), ("f1", fair[1]),
                   ("x", bridge))  # fmt: skip
    assert not any({"s0", "f0"} <= group for group in found)
    assert any({"s0", "s1"} <= group for group in found)
    assert any({"f0", "f1"} <= group for group in found)


# -- the grouping --------------------------------------------------------------------------------


REPORTS = [
    ("d1", read("en", "North Korean troops arrive in Kursk", "Thousands of soldiers deployed.")),
    ("d2", read("ar", "وصول قوات كورية شمالية إلى كورسك", "انتشار آلاف الجنود", hours=2)),
    ("d3", read("en", "North Korean soldiers deployed to Kursk front", "Seoul says.", hours=3)),
    ("t1", read("en", "Duma ratifies treaty with North Korea", "Lawmakers voted.", hours=1)),
    ("t2", read("ar", "الدوما تصادق على المعاهدة مع كوريا الشمالية", "صوت النواب", hours=4)),
    ("z1", read("en", "Putin gifts lions and bears to Pyongyang zoo", "Seventy animals.")),
    ("z2", read("ar", "بوتين يهدي حديقة حيوان بيونغ يانغ أسدا ودببة", "سبعون حيوانا", hours=5)),
]


def test_reports_of_three_events_form_three_stories() -> None:
    assert groups(*REPORTS) == {
        frozenset({"d1", "d2", "d3"}),
        frozenset({"t1", "t2"}),
        frozenset({"z1", "z2"}),
    }


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_grouping_does_not_depend_on_the_order_reports_are_read(rng: random.Random) -> None:
    shuffled = list(REPORTS)
    rng.shuffle(shuffled)
    assert groups(*shuffled) == groups(*REPORTS)


def test_a_new_report_joins_a_recent_story() -> None:
    recent = (Report("d1", REPORTS[0][1], story_id=7), Report("d3", REPORTS[2][1], story_id=7))
    decided = cluster(recent, [Report("d2", REPORTS[1][1])], RULES)
    assert decided.joins == {"d2": 7} and not decided.new_stories and not decided.merges


def test_a_bridging_report_merges_two_stories_into_the_older() -> None:
    """Two halves of one event that were first seen apart become one story when more reports
    show they are the same event; the older story keeps its id."""
    first, second = REPORTS[0][1], REPORTS[2][1]
    recent = (Report("d1", first, story_id=3), Report("d3", second, story_id=9))
    decided = cluster(recent, [Report("d2", REPORTS[1][1])], RULES)
    assert decided.merges == ((3, 9),)
    assert decided.joins == {"d2": 3}


def test_a_story_summary_stands_in_for_a_language_without_reports() -> None:
    english = read(
        "en",
        "North Korea opens first Russian-language school in Pyongyang",
        "Classes for hundreds of pupils started this week.",
    )
    arabic = read(
        "ar", "افتتاح مدرسة لتعليم اللغة الروسية في بيونغ يانغ", "بدأت الدروس لـ300 تلميذ"
    )
    recent = [Report("en1", english, story_id=4)]
    assert cluster(recent, [Report("ar1", arabic)], RULES).joins == {}
    summary = read("ar", "افتتاح أول مدرسة للغة الروسية في بيونغ يانغ", "تبدأ الدروس لـ300 تلميذ")
    recent.append(Report("~summary:4:ar", summary, story_id=4, pseudo=True))
    assert cluster(recent, [Report("ar1", arabic)], RULES).joins == {"ar1": 4}


def test_the_threshold_is_the_operators_knob() -> None:
    strict = Rules(threshold=0.95, horizon=RULES.horizon, contrast=RULES.contrast)
    reports = [Report(k, f) for k, f in REPORTS]
    assert len(cluster([], reports, RULES).new_stories) == 3
    assert len(cluster([], reports, strict).new_stories) > 3


# -- the vocabulary is data -------------------------------------------------------------------


def test_the_engine_reads_another_topics_vocabulary() -> None:
    data = {
        "story_term": [
            {"id": "act:launch", "en": "launch", "ar": "إطلاق", "aliases": ["lift-off"]},
            {"id": "act:scrub", "en": "scrub", "ar": "إلغاء", "contrast": True},
        ]
    }
    vocabulary = parse_vocabulary(data, topic_words=["Ariane"])
    assert vocabulary.terms(["launch"]) == {"act:launch"}
    assert vocabulary.contrast == frozenset({"act:scrub"})
    assert "arian" in vocabulary.topic_words


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ([{"id": "a", "en": "launch", "ar": "إطلاق"}, {"id": "b", "en": "launches", "ar": "x"}],
         "also an alias"),
        ([{"id": "a", "en": "launch", "ar": "إطلاق", "colour": "red"}], "unknown key"),
        ([{"id": "a", "en": "launch", "ar": "إطلاق", "contrast": "yes"}], "true or false"),
        ([{"id": "a", "en": "", "ar": "إطلاق"}], "non-empty"),
        ([{"id": "a", "en": "launch", "ar": "إطلاق"}, {"id": "a", "en": "x", "ar": "y"}],
         "duplicate id"),
    ],
)  # fmt: skip
def test_a_bad_vocabulary_is_a_clear_config_error(terms: list[object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_vocabulary({"story_term": terms}, "topic.toml")


def test_the_packaged_topic_has_a_vocabulary() -> None:
    assert len(READER.vocabulary) > 50
    assert "act:deny" in READER.vocabulary.contrast


# -- what a review found ---------------------------------------------------------------------


def test_one_roundup_report_does_not_fuse_two_stories() -> None:
    troops = read("en", "North Korean troops arrive in Kursk", "Thousands of soldiers deployed.")
    treaty = read("en", "Duma ratifies partnership treaty with North Korea", "Lawmakers voted.")
    roundup = read(
        "en",
        "North Korean troops arrive in Kursk as Duma ratifies treaty",
        "Soldiers deployed while lawmakers voted on the partnership treaty.",
        hours=1,
    )
    recent = (Report("t", troops, story_id=1), Report("d", treaty, story_id=2))
    decided = cluster(recent, [Report("r", roundup)], RULES)
    assert decided.merges == ()
    assert decided.joins in ({"r": 1}, {"r": 2}, {})


def test_a_later_poll_never_merges_stories_that_no_new_report_links() -> None:
    one = read("en", "North Korean troops arrive in Kursk", "Thousands of soldiers deployed.")
    two = read("en", "North Korean soldiers deployed to Kursk", "Thousands of troops arrive.", 2)
    # shares "Kursk" with both, so both stories take part, but joins neither
    unrelated = read(
        "en",
        "Kursk region governor opens a new school for pupils in the city centre",
        "Lessons begin on Monday with three hundred children enrolled and new teachers hired.",
    )
    recent = (Report("a", one, story_id=1), Report("b", two, story_id=2))
    weigher = Weigher(rarity([one, two, unrelated]))
    assert similarity(one, two, weigher) >= RULES.threshold  # alike enough to be one story
    assert 0 < similarity(unrelated, one, weigher) < RULES.threshold  # reached, not joined
    decided = cluster(recent, [Report("z", unrelated)], RULES)
    assert decided.merges == () and decided.new_stories == (("z",),)


def test_reports_need_keys_of_their_own() -> None:
    report = Report("a", REPORTS[0][1])
    with pytest.raises(ValueError, match="key"):
        cluster([Report("a", REPORTS[1][1], story_id=1)], [report], RULES)
