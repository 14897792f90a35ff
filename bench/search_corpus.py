"""The corpus and the queries of ``bench/search.py``, generated with a seeded RNG.

Each article names a Russian and a North Korean side (the archive holds on-topic news only), often
one or two of the topic's less common entities, sometimes a planted phrase, and otherwise common
news words and a long Zipf-distributed tail of filler words. Names come from the topic lexicon
as written in the wild: its spelling variants, Arabic proclitics glued to them (وبوتين, والكرملين,
بكورسك, للكرملين), now and then tatweel, diacritics or Persian letters, English possessives.

Every planted mention is recorded, so each query with a known answer knows exactly which
articles answer it. Filler words are checked against every name and phrase word (with their
proclitic forms), so no article answers a query by accident.
"""

from __future__ import annotations

import random
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources

from bot.text.normalize import clitic_forms, normalize, tokenize

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SPAN_DAYS = 365
PLANTED = ("russia", "nk", "bridge")  # lexicon groups whose names are planted

EN_COMMON = (
    "the of to and in a said on for that with was by at from as is it has have will "
    "officials government minister week talks meeting statement foreign military country "
    "president told reporters according agency report spokesman capital defence security "
    "cooperation agreement leaders visit trade economic weapons border relations sanctions "
    "region day year last new two first after also would could more than about between "
    "during under against while since before over their its which who this been were"
).split()
AR_COMMON = (
    "في من على إلى أن التي الذي مع بين بعد عن كما قد وقال قال وأضاف الحكومة المسؤولين "
    "الأسبوع الماضي المقبل وزير الخارجية العاصمة اليوم العسكرية الاقتصادية الرئيس مصادر "
    "بيان اجتماع محادثات الدفاع الأمن التعاون اتفاق القادة الحدود العلاقات البلدين الجانبين "
    "وكالة تقرير المتحدث الأسلحة التجارة المنطقة العام الأول الثاني خلال أمس حيث هذا هذه "
    "ذلك وفي ومن وعلى وأن ولم لم لن كان كانت يوم أيضا أكثر أمام نحو ضد منذ قبل"
).split()

# Planted phrases: (English, Arabic spellings as outlets write them).
PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("prisoner exchange", ("تبادل الأسرى", "تبادل الاسرى")),
    ("joint exercises", ("المناورات المشتركة", "المناورات المشتركه")),
    ("grain exports", ("صادرات الحبوب",)),
    ("labour migrants", ("العمال المهاجرين",)),
    ("tourist flights", ("الرحلات السياحية", "الرحلات السياحيه")),
    ("space technology", ("تكنولوجيا الفضاء",)),
    ("fuel shipments", ("شحنات الوقود",)),
    ("fishing quotas", ("حصص الصيد",)),
)
PHRASE_SHARE = 0.006  # of the articles of a language, per phrase
DECOY_SHARE = 0.006  # articles with both words of a phrase, apart

AR_TATWEEL, AR_SHADDA, AR_FATHA = "\u0640", "\u0651", "\u064e"
PERSIAN = {"ك": "ک", "ي": "ی"}


@dataclass(frozen=True)
class Name:
    """A lexicon entity with its spellings as written (not normalized)."""

    id: str
    group: str
    generic: bool
    en: tuple[str, ...]
    ar: tuple[str, ...]


@dataclass
class Doc:
    lang: str
    title: str
    summary: str
    published: datetime
    entities: set[str] = field(default_factory=set)
    phrase: int | None = None


@dataclass(frozen=True)
class Query:
    cls: str
    text: str
    relevant: frozenset[int] | None  # article numbers; None: no planted answer (latency only)


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def load_names() -> list[Name]:
    raw = (resources.files("bot") / "data" / "topic" / "default.toml").read_text(encoding="utf-8")
    names = []
    for entity in tomllib.loads(raw)["entity"]:
        if entity["group"] not in PLANTED:
            continue
        spellings = [entity["en"], entity["ar"], *entity.get("aliases", [])]
        spellings = list(dict.fromkeys(spellings))
        names.append(
            Name(
                id=entity["id"],
                group=entity["group"],
                generic=bool(entity.get("generic", False)),
                en=tuple(s for s in spellings if not _is_arabic(s)),
                ar=tuple(s for s in spellings if _is_arabic(s)),
            )
        )
    return names


def _reserved(names: list[Name]) -> set[str]:
    """Every normalized word of a name or a phrase, with its proclitic forms."""
    raw = (resources.files("bot") / "data" / "topic" / "default.toml").read_text(encoding="utf-8")
    words: set[str] = set()
    texts = [s for n in names for s in (*n.en, *n.ar)]
    for entity in tomllib.loads(raw)["entity"]:  # every group, traps and cues included
        texts += [entity["en"], entity["ar"], *entity.get("aliases", [])]
        texts += entity.get("weak_aliases", []) + entity.get("exact_aliases", [])
    texts += [p for en, ar in PHRASES for p in (en, *ar)]
    for text in texts:
        for token in tokenize(normalize(text)):
            words.update(clitic_forms(token))
    return words


