"""The kinds of error real outlets' text showed the topic filter, each with items written for
this test in both languages: lists of countries, concessive clauses, inflected Arabic demonyms,
institutions that name a side without naming the country, and KCNA's "overseas military
operations". The figures on real text are in test_topic_dev.py; these items are not from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.text.normalize import normalize
from bot.topic.lexicon import Lexicon
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import parse_lexicon

# ── lists of countries ──

LISTS_REJECT = [
    pytest.param(
        "Pentagon report says China, North Korea, Iran and Russia pose growing threats",
        "",
        id="en-list-title",
    ),
    pytest.param(
        "Cyber agency names the main state hackers",
        "Groups backed by Russia, China, Iran, and the DPRK carried out most attacks, it said.",
        id="en-list-lead",
    ),
    pytest.param(
        "تقرير للبنتاغون: الصين وكوريا الشمالية وإيران وروسيا تشكل تهديدات متزايدة",
        "",
        id="ar-list-title",
    ),
    pytest.param(
        "روسيا كوريا الشمالية ايران والصين في مواجهة الغرب", "", id="ar-list-without-commas"
    ),
    pytest.param(
        "Analysts: backing from China, Iran and North Korea keeps Russia's war going",
        "",
        id="en-one-side-listed",
    ),
    pytest.param(
        "محللون: دعم الصين وإيران وكوريا الشمالية يطيل حرب روسيا", "", id="ar-one-side-listed"
    ),
    pytest.param(
        "Spy chief warns of threats from China and North Korea",
        "He also named Iran and Russia among the country's adversaries.",
        id="en-list-split-title-lead",
    ),
    pytest.param(
        "رئيس الاستخبارات يحذر من تهديدات الصين وكوريا الشمالية",
        "وذكر أيضا إيران وروسيا بين خصوم بلاده.",
        id="ar-list-split-title-lead",
    ),
    pytest.param(
        "Chinese, Russian, Iranian and North Korean hackers target elections",
        "",
        id="en-list-of-demonyms",
    ),
    pytest.param(
        "قراصنة صينيون وروس وإيرانيون وكوريون شماليون يستهدفون الانتخابات",
        "",
        id="ar-list-of-demonyms",
    ),
    pytest.param(
        "Sanctions list adds firms from China, South Korea and Russia",
        "Two North Korean shipping agents were also named.",
        id="en-list-with-a-trap",
    ),
]

LISTS_ACCEPT = [
    # a list of people of the two sides is no list of countries
    pytest.param("Putin, Lavrov and Shoigu welcome Kim Jong Un", "", id="en-people"),
    pytest.param("بوتين ولافروف وشويغو يستقبلون كيم جونغ أون", "", id="ar-people"),
    # one side beside a third country, the other named plainly
    pytest.param("Russia and China block new UN sanctions on North Korea", "", id="en-pair"),
    pytest.param("روسيا والصين تعرقلان عقوبات جديدة على كوريا الشمالية", "", id="ar-pair"),
    pytest.param(
        "China and Russia veto US draft",
        "The draft would have tightened sanctions on North Korea.",
        id="en-pair-title-plain-lead",
    ),
    # a hyphen joins the pair the item is about
    pytest.param("Japan, South Korea condemn Russia-North Korea arms deal", "", id="en-hyphen"),
    pytest.param("الصين تراقب التقارب بين روسيا وكوريا الشمالية", "", id="ar-third-not-listed"),
]


@pytest.mark.parametrize(("title", "summary"), LISTS_REJECT)
def test_lists_of_countries_do_not_link(matcher: TopicMatcher, title: str, summary: str) -> None:
    decision = matcher.classify(title, summary)
    assert not decision.relevant, decision.reason


@pytest.mark.parametrize(("title", "summary"), LISTS_ACCEPT)
def test_lists_that_are_not_lists_of_countries(
    matcher: TopicMatcher, title: str, summary: str
) -> None:
    decision = matcher.classify(title, summary)
    assert decision.relevant, decision.reason


def test_a_listed_side_is_named_in_the_reason(matcher: TopicMatcher) -> None:
    decision = matcher.classify("China, Russia, Iran and North Korea: the new axis")
    assert decision.reason == "names a side only in a list of countries or a concessive clause"
    assert decision.score == 0.0


def test_a_list_does_not_hide_a_plain_mention(matcher: TopicMatcher) -> None:
    title = "China, Russia, Iran and North Korea meet; Putin hosts North Korea's foreign minister"
    assert matcher.classify(title).relevant


# ── concessive clauses ──

CONCESSIVE = [
    ("North Korean leader assures Xi of lasting friendship, despite alignment with Russia", False),
    ("الزعيم الكوري الشمالي يؤكد لشي صداقة دائمة رغم تقارب بلاده مع روسيا", False),
    ("الزعيم الكوري الشمالي يؤكد لشي صداقة دائمة على الرغم من تقاربه مع روسيا", False),
    ("Russia and North Korea sign trade deal despite Western warnings", True),
    ("روسيا وكوريا الشمالية توقعان اتفاقا تجاريا رغم التحذيرات الغربية", True),
    # a clause that opens the title is the setting, and a comma ends the clause
    ("Despite sanctions, Russia and North Korea expand trade", True),
    ("رغم العقوبات، روسيا وكوريا الشمالية توسعان التجارة", True),
    ("Despite sanctions Russia and North Korea expand trade", True),
    ("رغم العقوبات روسيا وكوريا الشمالية توسعان التجارة", True),
    ("Kim, despite the cold, greets Putin in Pyongyang", True),
]


@pytest.mark.parametrize(("title", "relevant"), CONCESSIVE)
def test_a_side_named_only_in_a_concessive_clause_is_background(
    matcher: TopicMatcher, title: str, relevant: bool
) -> None:
    decision = matcher.classify(title)
    assert decision.relevant is relevant, decision.reason


# ── inflected demonyms ──


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("الروسيات", "ru:russian"),
        ("روسيات", "ru:russian"),
        ("والروسيات", "ru:russian"),
        ("روسيون", "ru:russian"),
        ("الكوريات الشماليات", "nk:north-korean"),
        ("كوريات شماليات", "nk:north-korean"),
        ("للكوريين الشماليين", "nk:north-korean"),
        ("الكوريون الشماليون", "nk:north-korean"),
        ("كورياً شمالياً", "nk:north-korean"),
        ("الكورى الشمالى", "nk:north-korean"),
        ("الكوريات الجنوبيات", "trap:south-korea"),
        ("كوريات جنوبيات", "trap:south-korea"),
    ],
)
def test_nisba_forms(lexicon: Lexicon, text: str, entity: str) -> None:
    assert [hit.entity for hit in lexicon.find(normalize(text))] == [entity]


@pytest.mark.parametrize("text", ["الكوريتين", "الكوريتان", "جمهوريون", "روسيا"])
def test_no_north_korea_or_russian_from_other_forms(lexicon: Lexicon, text: str) -> None:
    # the dual is "the two Koreas"; روسيا stays the country, not the accusative of روسي
    entities = {hit.entity for hit in lexicon.find(normalize(text))}
    assert not entities & {"nk:north-korean", "ru:russian"}


@pytest.mark.parametrize(
    "title",
    [
        "وفد من الطالبات الروسيات يزور بيونغ يانغ",
        "موسكو أطلقت صاروخاً كورياً شمالياً على خاركيف",
        "مجندات كوريات شماليات يتدربن في منطقة كورسك",
        "بوتين يلتقي العمال الكوريين الشماليين في فلاديفوستوك",
    ],
)
def test_inflected_demonyms_name_a_side(matcher: TopicMatcher, title: str) -> None:
    decision = matcher.classify(title)
    assert decision.relevant, decision.reason


def test_nisba_forms_are_generated_only_for_marked_adjectives(tmp_path: Path) -> None:
    lexicon = parse_lexicon(
        """
