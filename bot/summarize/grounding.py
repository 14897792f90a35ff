"""Does an LLM summary say only what its sources say? A pure check, run before it is stored.

::

    sources = Sources.of(articles, lexicon)       once per story: the articles the model was sent
    check_grounding(fields, sources, lexicon)     raises Ungrounded(kind, why) on the first problem

Three kinds of problem, each a reason the answer is rejected (``Ungrounded.kind``):

- ``number``: a figure of a headline or summary (``bot.text.numbers.quantities``: digits of any
  script with their separators, "12 ألف", "1.5 million", "ثلاثة آلاف") that no article gives.
  Both sides are read by the same function, so 1,500, ١٥٠٠ and "1500" are one figure. The
  articles also count every plain run of digits (a year-like "2000 troops" is left out of
  ``quantities``), which only widens what is accepted;
- ``name``: an entity of the topic lexicon the articles do not name, in either language (the
  lexicon's aliases join "Lavrov" and "لافروف"; a country, its adjective and its capital stand for
  one another where the topic file's ``[topic.stands_for]`` says so), or, in the English
  fields, a word capitalized inside a sentence that no article spells: case-insensitively, as a
  prefix (Ukrainian / Ukraine), through the aliases of the entities the articles name, or in
  Arabic letters with the same consonants (Shoigu / شويغو); sentence-initial words, common
  capitalized words (months, days, titles) and Title Case headlines are not read as names;
- ``instruction``: a sentence that addresses the reader or gives an order (a sentence opening
  with "Visit", "Click", "Subscribe", "Ignore"…, "please", "اضغط", "اشتركوا", "تابعونا"…), or that
  speaks of the prompt, the model or its instructions. Text inside quotation marks that an article
  holds is a quote of the source, not the model talking, and is not read for orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import Article
from bot.text.normalize import is_arabic, normalize, tokenize
from bot.text.numbers import quantities
from bot.text.sentences import split_sentences
from bot.topic.lexicon import CUE, TRAP, Lexicon

KINDS = ("number", "name", "instruction")

# Capitalized in English without being a name of the story: function words that open a clause
# after a colon or a quote, months, days, titles and offices.
_COMMON = frozenset(
    """
    a an the and but or of in on at to for from by with as after before over under amid
    i he she it we they his her its their this that these those there here what when where
    who why how while if is are was were be will would can could should may might must
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday
    mr mrs ms dr gen president prime minister ministry deputy foreign defence defense
    secretary general leader supreme chairman premier spokesman spokeswoman spokesperson
    ambassador embassy envoy official officials state government army navy air force forces
    committee council party parliament assembly agency news central people's peoples
    republic democratic federation union national international security military
    breaking update updated exclusive analysis opinion live video photos watch read more
    """.split()
)

# Transliteration classes: a Latin name and its Arabic spelling share their consonants, more
# or less (Shoigu / شويغو, Vladimir / فلاديمير). Vowels, h-like letters and glides are dropped.
_LATIN_DIGRAPHS = (("sh", "s"), ("ch", "s"), ("kh", "k"), ("gh", "k"), ("th", "t"), ("ph", "f"))
_LATIN_CLASS = str.maketrans("bpfvtdkcqgjxszlmnr", "bbfftdkkkkkssslmnr", "aeiouyhw'")
_ARABIC_CLASS = str.maketrans(
    "بفتطدضثذكقغخجسصزشظلمنر",
    "bfttttttkkkkkssssslmnr",
    "اويهحعءىة",
)

_IMPERATIVES_EN = frozenset(
    """
    visit click tap subscribe ignore disregard forget share follow join download install
    call email write reply send donate buy register sign check learn
    discover see watch read go stay remember note print repeat respond answer pretend act
    """.split()
)
# Talk of the model, its prompt or its instructions, and orders that are no other word: never
# news. Normalized Arabic (أ→ا, ة→ه); the plural imperatives that are also past tenses (اشتركوا
# "they took part", انضموا "they joined", حملوا "they carried") only with what only an order
# says (اشتركوا في قناتنا).
_ALWAYS = re.compile(
    r"\b(?:click here|tap here|link in (?:the )?bio|dear readers?"
    r"|as an ai|language model|ai model|system prompt|system message|the prompt"
    r"|(?:previous|prior|above|earlier|following|my|these|your) instructions"
    r"|i (?:cannot|can ?not|can't|am unable|am sorry|apologi[sz]e)|i'm (?:sorry|unable)"
    r"|(?:the )?(?:articles?|texts?|data) (?:provided|given|above)"
    r"|provided (?:articles?|texts?|data))\b"
    r"|(?<!\w)(?:اضغط|اضغطوا|انقر|انقروا|زوروا|تابعونا|شاركونا|راسلونا"
    r"|(?:اشتركوا|انضموا|حملوا) (?:في |الى |ب)?(?:قناتنا|موقعنا|صفحتنا|النشره|التطبيق)"
    r"|اقرا المزيد|اقرا ايضا|لا تنسوا|عزيزي القارئ|اعزائي القراء"
    r"|تجاهل (?:كل |جميع )?التعليمات|التعليمات السابقه|نموذج لغوي|نموذج الذكاء الاصطناعي"
    r"|بصفتي نموذج|المقالات المقدمه|النصوص المقدمه)(?!\w)"
)
# Words that address the reader in a summary, but that a report may use in its own voice ("a
# source told our website", "يرجى"): an order only where the articles do not say them.
_UNLESS_SOURCED = re.compile(
    r"\b(?:please|you should|you must|you can|you need|don'?t forget"
    r"|our (?:channel|website|site|newsletter))\b"
    r"|(?<!\w)(?:من فضلك|من فضلكم|يرجى|الرجاء|لا تنس|قناتنا|موقعنا|عذرا|لا استطيع)(?!\w)"
)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)?")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_TITLE_CASE_SHARE = 0.6


class Ungrounded(ValueError):
    """The summary says what its sources do not; ``kind`` is one of ``KINDS``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Sources:
    """What the articles of one story say, prepared for the checks."""

    numbers: frozenset[int]
    entities: frozenset[str]  # canonical ids (see ``stands_for``)
    groups: frozenset[str]  # the lexicon groups of those entities (the sides, "bridge"...)
    words: frozenset[str]  # normalized tokens, both languages
    skeletons: frozenset[str]  # consonant classes of the Arabic tokens
    alias_words: frozenset[str]  # tokens of every alias of the entities named
    text: str  # the normalized texts, for quotes
    initials: frozenset[str]  # initials of runs of 2-4 Latin words (United Nations: "un")
    stands_for: Mapping[str, str] = field(default_factory=dict)
    """The topic file's ``[topic.stands_for]``: a country, its adjective and its capital name one
    side ("Moscow said" for "Russia said"), and any name of a side (a minister) grounds the
    country it stands for ("Russia's foreign minister")."""

    @classmethod
    def of(cls, articles: Iterable[Article], lexicon: Lexicon | None = None) -> Sources:
        texts = [normalize(f"{a.source}. {a.title}. {a.summary}") for a in articles]
        numbers: set[int] = set()
        words: set[str] = set()
        entities: set[str] = set()
        groups: set[str] = set()
        stands_for = lexicon.topic.stands_for if lexicon is not None else {}
        for text in texts:
            numbers |= quantities(text)
            numbers.update(_plain_figures(text))
            words.update(_split_apostrophes(tokenize(text)))
            if lexicon is not None:
                for hit in lexicon.find(text):
                    entities.add(_canonical(hit.entity, stands_for))
                    groups.add(hit.group)
        alias_words: set[str] = set()
        if lexicon is not None:
            for entity in lexicon.entities:
                if _canonical(entity.id, stands_for) in entities:
                    for alias in entity.aliases:
                        alias_words.update(tokenize(alias))
        skeletons = {_arabic_skeleton(w) for w in words if is_arabic(w[0])}
        initials: set[str] = set()
        for text in texts:
            latin = [w for w in tokenize(text) if not is_arabic(w[0]) and w[0].isalpha()]
            for size in (2, 3, 4):
                for start in range(len(latin) - size + 1):
                    initials.add("".join(w[0] for w in latin[start : start + size]))
        return cls(
            numbers=frozenset(numbers),
            entities=frozenset(entities),
            groups=frozenset(groups),
            words=frozenset(words),
            skeletons=frozenset(s for s in skeletons if len(s) >= 3),
            alias_words=frozenset(alias_words),
            initials=frozenset(initials),
            text="\n".join(texts),
            stands_for=stands_for,
        )


