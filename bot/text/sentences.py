"""Sentence splitting for Arabic and English news text.

A small rule-based splitter, because the packaged ones either split Arabic at every comma or
need data downloads. Rules:

- a sentence ends after a run of ``. ! ? ؟ … ۔`` (plus any closing quotes or brackets that
  follow), when whitespace or the end of the text comes next, and at every newline;
- Arabic and Latin commas never end a sentence;
- a single ``.`` does not end a sentence after a known abbreviation (Mr., Gen., Jan., e.g.),
  a dotted acronym (U.S., D.P.R.K.), a single initial (N. Korea, Kim J. Un, د. محمد), or when
  the next word starts with a lowercase Latin letter;
- decimals (3.5) never split because no whitespace follows their point.
"""

from __future__ import annotations

import re

_TERMINATORS = ".!?؟…۔"
_CLOSERS = "\"'”’»›)]}"

_END_RE = re.compile(f"[{re.escape(_TERMINATORS)}]+[{re.escape(_CLOSERS)}]*")
_ACRONYM_RE = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_OPENERS = "\"'“‘«‹([{"

# Matched as written: capitalised titles and months rarely end an English news sentence.
_ABBREVIATIONS = frozenset(
    {
        "Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Lt", "Col", "Maj", "Capt", "Cmdr", "Adm",
        "Sgt", "Cpl", "Pvt", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres", "Amb", "Sr", "Jr",
        "St", "Mt", "Ft", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept",
        "Oct", "Nov", "Dec", "No", "Nos", "vs", "approx", "cf", "al", "Co", "Corp", "Ltd",
    }
)  # fmt: skip

# After a dotted acronym these words almost always start a new sentence ("... by the U.S. The
# ministry said ..."), whereas "U.S. President" does not.
_SENTENCE_STARTERS = frozenset(
    {"The", "A", "An", "It", "He", "She", "They", "We", "I", "This", "That", "These", "Those",
     "But", "And", "In", "On", "At", "As", "Its", "His", "Her", "Their", "There"}
)  # fmt: skip


def _is_arabic_letter(char: str) -> bool:
    code = ord(char)
    return char.isalpha() and (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    )


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lstrip(_OPENERS)


def _word_after(text: str, start: int) -> str:
    match = re.match(r"\s*(\S+)", text[start:])
    return match.group(1).lstrip(_OPENERS) if match else ""


def _protected(line: str, stop_start: int, stop: str, next_word: str) -> bool:
    """Whether the stop at ``stop_start`` is part of the sentence rather than its end."""
    bare = stop.rstrip(_CLOSERS)
    if bare not in (".", "...", "…"):
        return False
    if next_word[:1].isascii() and next_word[:1].islower():
        return True
    if bare != ".":
        return False
    word = _word_before(line, stop_start)
    if word in _ABBREVIATIONS or word.lower() in ("e.g", "i.e"):
        return True
    if _ACRONYM_RE.match(word):
        return next_word.rstrip(",;:") not in _SENTENCE_STARTERS
    return len(word) == 1 and (word.isupper() or _is_arabic_letter(word))


def _split_line(line: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _END_RE.finditer(line):
        end = match.end()
        following = line[end : end + 1]
        # Arabic feeds often drop the space after a stop ("الأحد.وقال"); digits never follow
        # a sentence stop directly (3.5), so only an Arabic letter counts here.
        if following and not following.isspace() and not _is_arabic_letter(following):
            continue
        if _protected(line, match.start(), match.group(), _word_after(line, end)):
            continue
        sentences.append(line[start:end])
        start = end
    sentences.append(line[start:])
    return sentences


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, stripped of surrounding whitespace, empties dropped."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _split_line(line))
    return [s for s in out if s]
