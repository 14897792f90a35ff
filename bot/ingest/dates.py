"""Feed dates read as feedparser reads them, for the forms feeds write almost always.

``feed_date`` gives the UTC date feedparser 6 would give for an RFC 822 date ("Tue, 18 Jun
2024 23:15:00 +0300") or a W3C date-time ("2024-06-19T05:30:00+05:00"), or ``UNSURE`` for
anything else: feedparser tries many more forms, in an order where one can win over another,
and ``bot.ingest.reader`` then hands the whole body to feedparser rather than guess.

What is reproduced, and why it is exact for the forms accepted:

- feedparser tries its W3C parser first. It splits the lower-cased string at "t"; an accepted
  RFC 822 date either has no "t" (then its first word, a day of one or two digits, is not the
  four-digit year it needs) or its text before the first "t" holds a letter or a comma, which is
  no year either, so the W3C parser gives nothing and the RFC 822 parser decides.
- RFC 822: day name ignored, a four-digit year, seconds optional, a zone as "+hhmm"/"-hhmm" or a
  name; feedparser reads a name it does not know (CEST, …) as UTC, and so does this.
- W3C: "T" between date and time, seconds and a fraction optional (the fraction is dropped),
  "Z" or "+hh:mm"/"-hh:mm".

An impossible date (31 June, hour 24) is ``UNSURE`` too: feedparser would go on to its other
parsers with it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

UNSURE: Final = "unsure"

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
# feedparser's RFC 822 zone names and their hours east of UTC; any other name is UTC to it.
_ZONES = {
    "ut": 0, "gmt": 0, "z": 0, "adt": -3, "ast": -4, "at": -4, "edt": -4, "est": -5, "et": -5,
    "cdt": -5, "cst": -6, "ct": -6, "mdt": -6, "mst": -7, "mt": -7, "pdt": -7, "pst": -8,
    "pt": -8, "a": -1, "n": 1, "m": -12, "y": 12, "met": 1, "mest": 2,
}  # fmt: skip
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?[ \t]+)?"
    r"(\d{1,2})[ \t]+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ \t]+(\d{4})"
    r"[ \t]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"[ \t]+(?:([+-])(\d{2})(\d{2})|(?!gmt.)(?!etc/)([a-z]{1,5}))",
    re.IGNORECASE,
)
_W3DTF = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})t(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:(z)|([+-])(\d{2}):(\d{2}))",
    re.IGNORECASE,
)


def feed_date(value: str) -> datetime | str | None:
    """The UTC date of a feed's (already stripped) date text as feedparser reads it, None when
    it reads none (empty text), or ``UNSURE``."""
    if not value:
        return None
    found = _W3DTF.fullmatch(value)
    if found is not None:
        year, month, day, hour, minute, second, zulu, sign, tzh, tzm = found.groups()
        offset = 0 if zulu else (int(tzh) * 60 + int(tzm)) * (-1 if sign == "-" else 1)
        return _utc(int(year), int(month), int(day), int(hour), int(minute), second, offset)
    found = _RFC822.fullmatch(value)
    if found is not None:
        day, month, year, hour, minute, second, sign, tzh, tzm, name = found.groups()
        if name is not None:
            offset = _ZONES.get(name.lower(), 0) * 60
        else:
            offset = (int(tzh) * 60 + int(tzm)) * (-1 if sign == "-" else 1)
        month_number = _MONTHS[month.lower()]
        return _utc(int(year), month_number, int(day), int(hour), int(minute), second, offset)
    return UNSURE


def _utc(
    year: int, month: int, day: int, hour: int, minute: int, second: str | None, offset: int
) -> datetime | str:
    try:
        stamp = datetime(year, month, day, hour, minute, int(second or 0))
        return (stamp - timedelta(minutes=offset)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return UNSURE
