"""The one text normalizer, shared by the topic filter, the lexicon loader and search.

Matching and indexing run on normalized text only; the original is kept for display. The rules
fold the spelling variation seen in Arabic news (Levantine, Egyptian, Gulf, Persian-keyboard
input) and in English wire copy, in this order:

1. NFKC (presentation forms such as ﺑﻮﺗﻴﻦ and ﻻ, full-width Latin, NBSP);
2. invisibles deleted: tatweel, zero-width space/joiner, word joiner, BOM, soft hyphen, bidi
   marks and embeddings;
3. ZWNJ (the Persian half-space) becomes a space, so it splits words rather than gluing them;
4. Arabic diacritics deleted (harakat, shadda, sukun, hamza marks, dagger alef, Quranic marks);
5. alef forms أ إ آ ٱ ٲ ٳ ٵ → ا;
6. hamza seats ؤ → و and ئ → ي (a standalone ء stays);
7. alef maqsura ى → ي (Egyptian outlets write الكورى for الكوري);
8. taa marbuta ة and the heh variants ۃ ۀ ہ ۂ ھ ە → ه;
9. Persian/Urdu/Pashto yeh forms → ي;
10. Persian/Urdu/Pashto/Maghrebi kaf and gaf forms → ك (so بيونگ becomes بيونك);
11. loan-sound letters: ڤ → ف, پ → ب, چ → تش (how Arabic news spells "ch"), ژ → ز, ڨ → ق;
12. Arabic-Indic and Persian digits → 0-9, Arabic decimal/thousands/percent signs → . , %;
13. punctuation folded to ASCII: ، ؛ ؟ ۔ quotes, dashes, apostrophes;
14. casefold, and runs of whitespace collapsed to one space.

Clitics are not stripped here: ``clitic_forms`` gives the stripped forms of one token for
matching and indexing, and the normalized text itself keeps every word as written. No stemmer is
used anywhere: light stemmers mangle names (بوتين → بوت, كورسك → ورس).
"""

from __future__ import annotations

import re
import unicodedata


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}

    def delete(*points: int) -> None:
        for point in points:
            table[point] = None

    def delete_range(first: int, last: int) -> None:
        delete(*range(first, last + 1))

    def fold(chars: str, to: str) -> None:
        for char in chars:
            table[ord(char)] = to

    # 2. invisibles
    delete(0x0640, 0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, 0x061C)
    delete_range(0x202A, 0x202E)
    delete_range(0x2066, 0x2069)
    # 3. ZWNJ
    table[0x200C] = " "
    # 4. diacritics; U+0674 is the high hamza that NFKC splits off ٵ ٶ ٷ ٸ.
    delete_range(0x0610, 0x061A)
    delete_range(0x064B, 0x065F)
    delete(0x0670, 0x0674)
    delete_range(0x06D6, 0x06ED)
    delete_range(0x08D3, 0x08FF)
    # 5-11. letters
    fold("أإآٱٲٳٵ", "ا")
    fold("ؤ", "و")
    fold("ئ", "ي")
    fold("ى", "ي")
    fold("ةۃۀہۂھە", "ه")
    fold("یېۍێےۓ", "ي")
    fold("".join(chr(c) for c in range(0x06A9, 0x06B5)), "ك")  # ک ڪ ګ ڬ ڭ ڮ گ ڰ ڱ ڲ ڳ ڴ
    fold("ڤڥ", "ف")
    fold("پ", "ب")
    fold("چ", "تش")
    fold("ژ", "ز")
    fold("ڨڧ", "ق")
    # 12. digits and number signs
    for offset in range(10):
        table[0x0660 + offset] = str(offset)
        table[0x06F0 + offset] = str(offset)
    fold("٫", ".")
    fold("٬", ",")
    fold("٪", "%")
    # 13. punctuation
    fold("،", ",")
    fold("؛", ";")
    fold("؟", "?")
    fold("۔", ".")
    fold("«»“”„‟", '"')
    fold("‘’‚‛", "'")
    fold("‐‑‒–—―−", "-")
    return table