def _clean(words: list[str], reserved: set[str]) -> list[str]:
    keep = []
    for word in words:
        tokens = tokenize(normalize(word))
        if all(not (set(clitic_forms(t)) & reserved) for t in tokens):
            keep.append(word)
    return keep


def _filler(rng: random.Random, arabic: bool, count: int, reserved: set[str]) -> list[str]:
    """Made-up words for the long tail of the vocabulary."""
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" if arabic else ""
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
    words: set[str] = set()
    while len(words) < count:
        if arabic:
            word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 7)))
        else:
            syllables = rng.randint(2, 4)
            word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        if not set(clitic_forms(normalize(word))) & reserved:
            words.add(word)
    ordered = sorted(words)
    rng.shuffle(ordered)  # Zipf ranks by chance, not by alphabet
    return ordered


def _zipf_weights(count: int, exponent: float) -> list[float]:
    cumulative, total = [], 0.0
    for rank in range(1, count + 1):
        total += 1 / rank**exponent
        cumulative.append(total)
    return cumulative


def _ar_with_clitic(rng: random.Random, spelling: str) -> str:
    """An Arabic name as it appears in running text: often with a proclitic glued on."""
    roll = rng.random()
    if roll < 0.6:
        return spelling
    if spelling.startswith("ال"):
        prefix = rng.choice(("و", "ب", "ف", "لل"))
        return ("لل" + spelling[2:]) if prefix == "لل" else prefix + spelling
    return rng.choice(("و", "ب", "ل", "ف", "وب")) + spelling


def _ar_noise(rng: random.Random, text: str) -> str:
    """Tatweel, a diacritic or Persian letters, as some outlets and keyboards write."""
    roll = rng.random()
    if roll < 0.05 and len(text) > 3:
        cut = rng.randrange(2, len(text) - 1)
        if text[cut - 1] != " " and text[cut] != " ":
            return text[:cut] + AR_TATWEEL * 2 + text[cut:]
    elif roll < 0.09:
        cut = rng.randrange(1, len(text))
        if text[cut - 1] != " ":
            return text[:cut] + rng.choice((AR_SHADDA, AR_FATHA)) + text[cut:]
    elif roll < 0.12:
        return "".join(PERSIAN.get(c, c) for c in text)
    return text


def _mention(rng: random.Random, name: Name, arabic: bool) -> str:
    spellings = name.ar if arabic else name.en
    # The canonical spelling most of the time, any attested variant otherwise.
    spelling = spellings[0] if rng.random() < 0.6 else rng.choice(spellings)
    if arabic:
        return _ar_noise(rng, _ar_with_clitic(rng, spelling))
    return spelling + "'s" if rng.random() < 0.1 else spelling


def _phrase_mention(rng: random.Random, index: int, arabic: bool) -> str:
    en, ar = PHRASES[index]
    if not arabic:
        return en if rng.random() < 0.7 else en.title()
    text = rng.choice(ar)
    first, _, rest = text.partition(" ")
    if rng.random() < 0.3:
        first = _ar_with_clitic(rng, first) if rng.random() < 0.5 else "و" + first
    return f"{first} {rest}"


@dataclass
class Corpus:
    docs: list[Doc]
    names: list[Name]
    by_entity: dict[tuple[str, str], set[int]]  # (entity id, lang) → article numbers
    by_phrase: dict[tuple[int, str], set[int]]  # (phrase index, lang) → article numbers
    common: dict[str, list[str]]  # lang → the common words used (none is a name's word)


