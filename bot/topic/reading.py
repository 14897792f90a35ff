"""How the topic filter reads a stretch of text (pure): sentence ends, datelines and agency
tags, source names set off at a title's end, lists of countries and concessive clauses, and
``Reading``, what one title or sentence names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.text.normalize import TOKEN_PATTERN

# A simple splitter on normalized text (؟ is already ?). A stop after a lone letter is an
# initial or an abbreviation ("n. korea", "u.s.", "د. محمد"), and so is one after a month or a
# title ("jan. 2", "gen. kim", "st. petersburg"): none ends a sentence. Splitting there would cut
# a lead such as "debris from the jan. 2 strike came from a missile supplied to russia" in two.
# The stop comes first in the pattern so that the regex engine scans for it cheaply; Python's
# look-behinds need a fixed width, hence one per abbreviation length.
SENTENCE_END = re.compile(
    r"[.!?](?<!\b[^\W\d_][.!?])"
    r"(?<!\b(?:mr|ms|dr|lt|st|mt|ft|jr|sr|vs|co)\.)"
    r"(?<!\b(?:mrs|gen|col|maj|gov|sen|rep|rev|amb|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.)"
    r"(?<!\b(?:sept|capt|prof|cmdr|corp|pres)\.)"
    r"[.!?]*(?:\s+|$)"
)
# A set-off source name needs one of these around it; most lines have none and skip the regex.
SET_OFF_MARKS = ("(", '"', " -", "|")

# Datelines and agency tags that open a story: "moscow, nov 3 /tass/.", "seoul, oct. 31
# (yonhap) --", "(reuters) -", "موسكو - ", "بيونغ يانغ, 5 مارس (شينخوا) --", and Reuters'
# multi-city "seoul/moscow (reuters) -", whose second city must not count as a mention. A place
# may be up to three words, never a pair joined by "and"/"و" ("موسكو وبيونغ يانغ - " is a
# headline).
DATELINE = re.compile(
    r"""^
    (?P<place>[^\W\d_]+(?:[ .'][^\W\d_]+){0,2}\.?
      (?:\s?/\s?[^\W\d_]+(?:[ .'][^\W\d_]+){0,2}\.?){0,3})?
    (?:\s*,\s*(?:[^\W\d_]+\.?\s+)?\d{1,2}(?:\s+[^\W\d_]+)?(?:\s*,?\s*\d{4})?)?
    \s*(?P<agency>\([^()]{1,40}\)|/[^/]{1,40}/)?
    (?P<sep>\s*-{1,3}\s+|(?<=[)/])\s*[-.:]{1,3}\s*)?
    """,
    re.VERBOSE,
)
JOINED_PLACE = re.compile(r"(?:^|\s)(?:and|و)\s|\sو")

# What may stand between two members of a list of countries: a comma, a slash or nothing, then
# a conjunction, then an English article ("China, Russia, Iran, and the DPRK", "روسيا والصين",
# with و attached to the next name, "روسيا كوريا الشمالية إيران"). A hyphen is not a
# separator: "Russia-North Korea" is a pair that names the link.
LIST_GAP = re.compile(r"\s*(?:[,;/&]\s*)?(?:(?:and|or|و|او)\s+)?(?:the\s+)?")
TOKEN_RE = re.compile(TOKEN_PATTERN)
# A concessive clause after the main one, up to the next comma: "Kim assures Xi of friendship,
# despite North Korea's alignment with Russia". What it names is background, not the subject.
# A clause that opens the stretch ("Despite sanctions, Russia and North Korea …") is left alone.
# Arabic: رغم, برغم, بالرغم (من), على الرغم (من), with و.
CONCESSIVE = re.compile(r"(?<=\S)\s+(?:despite|in spite of|و?(?:ب|بال|ال)?رغم)\s[^,;:]*")
CONCESSIVE_WORDS = ("despite", "spite", "رغم")


def strip_dateline(normalized: str) -> str:
    """``normalized`` without a leading dateline or agency tag, if it has one."""
    match = DATELINE.match(normalized)
    if match is None or match.end() == 0:
        return normalized
    place, agency, sep = match.group("place"), match.group("agency"), match.group("sep")
    if not agency and not (place and sep):
        return normalized
    if place and JOINED_PLACE.search(place):
        return normalized
    return normalized[match.end() :]


def set_off_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """A source name at the end of a title after a dash or a bar, or in brackets or quotes."""
    if not names:
        return None
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in name.split())
        for name in sorted(names, key=len, reverse=True)
    )
    return re.compile(
        rf"\s[-|]{{1,2}}\s*(?:{alternatives})\s*$"
        rf"|\(\s*(?:{alternatives})\s*\)"
        rf"|\"\s*(?:{alternatives})\s*\""
    )


@dataclass(slots=True)
class Reading:
    """What one stretch of text (a title or a sentence) names."""

    strong: dict[str, list[str]] = field(default_factory=dict)
    weak: dict[str, list[str]] = field(default_factory=dict)
    bridges: list[str] = field(default_factory=list)
    cues: set[str] = field(default_factory=set)
    trap: bool = False
    paired: dict[str, int] = field(default_factory=dict)
    """Per side, how many of its strong mentions stand in a pair with a third country."""
    aside: set[str] = field(default_factory=set)
    """Sides named in a list of countries or a concessive clause, where that does not count."""

    @property
    def sides(self) -> frozenset[str]:
        return frozenset(self.strong)

    def firm(self, side: str) -> bool:
        """The side is named here other than beside a third country."""
        return len(self.strong.get(side, ())) > self.paired.get(side, 0)

    def links(self) -> bool:
        """Both sides named here, at least one of them not as one of a pair of countries."""
        return len(self.strong) >= 2 and any(self.firm(side) for side in self.strong)
