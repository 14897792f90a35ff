"""Language by script: the majority of letters decides; digits and punctuation do not count."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.lang import MAX_LANG_CHARS, script_lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("بوتين يستقبل كيم جونغ أون في فلاديفوستوك", "ar"),
        # Arabic typed with Persian letters is Arabic script (statistical detectors say "fa")
        ("کوریا الشمالیة و روسیا", "ar"),
        # Latin acronyms inside an Arabic headline do not outvote the Arabic letters
        ("KCNA: كوريا الشمالية تطلق صاروخا", "ar"),
        ("تابعوا RT على تلغرام", "ar"),
        ("ﺑﻮﺗﻴﻦ", "ar"),  # presentation forms
        ("Putin hosts Kim Jong Un in Vladivostok", "en"),
        ("Pyongyang, Moscow sign pact — بيونغ يانغ", "en"),
        ("P'yŏngyang Ｒｕｓｓｉａ", "en"),  # Latin extended and full-width
        ("Путин встретился с Ким Чен Ыном", "other"),
        ("北朝鮮とロシア", "other"),
        ("Η Ρωσία και η Βόρεια Κορέα", "other"),
        ("١٢٣ 2024 !!! — ،", "other"),  # no letters at all
        ("", "other"),
        ("ab جد", "ar"),  # a tie between the bot's two languages goes to Arabic
        ("Путин Putin", "other"),  # a tie with a third script is not a language we read
    ],
)
def test_script_lang(text: str, lang: str) -> None:
    assert script_lang(text) == lang


def test_diacritics_and_digits_do_not_count_as_letters() -> None:
    # three Latin letters against one Arabic letter carrying two marks, and six digits
    assert script_lang("abc بٌّ ١٢٣٤٥٦") == "en"


def test_only_a_bounded_prefix_is_read() -> None:
    # An Arabic item whose body runs on in Latin letters: the whole text is mostly Latin, the
    # bounded prefix, where the item's own words are, is Arabic.
    text = "ب" * MAX_LANG_CHARS + " abc" * MAX_LANG_CHARS
    assert script_lang(text) == "ar"
    assert script_lang(text[MAX_LANG_CHARS:]) == "en"


@given(st.text(alphabet="abXéßبجۀکٌّ١٢3 ,Пж北ﻻＲ\u0301½×", max_size=40))
def test_counts_letters_like_the_unicode_letter_class(text: str) -> None:
    # The reference: every letter ([^\W\d_]) counted by script, as the spelled-out classes must.
    letters = re.findall(r"[^\W\d_]", text)
    arabic = sum(1 for ch in letters if _in(ch, ARABIC))
    latin = sum(1 for ch in letters if _in(ch, LATIN))
    other = len(letters) - arabic - latin
    expected = (
        "ar"
        if arabic > max(latin, other) or (arabic and arabic == latin and arabic > other)
        else "en"
        if latin > max(arabic, other)
        else "other"
    )
    assert script_lang(text) == expected


ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
LATIN = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF), (0xFF21, 0xFF5A))


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(first <= ord(ch) <= last for first, last in ranges)
