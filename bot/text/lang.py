"""The language of a text, decided from its script.

Statistical detectors label Arabic typed with Persian letters (کوریا الشمالیة) as Persian and
mislabel short headlines; for a bot that reads Arabic and English only, counting letters per
script is exact and costs microseconds. Urdu and Persian count as Arabic script, which is what
the normalizer and the lexicon expect.

Only the first ``MAX_LANG_CHARS`` characters are read, in linear scans without look-ahead: a
news item's script is settled long before that (the title comes first), and a 100,000-character
article body must not cost more than a headline.
"""

from __future__ import annotations

import re

from bot.models import TextLang

MAX_LANG_CHARS = 1_000
"""How much of a text decides its language. On the real feeds and corpora every answer is the
same as over the whole text."""

_LETTER = re.compile(r"[^\W\d_]")
_Ranges = tuple[tuple[int, int], ...]
# Arabic, Arabic Supplement, Arabic Extended-A, Presentation Forms-A and -B.
_ARABIC_RANGES: _Ranges = (
    (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
)  # fmt: skip
# Basic Latin, Latin-1, Latin Extended-A/B, Latin Extended Additional, full-width Latin.
_LATIN_RANGES: _Ranges = (
    (0x41, 0x5A),
    (0x61, 0x7A),
    (0xC0, 0x24F),
    (0x1E00, 0x1EFF),
    (0xFF21, 0xFF5A),
)


def _letters(ranges: _Ranges) -> re.Pattern[str]:
    """Runs of the letters in ``ranges``: what ``[^\\W\\d_]`` matches there, so that combining
    marks (harakat, shadda) and digits never count as letters. Spelled out as one character
    class, because a look-ahead per character cost more than all the rest of the filter."""
    letters = (chr(c) for first, last in ranges for c in range(first, last + 1))
    return re.compile(
        "[" + "".join(re.escape(ch) for ch in letters if _LETTER.fullmatch(ch)) + "]+"
    )


_ARABIC_RUNS = _letters(_ARABIC_RANGES)
_LATIN_RUNS = _letters(_LATIN_RANGES)
_ANY_RUNS = re.compile(r"[^\W\d_]+")


def _count(runs: re.Pattern[str], text: str) -> int:
    return len("".join(runs.findall(text)))


def script_lang(text: str) -> TextLang:
    """``"ar"`` when most letters are Arabic-script, ``"en"`` when most are Latin, else
    ``"other"`` (no letters at all, or another script such as Cyrillic or CJK has the most).
    Only the first ``MAX_LANG_CHARS`` characters count."""
    text = text[:MAX_LANG_CHARS]
    arabic = _count(_ARABIC_RUNS, text)
    latin = _count(_LATIN_RUNS, text)
    # Letters of a third script are all outside ASCII and outside the Arabic letters: when
    # there cannot be as many of them as of the leading script, they need not be counted, and
    # Arabic or English text is read in two scans.
    at_most = len(text) - len(text.encode("ascii", "ignore")) - arabic
    other = _count(_ANY_RUNS, text) - arabic - latin if at_most >= max(arabic, latin) else 0
    if arabic > latin and arabic > other:
        return "ar"
    if latin > arabic and latin > other:
        return "en"
    if arabic and arabic == latin and arabic > other:
        # A tie between the two languages the bot reads: Arabic headlines quote Latin names and
        # acronyms ("KCNA", "RT") far more often than English ones quote Arabic.
        return "ar"
    return "other"
