"""The topic filter: research C.1 (must reject) and C.2 (must accept) as tables, the lexicon's
matching rules, its loading errors, and a topic of a different subject from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.models import EntityName
from bot.text.normalize import normalize
from bot.topic.lexicon import Lexicon
from bot.topic.matcher import MAX_BODY_CHARS, MAX_TITLE_CHARS, TopicMatcher
from bot.topic.reading import strip_dateline
from bot.topic.topic_file import load_lexicon, parse_lexicon

# Research C.2 and B.3: headline-only items, Arabic spelling variants, clitics, bridges, and the
# position rules (title + first sentence; two body sentences).
MUST_ACCEPT = [
    pytest.param("موسكو وبيونغ يانغ توقعان معاهدة دفاع مشترك", "", id="ar-capitals"),
    pytest.param("Pyongyang, Moscow sign pact", "", id="en-capitals"),
    pytest.param("بوتين يستقبل كيم جونغ أون في قاعدة فوستوتشني الفضائية", "", id="ar-putin-kim"),
    pytest.param("Putin hosts Kim at Russian spaceport", "", id="en-putin-bare-kim"),
    pytest.param("بوتين وكيم يتبادلان الهدايا", "", id="ar-putin-bare-kim"),
    pytest.param("کوریا الشمالیة و روسیا تعززان التعاون", "", id="ar-persian-letters"),
    pytest.param("وزير الدفاع الروسي شويجو يصل إلى بيونج يانج", "", id="ar-egyptian"),
    pytest.param("الزعيم الكورى الشمالى يزور موسكو", "", id="ar-egyptian-gentilic"),
    pytest.param("كيـــم جونغ اون يلتقي لافروف", "", id="ar-hamzaless-tatweel"),
    pytest.param("ﺑﻮﺗﻴﻦ يصل إلى بيونغيانغ", "", id="ar-presentation-forms"),
    pytest.param("الكرملين\u200b: زيارة كيم جونغ\u200cأون مهمة", "", id="ar-zw-chars"),
    pytest.param("بيونگ يانگ تشكر روسيا", "", id="ar-persian-gaf"),
    pytest.param("وبوتين يصل بيونغ يانغ", "", id="ar-clitics"),
    pytest.param("رسالة من كوريا الشمالية للكرملين", "", id="ar-lil"),
    pytest.param("كيم جونغ أون بموسكو", "", id="ar-bi"),
    pytest.param("Russia's envoy meets North Korea's foreign minister", "", id="en-possessive"),
    pytest.param("DPRK–Russia treaty enters into force", "", id="en-dprk"),
    pytest.param(
        "Ukraine says it captured two North Korean soldiers",
        "The soldiers were taken prisoner in Russia's Kursk region, Kyiv said.",
        id="en-ukraine-captured",
    ),
    pytest.param(
        "أوكرانيا تأسر جنديين كوريين شماليين",
        "قالت كييف إن الجنديين أسرا في منطقة كورسك الروسية.",
        id="ar-ukraine-captured",
    ),
    pytest.param("Satellite images show rail traffic at Tumangang", "", id="en-tumangang"),
    pytest.param(
        "بدء بناء جسر بري فوق نهر تومين",
        "تربط الجسر روسيا بجارتها عبر النهر.",
        id="ar-tumen-bridge",
    ),
    pytest.param("Passenger train between Moscow and Pyongyang resumes", "", id="en-train-resumes"),
    pytest.param("North Korean TV switches to Express-103 satellite", "", id="en-express-103"),
    pytest.param("Duma speaker Volodin arrives in Pyongyang", "", id="en-volodin"),
    pytest.param("ميدفيديف يزور كوريا الديمقراطية الشعبية", "", id="ar-medvedev"),
    pytest.param("Ambassador Matsegora says ties at historic high", "", id="en-matsegora"),
    pytest.param("السفير ماتسيغورا: العلاقات في أعلى مستوياتها", "", id="ar-matsegora"),
    pytest.param("Russia vetoes UN panel monitoring North Korea sanctions", "", id="en-veto"),
    pytest.param("MSMT report details arms transfers", "", id="en-msmt"),
    pytest.param(
        "Kim Jong Un inspects artillery factory",
        "North Korean leader Kim Jong Un visited a munitions plant supplying shells to Russia, "
        "KCNA said.",
        id="en-lead-rule",
    ),
    pytest.param(
        "كيم جونغ أون يتفقد مصنعا للذخائر",
        "تفقد الزعيم الكوري الشمالي مصنعا يورد القذائف إلى روسيا. وقال إن الانتاج سيزيد.",
        id="ar-lead-rule",
    ),
    pytest.param(
        "Analysis: a new axis in Asia",
        "Russia and North Korea signed a defence treaty. Moscow and Pyongyang also agreed on "
        "rail links. Other details were not given.",
        id="en-body-two",
    ),
    pytest.param(
        "Kim, Shoigu discuss security",
        "PYONGYANG, Sept 13 (KCNA) -- The talks were held.",
        id="en-kcna-dateline-title-both",
    ),
    pytest.param("بيلوسوف في بيونغ يانغ لبحث التعاون العسكري", "", id="ar-belousov"),
    pytest.param("تشوي سون هي تصل إلى موسكو", "", id="ar-choe"),
    pytest.param("Choe Son Hui meets Lavrov in Moscow", "", id="en-choe"),
    pytest.param("قوات كورية شمالية تقاتل في كورسك", "", id="ar-ksa-kursk-nk"),
    pytest.param(
        "Lavrov discusses North Korea with South Korean counterpart",
        "",
        id="en-south-korea-borderline",
    ),
    pytest.param(
        "كوريا الشمالية تصادق على معاهدة الشراكة الاستراتيجية الشاملة", "", id="ar-treaty-nk"
    ),
    pytest.param("كيم يصل إلى روسيا اليوم", "", id="ar-rt-not-swallowing"),
]

# Research C.1: one side only, South Korea, Ukraine-war Kursk, sports, brands, Pyeongchang,
# other Kims, the Kursk submarine, attribution-only Russia, China/US–DPRK, boilerplate lines.
MUST_REJECT = [
    pytest.param(
        "North Korea fires ballistic missile into sea",
        "North Korea fired a ballistic missile on Thursday, Seoul said. The launch was the third "
        "this month. Pyongyang has deepened military ties with Moscow.",
        id="en-nk-missile-boilerplate",
    ),
    pytest.param(
        "كوريا الشمالية تطلق صاروخا باليستيا",
        "أطلقت كوريا الشمالية صاروخا باليستيا. وهذه ثالث عملية إطلاق هذا الشهر. "
        "وعمقت بيونغ يانغ علاقاتها العسكرية مع موسكو.",
        id="ar-nk-missile-boilerplate",
    ),
    pytest.param("Lavrov meets South Korean foreign minister", "", id="en-lavrov-south-korea"),
    pytest.param("لافروف يلتقي وزير الخارجية الكوري الجنوبي", "", id="ar-lavrov-south-korea"),
    pytest.param("Lavrov meets South Korea's Kim", "", id="en-lavrov-sk-kim"),
    pytest.param("Seoul and Moscow hold consular talks", "", id="en-seoul-moscow-consular"),
    pytest.param("روسيا وجمهورية كوريا تبحثان الرحلات الجوية", "", id="ar-korea-rep"),
    pytest.param("Ukrainian drones strike Kursk region", "", id="en-ukraine-kursk"),
    pytest.param("مسيرات أوكرانية تهاجم منطقة كورسك الروسية", "", id="ar-ukraine-kursk"),
    pytest.param(
        "Ukraine's Kursk incursion enters second month",
        "Kyiv's troops hold ground in Russia's Kursk region.",
        id="en-kursk-incursion",
    ),
    pytest.param(
        "North Korea beat South Korea in World Cup qualifier in Pyongyang",
        "",
        id="en-sports-qualifier",
    ),
    pytest.param(
        "منتخب كوريا الشمالية يستضيف كوريا الجنوبية في ملعب كيم إيل سونغ",
        "",
        id="ar-sports-stadium",
    ),
    pytest.param("Russia beats Korea in volleyball friendly", "", id="en-volleyball"),
    pytest.param("BTS to perform in Moscow despite sanctions", "", id="en-kpop"),
    pytest.param("Putin congratulates Russian athletes in Pyeongchang", "", id="en-pyeongchang"),
    pytest.param("بوتين يهنئ الرياضيين الروس في بيونغ تشانغ", "", id="ar-pyeongchang"),
    pytest.param("Kim Kardashian visits Moscow", "", id="en-kardashian"),
    pytest.param("روسيا تحيي ذكرى كيم جونغ إيل", "", id="ar-kim-jong-il"),
    pytest.param(
        "Russia marks 25 years since Kursk submarine disaster", "", id="en-kursk-submarine"
    ),
    pytest.param("روسيا تحتفل بذكرى معركة كورسك", "", id="ar-kursk-battle"),
    pytest.param("Battle of Lake Khasan remembered in Primorye", "", id="en-lake-khasan"),
    pytest.param("كوريا الشمالية تطلق صاروخا جديدا - قناة روسيا اليوم", "", id="ar-rt-attribution"),
    pytest.param(
        "North Korea test-fires cruise missiles",
        "MOSCOW, Nov 3 /TASS/. North Korea test-fired several cruise missiles, KCNA reported.",
        id="en-tass-dateline",
    ),
    pytest.param(
        "كوريا الشمالية تجري تجربة صاروخية",
        "موسكو - سبوتنيك. أجرت كوريا الشمالية تجربة صاروخية جديدة، حسب وكالة سبوتنيك الروسية.",
        id="ar-sputnik",
    ),
    pytest.param("North Korea launches satellite, Russia's TASS reports", "", id="en-tass-title"),
    pytest.param("Xi and Kim pledge to deepen ties", "", id="en-xi-kim"),
    pytest.param("Trump says he would meet Kim again", "", id="en-trump-kim"),
    pytest.param("الصين وكوريا الشمالية تفتتحان جسرا على نهر تومين", "", id="ar-china-tumen"),
    pytest.param(
        "Putin ratifies comprehensive strategic partnership treaty with Iran",
        "",
        id="en-iran-treaty",
    ),
    pytest.param("بروسيا دورتموند يفوز في كوريا", "", id="ar-borussia"),
    pytest.param("بطولة فروسية في بيونغ يانغ", "", id="ar-equestrian"),
    pytest.param(
        "Oil prices rise as OPEC meets", "Brent crude rose 2% on Monday.", id="en-unrelated"
    ),
]


@pytest.mark.parametrize(("title", "summary"), MUST_ACCEPT)
def test_must_accept(matcher: TopicMatcher, title: str, summary: str) -> None:
    decision = matcher.classify(title, summary)
    assert decision.relevant, decision.reason
    assert 0.5 <= decision.score <= 1.0
    assert decision.matched == tuple(sorted(decision.matched))
    assert decision.matched


@pytest.mark.parametrize(("title", "summary"), MUST_REJECT)
def test_must_reject(matcher: TopicMatcher, title: str, summary: str) -> None:
    decision = matcher.classify(title, summary)
    assert not decision.relevant, decision.reason
    assert 0.0 <= decision.score < 0.5


def test_reasons_name_the_rule_and_the_entities(matcher: TopicMatcher) -> None:
    assert matcher.classify("موسكو وبيونغ يانغ").reason == (
        "title names both sides: nk:pyongyang + ru:moscow"
    )
    lead = matcher.classify("Kim Jong Un inspects factory", "Shells go to Russia, KCNA said.")
    assert lead.reason == "title names nk:kim-jong-un, first sentence names ru:russia"
    assert matcher.classify("Oil prices rise").reason == "names neither side"


def test_lead_rule_uses_only_the_first_sentence(matcher: TopicMatcher) -> None:
    # Research B.5: using the first two sentences accepted an NK missile story whose second
    # sentence was boilerplate about Moscow.
    title = "North Korea fires missile"
    assert not matcher.classify(title, "It flew 500 km. Pyongyang has ties with Moscow.").relevant
    assert matcher.classify(title, "Pyongyang has ties with Moscow. It flew 500 km.").relevant


def test_summary_repeated_in_content_is_not_counted_twice(matcher: TopicMatcher) -> None:
    lead = "Markets were calm this week. Russia and North Korea held talks."
    assert not matcher.classify("Weekly digest", lead, lead).relevant
    more = f"{lead}\nMoscow and Pyongyang agreed."
    assert matcher.classify("Weekly digest", lead, more).relevant


def test_content_counts_like_summary(matcher: TopicMatcher) -> None:
    decision = matcher.classify(
        "Ukraine captures soldiers",
        "",
        "The fighting went on. North Korean troops fought in Kursk.",
    )
    assert not decision.relevant  # one linked sentence, not the lead: needs two
    decision = matcher.classify(
        "North Korean soldiers captured", "", "They fought in Russia's Kursk region."
    )
    assert decision.relevant


def test_lead_naming_both_sides_is_enough(matcher: TopicMatcher) -> None:
    decision = matcher.classify(
        "Analysis: a new axis in Asia", "Russia and North Korea signed a defence treaty."
    )
    assert decision.relevant
    assert decision.reason == "first sentence names both sides: nk:north-korea + ru:russia"
    # only the lead: the same sentence later in the body is one linked sentence, not enough
    later = "Few expected it. Russia and North Korea signed a defence treaty."
    assert not matcher.classify("Analysis: a new axis in Asia", later).relevant


@pytest.mark.parametrize(
    "summary",
    [
        "Debris from the Jan. 2 strike came from a North Korean missile supplied to Russia.",
        "Gen. Kim spoke. North Korean shells went to Russia, the St. Petersburg daily said.",
    ],
)
def test_abbreviations_do_not_end_the_lead(matcher: TopicMatcher, summary: str) -> None:
    decision = matcher.classify("Kharkiv strike investigated", summary)
    assert decision.relevant == summary.startswith("Debris"), decision.reason


@pytest.mark.parametrize(
    ("title", "relevant"),
    [
        ("كوريا الشمالية تختبر صاروخ كروز جديدا - روسيا اليوم", False),
        ("كوريا الشمالية تختبر صاروخ كروز جديدا | روسيا اليوم", False),
        ("North Korea tests cruise missile (Russia Today)", False),
        ('North Korea tests cruise missile, "RT" says', False),
        # as words of a sentence, "روسيا اليوم" is "Russia today"
        ("كيم يصل إلى روسيا اليوم", True),
        ("روسيا اليوم تستقبل وفدا من كوريا الشمالية", True),
    ],
)
def test_set_off_source_names(matcher: TopicMatcher, title: str, relevant: bool) -> None:
    assert matcher.classify(title).relevant is relevant


def test_cues_raise_the_score_but_never_decide(matcher: TopicMatcher) -> None:
    plain = matcher.classify("Putin and Kim Jong Un talk")
    cued = matcher.classify("Putin and Kim Jong Un talk troops, treaty and satellite at summit")
    assert cued.score > plain.score
    assert not matcher.classify("Summit on troops, treaty, satellite, sanctions and veto").relevant


def test_bridge_requirement(matcher: TopicMatcher) -> None:
    assert not matcher.classify("New bridge over the Tumen River opens").relevant
    assert matcher.classify("Russia opens bridge over the Tumen River").relevant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moscow, nov 3 /tass/. north korea fired", "north korea fired"),
        ("seoul, oct. 31 (yonhap) -- north korea said", "north korea said"),
        ("(reuters) - north korea said", "north korea said"),
        ("seoul/moscow (reuters) - north korea fired", "north korea fired"),
        ("kyiv/moscow, jan 5 (reuters) - talks", "talks"),
        ("سيول/ موسكو (رويترز) - اطلقت", "اطلقت"),
        ("موسكو - اعلن الكرملين", "اعلن الكرملين"),
        ("بيونغ يانغ, 5 مارس (شينخوا) -- قال", "قال"),
        # not datelines: headline-like pairs, compounds, no separator
        ("موسكو وبيونغ يانغ - اتفاق", "موسكو وبيونغ يانغ - اتفاق"),
        ("moscow and pyongyang - a pact", "moscow and pyongyang - a pact"),
        ("moscow-pyongyang rail link reopens", "moscow-pyongyang rail link reopens"),
        ("north korea fired a missile", "north korea fired a missile"),
    ],
)
def test_strip_dateline(text: str, expected: str) -> None:
    assert strip_dateline(text) == expected


# ── lexicon matching ──


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("وبوتين", "ru:putin"),
        ("للكرملين", "ru:kremlin"),
        ("والكرملين", "ru:kremlin"),
        ("بالكرملين", "ru:kremlin"),
        ("بموسكو", "ru:moscow"),
        ("لروسيا", "ru:russia"),
        ("وبيونغ يانغ", "nk:pyongyang"),
        ("Russia's", "ru:russia"),
        ("RUSSIA", "ru:russia"),
        ("North Korea's", "nk:north-korea"),
        ("N. Korea", "nk:north-korea"),
        ("D.P.R.K.", "nk:north-korea"),
        ("كيم جونغ-أون", "nk:kim-jong-un"),
        ("بيونج يانج", "nk:pyongyang"),
        ("بيونقيانق", "nk:pyongyang"),
        ("شويجو", "ru:shoigu"),
        ("بوتن", "ru:putin"),
    ],
)
def test_find_aliases(lexicon: Lexicon, text: str, entity: str) -> None:
    hits = lexicon.find(normalize(text))
    assert [hit.entity for hit in hits] == [entity]
    assert hits[0].start == 0
    assert not hits[0].weak


@pytest.mark.parametrize(
    "text", ["وتين", "بروس", "كروس", "لروس", "فروسية", "بروسيا دورتموند", "دروس", "ديانا روسا"]
)
def test_no_side_hit_for_lookalikes(lexicon: Lexicon, text: str) -> None:
    groups = {hit.group for hit in lexicon.find(normalize(text))}
    assert not groups & {"russia", "nk"}


@pytest.mark.parametrize("text", ["سياح روس", "خبراء وروس"])
def test_exact_alias_matches_only_as_written(lexicon: Lexicon, text: str) -> None:
    assert [hit.entity for hit in lexicon.find(normalize(text))] == ["ru:russian"]


def test_find_positions_and_consumption(lexicon: Lexicon) -> None:
    hits = lexicon.find(normalize("South Korea and North Korea and Kim"))
    assert [(h.entity, h.group, h.start, h.length, h.weak) for h in hits] == [
        ("trap:south-korea", "trap", 0, 2, False),
        ("nk:north-korea", "nk", 3, 2, False),
        ("nk:kim-jong-un", "nk", 6, 1, True),
    ]
    assert hits[1].end == 5


def test_longest_reading_wins(lexicon: Lexicon) -> None:
    # "جمهورية كوريا" alone is South Korea; with الديمقراطية الشعبية it is the North
    nk = lexicon.find(normalize("جمهورية كوريا الديمقراطية الشعبية"))
    assert [h.entity for h in nk] == ["nk:north-korea"]
    south = lexicon.find(normalize("جمهورية كوريا"))
    assert [h.entity for h in south] == ["trap:south-korea"]
    tass = lexicon.find(normalize("وكالة تاس الروسية"))
    assert [h.entity for h in tass] == ["attr:tass"]


def test_entity_lookup(lexicon: Lexicon) -> None:
    kremlin = lexicon.entity("ru:kremlin")
    assert (kremlin.group, kremlin.ar, kremlin.en) == ("russia", "الكرملين", "Kremlin")
    assert "kremlin" in kremlin.aliases
    assert "الكرملين" in kremlin.aliases
    with pytest.raises(KeyError):
        lexicon.entity("ru:nowhere")


def test_all_aliases_are_stored_normalized(lexicon: Lexicon) -> None:
    for entity in lexicon.entities:
        for alias in entity.aliases:
            assert normalize(alias) == alias, (entity.id, alias)


def test_packaged_file_loads_the_same_by_path(lexicon: Lexicon) -> None:
    path = Path(__file__).parent.parent / "bot" / "data" / "topic" / "default.toml"
    again = load_lexicon(path)
    assert [e.id for e in again.entities] == [e.id for e in lexicon.entities]
    assert lexicon.sides == ("russia", "nk")


# ── matcher helpers used by clustering, summaries and search ──


def test_entities_in_order_of_mention(matcher: TopicMatcher) -> None:
    ids = matcher.entities("بوتين يستقبل كيم في فلاديفوستوك\nتحدث الكرملين عن القمة، وفق تاس")
    assert ids == ("ru:putin", "nk:kim-jong-un", "ru:vladivostok", "ru:kremlin")
    # no attribution, trap or cue; no weak Kim without the other side
    assert matcher.entities("Kim Kardashian and Kim meet TASS at a summit in Seoul") == ()
    assert matcher.entities("Matsegora spoke") == ("bridge:matsegora",)


def test_entity_names(matcher: TopicMatcher) -> None:
    names = matcher.entity_names(["nk:pyongyang", "unknown:id", "ru:putin"])
    assert names == (
        EntityName(id="nk:pyongyang", ar="بيونغ يانغ", en="Pyongyang"),
        EntityName(id="ru:putin", ar="بوتين", en="Putin"),
    )


def test_entity_score(matcher: TopicMatcher) -> None:
    assert matcher.entity_score("Putin met Kim Jong Un in Pyongyang; Putin left.") == 3
    assert matcher.entity_score("The weather was fine.") == 0
    assert matcher.entity_score("وفق وكالة تاس") == 0


def test_generic_entities(matcher: TopicMatcher) -> None:
    generic = set(matcher.generic_entities())
    assert {"ru:russia", "nk:north-korea", "ru:putin", "nk:pyongyang"} <= generic
    assert "ru:kursk" not in generic
    assert "bridge:tumangang" not in generic


def test_alias_expander(matcher: TopicMatcher) -> None:
    expand = matcher.alias_expander()
    kursk = expand(["kursk"])
    assert kursk is not None
    assert ("كورسك",) in kursk and ("kursk",) in kursk
    assert expand(["كورسك"]) == kursk
    assert expand(["kim"]) is None  # weak alias
    assert expand(["summit"]) is None  # cue
    assert expand(["weather"]) is None


# ── loading errors ──

_TOPIC = """
[topic]
name = "test"
sides = ["a", "b"]
"""


def _entity(**fields: object) -> str:
    base: dict[str, object] = {"id": "a:one", "group": "a", "ar": "واحد", "en": "One"}
    base.update(fields)
    lines = ["[[entity]]"]
    for key, value in base.items():
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, list):
            lines.append(f"{key} = [" + ", ".join(f'"{v}"' for v in value) + "]")
        else:
            lines.append(f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


_SIDE_B = _entity(id="b:two", group="b", ar="اثنان", en="Two")


def _load(tmp_path: Path, text: str) -> Lexicon:
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    return load_lexicon(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[topic\nsides = 1", "invalid TOML"),
        (_entity() + _SIDE_B, "missing [topic]"),
        ('[topic]\nsides = ["a"]\n' + _entity() + _SIDE_B, "two different group names"),
        ('[topic]\nsides = ["a", "cue"]\n', "reserved"),
        (_TOPIC + _entity(id=None) + _SIDE_B, "entity #1: missing or empty 'id'"),
        (_TOPIC + _entity(group="c") + _SIDE_B, "entity 'a:one': unknown group 'c'"),
        (_TOPIC + _entity(en=None) + _SIDE_B, "entity 'a:one': missing or empty 'en'"),
        (_TOPIC + _entity(alias=["x"]) + _SIDE_B, "entity 'a:one': unknown key 'alias'"),
        (_TOPIC + _entity(aliases="x") + _SIDE_B, "'aliases' must be a list of strings"),
        (_TOPIC + _entity(aliases=["---"]) + _SIDE_B, "alias '---' has no letters"),
        (_TOPIC + _entity(weak="yes") + _SIDE_B, "'weak' must be true or false"),
        (_TOPIC + _entity() + _entity() + _SIDE_B, "entity 'a:one': duplicate id"),
        (_TOPIC + _entity(requires_any=["a"]) + _SIDE_B, "only for group 'bridge'"),
        (
            _TOPIC + _entity(group="bridge", requires_any=["z"]) + _entity(id="a:x") + _SIDE_B,
            "'requires_any' names 'z'",
        ),
        (
            _TOPIC
            + _entity(aliases=["Same"])
            + _SIDE_B.replace("Two", "Two", 1)
            + 'aliases = ["SAME"]\n',
            "entity 'b:two': alias 'same' is also an alias of entity 'a:one'",
        ),
        (_TOPIC + _entity(set_off_aliases=["x"]) + _SIDE_B, "only for group 'attribution'"),
        (_TOPIC + _entity(exact_aliases="x") + _SIDE_B, "'exact_aliases' must be a list"),
        (_TOPIC + _entity(), "side 'b' has no entity"),
        (_TOPIC + "[extra]\n" + _entity() + _SIDE_B, "unknown top-level key 'extra'"),
    ],
)
def test_lexicon_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert str(error.value).startswith(str(tmp_path / "topic.toml") + ": ")
    assert message in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read topic file"):
        load_lexicon(tmp_path / "absent.toml")


# ── the engine is not tied to this topic ──

CUSTOM = """
[topic]
name = "France–Mali relations"
sides = ["fr", "ml"]