# Constant lookup tables, not state: built once at import from literals, never mutated.
_TABLE = _build_table()
# str.translate with a dict costs ~0.1 µs per character, which dominated the normalizer. The
# characters common in Arabic news are replaced with str.replace (a C loop each); the rest are
# rare enough that one regex scan finds them, and a callback replaces the few it finds. No
# replacement produces a character of the table, so the order of replacements does not matter.
_COMMON = tuple(
    (char, _TABLE[ord(char)] or "")
    for char in "أإآةىؤئ،؛؟\u0640«»“”’‘–—\u0651٠١٢٣٤٥٦٧٨٩\u200c\u200f\u200e"
)
_RARE_RE = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in _TABLE if chr(code) not in dict(_COMMON)) + "]"
)
_RARE = {chr(code): (value or "") for code, value in _TABLE.items()}


def _fold_letters(text: str) -> str:
    for char, replacement in _COMMON:
        if char in text:
            text = text.replace(char, replacement)
    if _RARE_RE.search(text):
        text = _RARE_RE.sub(lambda match: _RARE[match.group()], text)
    return text


TOKEN_PATTERN = r"[^\W_]+(?:'[^\W_]+)*"
"""A word token: a run of letters and digits, with an apostrophe inside kept (``tokenize``)."""
_TOKEN_RE = re.compile(TOKEN_PATTERN)

PROCLITICS: tuple[str, ...] = tuple(
    sorted(
        (
            "و", "ف", "ب", "ك", "ل", "ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل",
            "وبال", "فبال", "وكال", "وب", "ول", "فب", "فل", "وك",
        ),
        key=lambda p: (-len(p), p),
    )
)  # fmt: skip
"""Arabic proclitics (conjunctions, prepositions, the article), longest first."""

MIN_STEM = 3
"""A stripped form keeps at least this many letters, so short words (ولد, بلد) are never split."""


def normalize(text: str) -> str:
    """``text`` folded for matching and indexing (rules 1-14 of the module docstring)."""
    if text.isascii():
        return " ".join(text.lower().split())
    folded = _fold_letters(unicodedata.normalize("NFKC", text)).casefold()
    # Deleting a mark or an invisible can bring a base letter next to a combining mark that NFKC
    # then composes (e + ZWSP + U+0301); repeat until stable so that normalize is idempotent.
    for _ in range(3):
        if unicodedata.is_normalized("NFKC", folded):
            break
        folded = _fold_letters(unicodedata.normalize("NFKC", folded)).casefold()
    return " ".join(folded.split())


def tokenize(normalized: str) -> list[str]:
    """The word tokens of normalized text: runs of letters and digits of any script.

    Punctuation and hyphens separate tokens ("kn-23" → "kn", "23"); an apostrophe inside a word
    is kept ("russia's", "p'yongyang").
    """
    return _TOKEN_RE.findall(normalized)


def is_arabic(char: str) -> bool:
    """Whether ``char`` is an Arabic-script letter or mark (presentation forms included)."""
    return "\u0600" <= char <= "\u08ff" or "\ufb50" <= char <= "\ufeff"


def clitic_forms(token: str) -> tuple[str, ...]:
    """``token`` and its proclitic-stripped forms, longest prefix first, without duplicates.

    Arabic: every form left after removing a proclitic of ``PROCLITICS`` when at least
    ``MIN_STEM`` letters remain (للكرملين → للكرملين, كرملين, لكرملين). Latin: the token and,
    for a possessive, the word without it (russia's → russia's, russia).
    """
    if not token:
        return ()
    if not is_arabic(token[0]):
        if token.endswith("'s") and len(token) > 2:
            return (token, token[:-2])
        return (token,)
    forms = [token]
    for prefix in PROCLITICS:
        if token.startswith(prefix) and len(token) - len(prefix) >= MIN_STEM:
            rest = token[len(prefix) :]
            if rest not in forms:
                forms.append(rest)
    return tuple(forms)
