"""The language of a text, decided from its script.

Statistical detectors label Arabic typed with Persian letters (کوریا الشمالیة) as Persian and
mislabel short headlines; for a bot that reads Arabic and English only, counting letters per
script is exact and costs microseconds. Urdu and Persian count as Arabic script, which is what
the normalizer and the lexicon expect.
"""

from __future__ import annotations

import re

from bot.models import TextLang

_LETTER = r"(?=[^\W\d_])"
_ARABIC_LETTERS = re.compile(
    _LETTER + "[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
)
# Basic Latin, Latin-1, Latin Extended-A/B, Latin Extended Additional, full-width Latin.
_LATIN_LETTERS = re.compile(_LETTER + "[a-zA-Z\u00c0-\u024f\u1e00-\u1eff\uff21-\uff5a]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def script_lang(text: str) -> TextLang:
    """``"ar"`` when most letters are Arabic-script, ``"en"`` when most are Latin, else
    ``"other"`` (no letters at all, or another script such as Cyrillic or CJK has the most)."""
    arabic = len(_ARABIC_LETTERS.findall(text))
    latin = len(_LATIN_LETTERS.findall(text))
    other = len(_ANY_LETTER.findall(text)) - arabic - latin
    if arabic > latin and arabic > other:
        return "ar"
    if latin > arabic and latin > other:
        return "en"
    if arabic and arabic == latin and arabic > other:
        # A tie between the two languages the bot reads: Arabic headlines quote Latin names and
        # acronyms ("KCNA", "RT") far more often than English ones quote Arabic.
        return "ar"
    return "other"