[[entity]]
id = "fr:france"
group = "fr"
generic = true
ar = "فرنسا"
en = "France"
aliases = ["French", "الفرنسي", "الفرنسية", "باريس", "Paris"]
weak_aliases = ["Macron"]

[[entity]]
id = "ml:mali"
group = "ml"
ar = "مالي"
en = "Mali"
aliases = ["Malian", "باماكو", "Bamako"]

[[entity]]
id = "bridge:barkhane"
group = "bridge"
ar = "عملية برخان"
en = "Operation Barkhane"
aliases = ["برخان", "Barkhane"]

[[entity]]
id = "trap:mali-cuisine"
group = "trap"
ar = "مطبخ مالي"
en = "Mali cuisine"

[[entity]]
id = "attr:afp"
group = "attribution"
ar = "فرانس برس"
en = "AFP"
aliases = ["Agence France-Presse", "وكالة فرانس برس"]
"""


def test_custom_topic_file(tmp_path: Path) -> None:
    matcher = TopicMatcher(_load(tmp_path, CUSTOM))
    assert matcher.lexicon.sides == ("fr", "ml")
    assert matcher.classify("Paris and Bamako restore ties").relevant
    assert matcher.classify("وزير الخارجية الفرنسي يصل إلى باماكو").relevant
    assert matcher.classify("Barkhane troops leave").relevant
    assert matcher.classify("Macron calls Mali's junta").relevant  # weak + strong other side
    assert not matcher.classify("Macron visits Berlin").relevant
    assert not matcher.classify("Mali coup leader speaks to AFP").relevant
    assert not matcher.classify("Russia and North Korea sign pact").relevant
    assert not matcher.classify("Agence France-Presse reports from Bamako").relevant
    assert matcher.entities("لفرنسا قوات في مالي") == ("fr:france", "ml:mali")
    assert matcher.generic_entities() == ("fr:france",)


def test_parse_lexicon_names_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^my-topic: invalid TOML"):
        parse_lexicon("[[", "my-topic")


def test_only_a_bounded_body_is_read(matcher: TopicMatcher) -> None:
    filler = "The weather was mild and the markets were calm on the coast. " * (
        MAX_BODY_CHARS // 40
    )
    linking = "Russia and North Korea signed a pact. Moscow and Pyongyang held more talks. "
    # the same two sentences count before the bound (after the lead) and not past it
    assert matcher.classify("Weather", "Rain is expected. " + linking + filler).relevant
    assert not matcher.classify("Weather", "Rain is expected. " + filler + linking).relevant
    assert not matcher.classify("Weather", content="Rain is expected. " + filler + linking).relevant


def test_only_a_bounded_title_is_read(matcher: TopicMatcher) -> None:
    assert matcher.classify("Russia " + "and " * 100 + "North Korea").relevant
    assert not matcher.classify("Russia " + "and " * MAX_TITLE_CHARS + "North Korea").relevant