def make_corpus(count: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    names = load_names()
    reserved = _reserved(names)
    common = {True: _clean(AR_COMMON, reserved), False: _clean(EN_COMMON, reserved)}
    filler = {a: _filler(rng, a, 25_000, reserved) for a in (True, False)}
    filler_cum = _zipf_weights(25_000, 1.05)
    generic = {s: [n for n in names if n.generic and n.group == s] for s in ("russia", "nk")}
    rare = [n for n in names if not n.generic]
    rng.shuffle(rare)
    rare_cum = _zipf_weights(len(rare), 1.1)
    by_entity: dict[tuple[str, str], set[int]] = defaultdict(set)
    by_phrase: dict[tuple[int, str], set[int]] = defaultdict(set)
    docs: list[Doc] = []
    # Published times in archive order, a little out of order as feeds are.
    steps = sorted(rng.uniform(0, SPAN_DAYS) for _ in range(count))
    for number in range(count):
        arabic = number % 2 == 0
        lang = "ar" if arabic else "en"
        published = NOW - timedelta(days=SPAN_DAYS - steps[number] + rng.uniform(0, 0.5))
        picked: list[Name] = []
        for side in ("russia", "nk"):
            if rng.random() < 0.8:
                picked.append(rng.choice(generic[side]))
        extra = rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
        picked += rng.choices(rare, cum_weights=rare_cum, k=extra)
        mentions = [_mention(rng, name, arabic) for name in picked]
        doc = Doc(lang=lang, title="", summary="", published=published)
        for name in picked:
            doc.entities.add(name.id)
            by_entity[(name.id, lang)].add(number)
        words = rng.choices(filler[arabic], cum_weights=filler_cum, k=rng.randint(25, 45))
        words += rng.choices(common[arabic], k=rng.randint(15, 30))
        rng.shuffle(words)
        roll = rng.random()
        phrase_total = len(PHRASES) * PHRASE_SHARE
        if roll < phrase_total:
            index = int(roll / PHRASE_SHARE)
            doc.phrase = index
            by_phrase[(index, lang)].add(number)
            words.insert(rng.randrange(len(words)), _phrase_mention(rng, index, arabic))
        elif roll < phrase_total + len(PHRASES) * DECOY_SHARE:
            index = int((roll - phrase_total) / DECOY_SHARE)
            first, second = (PHRASES[index][1][0] if arabic else PHRASES[index][0]).split(" ", 1)
            words = [first, *words, second]  # both words, never side by side
        for mention in mentions:
            words.insert(rng.randrange(len(words)), mention)
        cut = rng.randint(6, 10)
        title = " ".join(words[:cut])
        doc.title = title[0].upper() + title[1:]
        doc.summary = " ".join(words[cut:]) + "."
        docs.append(doc)
    return Corpus(
        docs=docs,
        names=names,
        by_entity=by_entity,
        by_phrase=by_phrase,
        common={"ar": common[True], "en": common[False]},
    )


def make_queries(corpus: Corpus, count: int, seed: int) -> list[Query]:
    """``count`` queries: rare entity, common word, phrase, prefixed Arabic, cross-lingual."""
    rng = random.Random(seed + 1)
    by_id = {n.id: n for n in corpus.names}
    sized = {key: len(found) for key, found in corpus.by_entity.items()}
    rare = [
        (by_id[eid], lang)
        for (eid, lang), size in sorted(sized.items())
        if not by_id[eid].generic and 5 <= size <= 400
    ]
    mid = [n for n in corpus.names if not n.generic and sized.get((n.id, "ar"), 0) >= 5]
    prefixed_names = [by_id[i] for i in ("ru:putin", "ru:kremlin", "ru:moscow", "ru:kursk")]
    prefixed_names += [n for n in mid if " " not in n.ar[0]][:12]
    # Frequent words a reader might look for (not "the" or "في").
    common_words = [w for w in corpus.common["en"] + corpus.common["ar"] if len(w) > 4]
    common_words += ["Russia", "روسيا", "North Korea", "كوريا الشمالية", "Pyongyang", "موسكو"]
    quotas = {"rare entity": 0.25, "common word": 0.2, "phrase": 0.15, "prefixed ar": 0.2}
    plan = [cls for cls, share in quotas.items() for _ in range(round(count * share))]
    plan += ["cross-lingual"] * (count - len(plan))
    queries = []
    for cls in plan:
        if cls == "rare entity":
            name, lang = rng.choice(rare)
            text = name.ar[0] if lang == "ar" else name.en[0]
            relevant = corpus.by_entity[(name.id, lang)]
        elif cls == "common word":
            queries.append(Query(cls, rng.choice(common_words), None))
            continue
        elif cls == "phrase":
            index = rng.randrange(len(PHRASES))
            lang = rng.choice(("ar", "en"))
            text = '"' + (PHRASES[index][1][0] if lang == "ar" else PHRASES[index][0]) + '"'
            relevant = corpus.by_phrase[(index, lang)]
        elif cls == "prefixed ar":
            name = rng.choice(prefixed_names)
            # The bare name, or with the article alone: كرملين / الكرملين, كورسك.
            text = name.ar[0]
            if text.startswith("ال") and rng.random() < 0.5:
                text = text[2:]
            relevant = corpus.by_entity[(name.id, "ar")]
        else:
            name = rng.choice(mid)
            lang = rng.choice(("ar", "en"))
            text = name.ar[0] if lang == "ar" else name.en[0]
            relevant = corpus.by_entity[(name.id, "ar")] | corpus.by_entity[(name.id, "en")]
        queries.append(Query(cls, text, frozenset(relevant)))
    rng.shuffle(queries)
    return queries
