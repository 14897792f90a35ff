"""The one normalizer: the research notes' verified outputs, the spelling variants the topic
filter must fold together, tokens and clitic forms, and properties checked by Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.normalize import _TABLE, _fold_letters, clitic_forms, normalize, tokenize

VERIFIED = [
    # research A.1 "Verified outputs"
    ("كيـــم جونغ أون", "كيم جونغ اون"),
    ("کوریا الشمالیة", "كوريا الشماليه"),
    ("بيونگ يانگ", "بيونك يانك"),
    ("الكورى الشمالى", "الكوري الشمالي"),
    ("٢٠٢٤ ۲۰۲۴", "2024 2024"),
    ("Kim Jong‑un’s", "kim jong-un's"),
    ("Kremlin\u200b", "kremlin"),
]

RULES = [
    # 1 NFKC: presentation forms, lam-alef ligature, full-width Latin, NBSP
    ("ﺑﻮﺗﻴﻦ", "بوتين"),
    ("ﻻ", "لا"),
    ("ＤＰＲＫ", "dprk"),
    ("Kim\u00a0Jong\u00a0Un", "kim jong un"),
    # 2 invisibles deleted
    ("بو\u200dتين", "بوتين"),
    ("\ufeffموسكو\u200e", "موسكو"),
    ("\u202bروسيا\u202c", "روسيا"),
    ("Pyong\u00adyang", "pyongyang"),
    ("\u2066Putin\u2069", "putin"),
    # 3 ZWNJ splits
    ("کیم جونگ\u200cاون", "كيم جونك اون"),
    # 4 diacritics
    ("وَصَلَ", "وصل"),
    ("بُوتِينُ", "بوتين"),
    ("مُحَمَّدٌ", "محمد"),
    ("هٰذا", "هذا"),
    # 5 alef forms, 6 hamza seats
    ("أإآٱ", "اااا"),
    ("ٵ", "ا"),
    ("مؤتمر", "موتمر"),
    ("رئيس", "رييس"),
    ("ماء", "ماء"),
    # 7 alef maqsura, 8 taa marbuta and heh variants
    ("أقصى", "اقصي"),
    ("الكورية", "الكوريه"),
    ("ھ ە ہ ۃ", "ه ه ه ه"),
    # 9 yeh, 10 kaf/gaf, 11 loan letters
    ("روسیه", "روسيه"),
    ("گ ک ڭ", "ك ك ك"),
    ("ڤلاديمير", "فلاديمير"),
    ("پوتین", "بوتين"),
    ("چوی سون هی", "تشوي سون هي"),
    ("ژ ڨ", "ز ق"),
    # 12 digits and number signs
    ("١٢٫٥٪", "12.5%"),
    ("١٬٠٠٠", "1,000"),
    # 13 punctuation
    ("موسكو، بيونغ يانغ؛ لماذا؟", "موسكو, بيونغ يانغ; لماذا?"),
    ("«الكرملين»", '"الكرملين"'),
    ("“Kremlin”", '"kremlin"'),
    ("Moscow—Pyongyang – talks", "moscow-pyongyang - talks"),
    ("اردو۔", "اردو."),
    # 14 casefold and whitespace
    ("  Russia\n\tAND   North Korea ", "russia and north korea"),
    ("STRASSE Straße", "strasse strasse"),
    ("", ""),
]

# Research C.2: spellings that must end up identical to the plain modern-standard form.
SAME = [
    ("كوريا الشمالية", "کوریا الشمالیة"),
    ("الكوري الشمالي", "الكورى الشمالى"),
    ("كيم جونغ اون", "كيم جونغ أون"),
    ("كيم جونغ اون", "كيـــم جونـغ أوْن"),
    ("بوتين", "ﺑﻮﺗﻴﻦ"),
    ("كورسك", "کورسک"),
    ("بيونك يانك", "بيونگ يانگ"),
    ("الكرملين", "الكرملين\u200b"),
    ("فلاديمير", "ڤلاديمير"),
]


@pytest.mark.parametrize(("text", "expected"), VERIFIED + RULES)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(("plain", "variant"), SAME)
def test_variants_fold_together(plain: str, variant: str) -> None:
    assert normalize(variant) == normalize(plain)


def test_fast_folding_matches_the_rule_table() -> None:
    # The normalizer replaces common characters with str.replace and the rest with one regex;
    # together they must do exactly what the rule table says, for every character in it.
    every = "".join(f"x{chr(code)}" for code in _TABLE)
    assert _fold_letters(every) == every.translate(_TABLE)


def test_lone_hamza_and_standalone_letters_are_kept() -> None:
    assert normalize("جزء") == "جزء"
    assert normalize("شيء") == "شيء"


@pytest.mark.parametrize(
    ("normalized", "tokens"),
    [
        ("russia's n. korea, kn-23", ["russia's", "n", "korea", "kn", "23"]),
        ("d.p.r.k.", ["d", "p", "r", "k"]),
        ("موسكو, بيونغ-يانغ; لماذا?", ["موسكو", "بيونغ", "يانغ", "لماذا"]),
        ("kim jong-un's visit", ["kim", "jong", "un's", "visit"]),
        ("هواسونغ 11 (kn_23)", ["هواسونغ", "11", "kn", "23"]),
        ("'quoted' -- 'word", ["quoted", "word"]),
        ("", []),
    ],
)
def test_tokenize(normalized: str, tokens: list[str]) -> None:
    assert tokenize(normalized) == tokens


@pytest.mark.parametrize(
    ("token", "forms"),
    [
        ("للكرملين", ("للكرملين", "كرملين", "لكرملين")),
        ("والكرملين", ("والكرملين", "كرملين", "الكرملين")),
        ("وبوتين", ("وبوتين", "وتين", "بوتين")),
        ("بموسكو", ("بموسكو", "موسكو")),
        ("بالكرملين", ("بالكرملين", "كرملين", "الكرملين")),
        # the remainder keeps at least three letters
        ("ولد", ("ولد",)),
        ("بلد", ("بلد",)),
        ("russia's", ("russia's", "russia")),
        ("russia", ("russia",)),
        ("'s", ("'s",)),
        ("", ()),
    ],
)
def test_clitic_forms(token: str, forms: tuple[str, ...]) -> None:
    assert clitic_forms(token) == forms


def test_clitic_forms_longest_prefix_first_without_duplicates() -> None:
    forms = clitic_forms("وبالكرملين")
    assert forms[0] == "وبالكرملين"
    assert forms[1] == "كرملين"  # وبال stripped first
    assert len(forms) == len(set(forms))
    assert "الكرملين" in forms


_ARABIC_AND_TRICKY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.sampled_from("\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u0640 \n\t.-'’ ةىأKimİßΐ"),
        st.characters(min_codepoint=0x0300, max_codepoint=0x036F),
    ),
    max_size=40,
)


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=60), _ARABIC_AND_TRICKY))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_normalized_text_has_no_runs_of_whitespace_and_tokenizes(text: str) -> None:
    once = normalize(text)
    assert once == once.strip()
    assert "  " not in once
    assert all(token for token in tokenize(once))
    for token in tokenize(once):
        assert clitic_forms(token)[0] == token
