"""Quantities as news writes them, in Arabic and English, as plain integers.

Two reports of one event quote the same figure in different ways: "1,000 containers",
"1000 containers", "ألف حاوية", "١٠٠٠ حاوية" (Arabic-Indic digits, which ``normalize`` already
turns into 0-9), "7 آلاف حاوية", "سبعة آلاف", "7,000", "1.5 million", "15 ألفا". ``quantities``
reads each as one integer so the reports can be matched on it.

Dates are not figures of the event: the day of a month ("Sept. 13", "13 September", "21 مارس",
"March 25-27"), a year (1900-2099 written as four plain digits) and clock times are left out, so
a dateline or "since February 2022" does not link two unrelated reports. Figures under 10 say
little about which event a report is about ("two leaders", "3 days") and are left out as well,
unless a multiplier makes them large ("7 آلاف").

Works on text already folded by ``bot.text.normalize.normalize``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

MIN_QUANTITY = 10
MAX_QUANTITY = 10**15
"""Longer runs of digits are no quantity anyone reports (a glued string of years, an ID), and
past float's range they are infinite."""

_MONTHS_EN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# Gregorian month names as Arabic news writes them (normalized: أ→ا, ة→ه), and the Levantine
# Syriac names.
_MONTHS_AR = (
    "يناير|فبراير|مارس|ابريل|مايو|يونيو|يونيه|يوليو|يوليه|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر"
    "|كانون الثاني|شباط|اذار|نيسان|ايار|حزيران|تموز|اب|ايلول|تشرين الاول|تشرين الثاني"
    "|كانون الاول"
)
_MONTH = rf"(?:{_MONTHS_EN})\.?|(?:{_MONTHS_AR})"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?(?:\s*-\s*\d{1,2})?"
_DATES = re.compile(
    rf"(?<![\w,.])(?:(?:{_MONTH})\s+{_DAY}|{_DAY}\s+(?:of\s+)?(?:{_MONTH}))(?!\w)"
    r"|(?<![\w,.])(?:19|20)\d\d(?![\w,.]?\d)"
    r"|\b\d{1,2}:\d\d\b"
)

# A figure: digits with thousands separators or a decimal part.
_FIGURE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w]|[.,]\d)")

_MULTIPLIERS = {
    "thousand": 1_000,
    "thousands": 1_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "billion": 1_000_000_000,
    "الف": 1_000,
    "الفا": 1_000,
    "الاف": 1_000,
    "مليون": 1_000_000,
    "ملايين": 1_000_000,
    "مليار": 1_000_000_000,
    "مليارات": 1_000_000_000,
}
# Arabic words that are a number by themselves: "ألف حاوية" is 1,000 containers, "ألفي" 2,000.
_ALONE = {"الف": 1_000, "الفي": 2_000, "الفين": 2_000, "الفان": 2_000, "مليون": 1_000_000}

_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "dozens": 0,
    "احد": 1, "احدي": 1, "اثنان": 2, "اثنين": 2, "اثنا": 2, "اثني": 2,
    "ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5,
    "سته": 6, "ست": 6, "سبعه": 7, "سبع": 7, "ثمانيه": 8, "ثماني": 8, "تسعه": 9, "تسع": 9,
    "عشره": 10, "عشر": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "اربعين": 40,
    "خمسين": 50, "مئه": 100, "مائه": 100,
}  # fmt: skip

_WORD = re.compile(r"[^\W\d_]+")
_GLUED = re.compile(r"([\u0600-\u06ff])(\d)")
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")


def _value(figure: str) -> float:
    return float(figure.replace(",", ""))


def _multiplier(word: str) -> int | None:
    """The multiplier a word stands for, with an Arabic proclitic or the article allowed."""
    if word in _MULTIPLIERS:
        return _MULTIPLIERS[word]
    for prefix in ("و", "ب", "ال", "بال"):
        if word.startswith(prefix) and word[len(prefix) :] in _MULTIPLIERS:
            return _MULTIPLIERS[word[len(prefix) :]]
    return None