[topic]
sides = ["a", "b"]

[[entity]]
id = "a:french"
group = "a"
nisba = true
ar = "الفرنسي"
en = "French"
aliases = ["فرنسا", "قصر الإليزيه"]

[[entity]]
id = "b:malian"
group = "b"
ar = "المالي"
en = "Malian"
"""
    )
    french = lexicon.entity("a:french")
    assert {"الفرنسيون", "الفرنسيين", "الفرنسيات", "الفرنسيه"} <= set(french.aliases)
    # names are left alone: only aliases made of nisba words inflect
    assert not any(alias.startswith("قصر ") and alias != "قصر الاليزيه" for alias in french.aliases)
    assert "فرنسيون" not in french.aliases
    # an entity without the flag gets nothing
    assert lexicon.entity("b:malian").aliases == ("المالي", "malian")


def test_a_nisba_form_written_elsewhere_stays_with_its_entity() -> None:
    lexicon = parse_lexicon(
        """
[topic]
sides = ["a", "b"]

[[entity]]
id = "a:french"
group = "a"
nisba = true
ar = "فرنسي"
en = "French"

[[entity]]
id = "a:women"
group = "a"
ar = "فرنسيات"
en = "French women"

[[entity]]
id = "b:mali"
group = "b"
ar = "مالي"
en = "Mali"
"""
    )
    assert "فرنسيات" not in lexicon.entity("a:french").aliases
    assert "فرنسيون" in lexicon.entity("a:french").aliases
    assert [h.entity for h in lexicon.find("فرنسيات")] == ["a:women"]


def test_nisba_must_be_a_flag() -> None:
    with pytest.raises(ConfigError, match="'nisba' must be true or false"):
        parse_lexicon(
            '[topic]\nsides = ["a", "b"]\n'
            '[[entity]]\nid = "a:x"\ngroup = "a"\nar = "س"\nen = "X"\nnisba = "yes"\n'
            '[[entity]]\nid = "b:y"\ngroup = "b"\nar = "ص"\nen = "Y"\n'
        )


# ── institutions name their side ──

INSTITUTIONS = [
    "Korean People's Army delegation arrives in Moscow",
    "Korean People’s Army delegation arrives in Moscow",
    "وفد من جيش الشعب الكوري يصل إلى موسكو",
    "State Duma ratifies agreement with Pyongyang",
    "مجلس الدوما يصادق على اتفاقية مع بيونغ يانغ",
    "FSB director meets his North Korean counterpart",
    "Air Koryo resumes flights to Vladivostok",
    "طيران كوريو يستأنف رحلاته إلى فلاديفوستوك",
    "لجنة شؤون الدولة تبحث التعاون مع موسكو",
    "Rosoboronexport denies talks with Pyongyang",
    "وكالة الأنباء الكورية المركزية تنشر رسالة بوتين",
]


@pytest.mark.parametrize("title", INSTITUTIONS)
def test_institutions_name_their_side(matcher: TopicMatcher, title: str) -> None:
    decision = matcher.classify(title)
    assert decision.relevant, decision.reason


def test_council_of_another_union_is_not_russia(matcher: TopicMatcher) -> None:
    assert not matcher.classify("مجلس الاتحاد الأوروبي يناقش العلاقات مع كوريا الشمالية").relevant


# ── KCNA's name for the deployment ──


@pytest.mark.parametrize(
    ("title", "relevant"),
    [
        ("Kim Jong Un honours soldiers killed in overseas military operations", True),
        ("كيم جونغ أون يكرم الجنود الذين قتلوا في العمليات العسكرية في الخارج", True),
        ("North Korea opens museum of the overseas military operation", True),
        # said of anyone else, the phrase is no link
        ("Pentagon reviews the cost of overseas military operations", False),
        ("فرنسا تراجع كلفة العمليات العسكرية الخارجية", False),
    ],
)
def test_overseas_military_operations(matcher: TopicMatcher, title: str, relevant: bool) -> None:
    decision = matcher.classify(title)
    assert decision.relevant is relevant, decision.reason


# ── the engine knows no countries: third parties come from the topic file ──

CUSTOM = """
[topic]
name = "France–Mali relations"
sides = ["fr", "ml"]

