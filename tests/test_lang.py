"""Language by script: the majority of letters decides; digits and punctuation do not count."""

from __future__ import annotations

import pytest

from bot.text.lang import script_lang


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