@dataclass(frozen=True, slots=True)
class Figure:
    """A quantity and where ``normalized`` text writes it (``text[start:end]``): the digits
    or words of the figure and its multiplier ("12 الف", "1,500", "سبعه الاف")."""

    value: int
    start: int
    end: int


def quantities(normalized: str) -> set[int]:
    """The figures of ``normalized`` text that are 10 or more, as integers (dates left out)."""
    return {figure.value for figure in figures(normalized)}


def figures(normalized: str) -> list[Figure]:
    """The figures of ``normalized`` text that are 10 or more, in the order written."""
    # A proclitic glued to a figure (لـ300 → ل300, بـ1000) is not part of it. Each date is
    # blanked out with as many spaces, so that a position in ``text`` is one in ``normalized``
    # but for the spaces put after glued proclitics (``_shifted`` undoes those).
    # Where the spaces are in ``text``, in order: the k-th goes after the glued letter, and
    # after the k spaces before it.
    glued = [match.start() + 1 + k for k, match in enumerate(_GLUED.finditer(normalized))]
    text = _DATES.sub(lambda m: " " * len(m.group()), _GLUED.sub(r"\1 \2", normalized))

    def found(value: float, start: int, end: int) -> Figure:
        return Figure(round(value), _shifted(glued, start), _shifted(glued, end))

    result: list[Figure] = []
    # Where the words taken by a figure before them begin (a multiplier, the عشر of a teen): a
    # set, so that a text of many figures costs linear time.
    used: set[int] = set()
    for match in _FIGURE.finditer(text):
        value = _value(match.group(1))
        end = match.end(1)
        after = _NEXT_WORD.match(text, match.end())
        if after:
            times = _multiplier(after.group(1))
            if times:
                value *= times
                end = after.end(1)
                used.add(after.start(1))  # a word of ``_WORD`` too: a space precedes it
        if MIN_QUANTITY <= value <= MAX_QUANTITY:
            result.append(found(value, match.start(1), end))
    # Numbers in words: "سبعة آلاف", "seven thousand", and Arabic "ألف"/"ألفي" alone.
    words = list(_WORD.finditer(text))
    for position, word in enumerate(words):
        token = word.group()
        if word.start() in used:
            continue
        base = _WORDS.get(token)
        if base and base < 10 and position + 1 < len(words):
            # خمسة عشر is 15: a unit before عشر/عشرة is a teen, not two numbers.
            teen = words[position + 1]
            if teen.group() in ("عشر", "عشره"):
                used.add(teen.start())
                value, end = 10 + base, teen.end()
                # خمسة عشر ألفا is 15,000.
                if position + 2 < len(words):
                    times = _multiplier(words[position + 2].group())
                    if times and words[position + 2].start() - teen.end() <= 2:
                        used.add(words[position + 2].start())
                        value, end = value * times, words[position + 2].end()
                result.append(found(value, word.start(), end))
                continue
        # احد/احدي (one) only in a teen: احدي الملايين is "one of the millions".
        if base and base > 1 and position + 1 < len(words):
            times = _multiplier(words[position + 1].group())
            if times and words[position + 1].start() - word.end() <= 2:
                result.append(found(base * times, word.start(), words[position + 1].end()))
                used.add(words[position + 1].start())
                continue
        if base and base >= MIN_QUANTITY:
            result.append(found(base, word.start(), word.end()))
            continue
        if token in _ALONE and not _preceded_by_figure(text, word.start()):
            result.append(found(_ALONE[token], word.start(), word.end()))
    return sorted(result, key=lambda figure: (figure.start, figure.end))


def _shifted(glued: list[int], position: int) -> int:
    """A position in the text with spaces put after glued proclitics (at ``glued``, in order),
    in the text without them."""
    return position - bisect.bisect_left(glued, position)


def _preceded_by_figure(text: str, start: int) -> bool:
    # What is just before (a digit, or a number word ending there), not the whole text before:
    # a text of many figures costs linear time.
    before = text[max(0, start - _LOOK_BACK) : start].rstrip()
    return bool(before) and (before[-1].isdigit() or bool(_WORD_BEFORE.search(before)))


_LOOK_BACK = 64  # characters: a number word and the spaces a blanked date leaves
_WORD_BEFORE = re.compile(r"(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")$")