[[entity]]
id = "fr:france"
group = "fr"
ar = "فرنسا"
en = "France"
aliases = ["باريس", "Paris"]

[[entity]]
id = "ml:mali"
group = "ml"
ar = "مالي"
en = "Mali"
aliases = ["باماكو", "Bamako"]

[[entity]]
id = "other:niger"
group = "other"
ar = "النيجر"
en = "Niger"
aliases = ["نيامي"]
"""


def test_lists_come_from_the_topic_file() -> None:
    matcher = TopicMatcher(parse_lexicon(CUSTOM, "custom"))
    assert not matcher.classify("France, Niger and Mali face drought").relevant
    assert not matcher.classify("فرنسا والنيجر ومالي تواجه الجفاف").relevant
    assert matcher.classify("France and Mali face drought").relevant
    # Without the third country in the file, the same words are a plain pair.
    bare = TopicMatcher(parse_lexicon(CUSTOM.split('[[entity]]\nid = "other')[0], "bare"))
    assert bare.classify("France, Niger and Mali face drought").relevant
    # a third country is never a side, nor a name that search widens
    assert matcher.entities("Niger and Mali") == ("ml:mali",)
    assert matcher.alias_expander()(["niger"]) is None


def test_default_third_countries_are_not_expanded_by_search(matcher: TopicMatcher) -> None:
    expand = matcher.alias_expander()
    assert expand(["china"]) is None
    assert expand(["الصين"]) is None
    assert expand(["kursk"]) is not None