def check_grounding(
    fields: Mapping[str, str], sources: Sources, lexicon: Lexicon | None = None
) -> None:
    """Raise ``Ungrounded`` naming the first field that says what ``sources`` do not.

    ``fields`` maps field names (``headline_en``…) to their text; a field name ending in
    ``_en`` is English and has its capitalized words read as names."""
    for name, text in fields.items():
        order = _order(text, sources)
        if order:
            raise Ungrounded(
                "instruction", f"{name}: addresses the reader or the model ({order!r})"
            )
        normalized = normalize(text)
        invented = sorted(quantities(normalized) - sources.numbers)
        if invented:
            raise Ungrounded("number", f"{name}: the figure {invented[0]} is in no article")
        checked: set[str] = set()  # the words of lexicon names, decided here
        if lexicon is not None:
            tokens = tokenize(normalized)
            for hit in lexicon.find_tokens(tokens):
                if hit.weak or hit.group in (CUE, TRAP):
                    continue
                if not _entity_grounded(hit.entity, hit.group, sources):
                    en = lexicon.entity(hit.entity).en
                    raise Ungrounded("name", f"{name}: {en} is named by no article")
                checked.update(_split_apostrophes(tokens[hit.start : hit.end]))
        if name.endswith("_en"):
            for word in _names(text, headline=name.startswith("headline")):
                if normalize(word) not in checked and not _known(word, sources):
                    raise Ungrounded("name", f"{name}: the name {word} is in no article")


def _canonical(entity_id: str, stands_for: Mapping[str, str]) -> str:
    return stands_for.get(entity_id, entity_id)


def _entity_grounded(entity_id: str, group: str, sources: Sources) -> bool:
    canonical = _canonical(entity_id, sources.stands_for)
    if canonical in sources.entities:
        return True
    # a country that something stands for is grounded by any name of its side
    return canonical in sources.stands_for.values() and group in sources.groups


def _plain_figures(normalized: str) -> set[int]:
    found = set()
    for match in _DIGITS.finditer(normalized):
        digits = match.group().replace(",", "")
        try:
            found.add(round(float(digits)))
        except ValueError:  # "1.2.3": not one figure
            continue
    return found


def _split_apostrophes(tokens: Sequence[str]) -> list[str]:
    # "russia's" also counts as "russia"; "p'yongyang" also as "pyongyang"
    out = list(tokens)
    for token in tokens:
        if "'" in token:
            out.append(token.split("'")[0])
            out.append(token.replace("'", ""))
    return out


def _latin_skeleton(word: str) -> str:
    word = word.lower()
    for digraph, single in _LATIN_DIGRAPHS:
        word = word.replace(digraph, single)
    return _squeeze(word.translate(_LATIN_CLASS))


def _arabic_skeleton(token: str) -> str:
    return _squeeze(token.replace("تش", "ش").translate(_ARABIC_CLASS))


def _squeeze(classes: str) -> str:
    # doubled letters (Lavrov's "rr", شدة already gone) count once
    return "".join(c for i, c in enumerate(classes) if i == 0 or classes[i - 1] != c)


def _names(text: str, *, headline: bool) -> list[str]:
    """Words capitalized inside a sentence or a quote of English ``text``, not common ones."""
    # a quote opens like a sentence, and its words are read like any others
    unquoted = _QUOTED.sub(lambda m: f" . {m.group()[1:-1]} . ", text)
    found: list[str] = []
    for sentence in split_sentences(unquoted):
        # a clause after a colon or a dash opens like a sentence ("Putin: The talks…")
        for clause in re.split(r"[:;–—]|\s-\s", sentence):
            words = _LATIN_WORD.findall(clause)
            capitalized = [w for w in words[1:] if w[0].isupper()]
            if (
                headline
                and len(words) > 2
                and len(capitalized) > _TITLE_CASE_SHARE * (len(words) - 1)
            ):
                continue  # Title Case: capitals say nothing about names here
            for word in capitalized:
                base = re.split(r"['’]", word)[0]
                if len(base) > 1 and base.lower() not in _COMMON:
                    found.append(base)
    return found


def _known(word: str, sources: Sources) -> bool:
    """Whether a capitalized English word is spelled by the sources, one way or another."""
    parts = tokenize(normalize(word))  # "SİA" folds to two tokens, as in the articles
    known = sources.words | sources.alias_words
    if parts and all(part in known for part in parts):
        return True
    lowered = "".join(parts)
    if word.isupper() and lowered in sources.initials:  # US, UN, DPRK spelled out
        return True
    # Ukrainian / Ukraine, Koreans / Korea, Sergei / Sergey: a long enough shared start
    need = max(4, len(lowered) - 3)
    if len(lowered) >= 4:
        stem = lowered[:need]
        if any(w.startswith(stem) for w in known):
            return True
    skeleton = _latin_skeleton(lowered)
    return len(skeleton) >= 3 and skeleton in sources.skeletons


def _quotes_source(quoted: str, sources: Sources) -> bool:
    inner = normalize(quoted[1:-1]).strip(" .,")
    return bool(inner) and _says(sources.text, inner)


def _says(text: str, words: str) -> bool:
    """Whether ``text`` holds ``words`` as whole words."""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def _order(text: str, sources: Sources) -> str | None:
    """The words of ``text`` that address the reader or the model, if any, outside quotes of
    the sources."""
    unquoted = _QUOTED.sub(
        lambda m: " . " if _quotes_source(m.group(), sources) else m.group(), text
    )
    normalized = normalize(unquoted)
    if match := _ALWAYS.search(normalized):
        return match.group()
    for match in _UNLESS_SOURCED.finditer(normalized):
        if not _says(sources.text, match.group()):  # "pleased" is not "please"
            return match.group()
    for sentence in split_sentences(unquoted):
        for clause in re.split(r"[:;,]", sentence):
            words = _LATIN_WORD.findall(clause)
            if words and words[0].lower() in _IMPERATIVES_EN and not _is_noun_use(words):
                return str(words[0])
    return None


def _is_noun_use(words: Sequence[str]) -> bool:
    # "Share prices fell", "Call for talks grows": an imperative-looking first word followed by
    # a plural noun or "for"/"of" is a headline's noun, not an order.
    return len(words) > 1 and words[1].lower() in ("for", "of", "prices", "price")
