"""Text from feeds or a model made safe to show in a chat message. Pure.

Three dangers, each handled here once for every renderer::

    hidden     bidi overrides, embeddings and isolates (U+202A–E, U+2066–9) make a title display
               other text than it holds; zero-width and other invisible characters hide text or
               split words; control characters and line breaks fake new lines
               → deleted, or folded to one space (whitespace)
    clickable  Telegram makes bare domains (evil-news.ru/verify, t.me/x), e-mail addresses,
               @handles and /commands clickable in any text, and Discord makes scheme://
               links clickable; only the feeds' own links may be clickable in a digest
               → "evil-news[.]ru", "https[:]//", "[@]handle", "[/]start" (no look-alike and
                 no invisible character: they would be spoofing in their turn)
    too long   a field longer than the platform takes makes the message refused for good
               → cut at a word boundary with "…", counted in UTF-16 units as Telegram does

What Arabic and Persian text needs is kept: ZWNJ (U+200C, the Persian half-space), ZWJ
(U+200D, also inside emoji), the directional marks LRM, RLM and ALM (U+200E, U+200F, U+061C;
they place punctuation in mixed Arabic-Latin headlines and cannot reorder text by themselves)
and the Arabic number signs (U+0600–0605, U+06DD).

A domain is a link only when its last label is a top-level domain (bot/data/tlds.txt, the IANA
list Telegram's own check follows), so "N.Korea" or "U.S." stay as written.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import cache
from importlib import resources

ELLIPSIS = "…"
MAX_URL = 2048
"""Longest link URL put in a message: Discord refuses a longer embed URL (its API schema), and a
URL cut short would lead elsewhere, so a longer one is not linked at all."""

# Invisible format characters and fillers deleted for display (see the module docstring for
# those kept). Tags and the supplementary variation selectors can carry hidden ASCII.
_HIDDEN_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels (invisible)
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200B),  # zero-width space
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0x3164, 0x3164),  # Hangul filler
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # tags
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
_HIDDEN = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    + "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in _HIDDEN_RANGES)
    + "]"
)
_SPACES = re.compile(r"\s+")

_DOT = "[.\uff0e\u3002\uff61]"  # Telegram takes the full-width and ideographic dots too
_SCHEME = re.compile(r"(?<![\w+.-])([a-z][a-z0-9+.-]{0,31}):(?=//)", re.IGNORECASE)
_DOMAIN = re.compile(rf"(?<![\w.-])(?:[\w-]+{_DOT})+([^\W\d_]{{2,63}}|xn--[\w-]+)(?![\w-])")
_DOT_IN = re.compile(_DOT)
_HANDLE = re.compile(r"[@\uff20](?=\w)")
# A bot command: "/" and a word, not inside a path or a word, and not followed by another "/"
# (Telegram makes no command of "/usr/bin" nor of a wire's dateline "/TASS/").
_COMMAND = re.compile(r"(?<![\w/\\])/(?=\w+(?![\w/]))")
# What else Telegram turns into a tap: a hashtag (#NorthKorea), a cashtag ($RUB), a phone
# number written with its country code (+1-212-555-0123).
_HASHTAG = re.compile(r"(?<![\w&#])#(?=[^\W\d])")
_CASHTAG = re.compile(r"(?<![\w$])\$(?=[A-Z]{1,8}(?![\w]))")
_PHONE = re.compile(r"(?<![\w+])\+(?=\d[\d\s().-]{5,}\d)")


@cache
def top_level_domains() -> frozenset[str]:
    """Every top-level domain, lowercase, the IDN ones also in their Unicode form."""
    text = resources.files("bot").joinpath("data", "tlds.txt").read_text(encoding="utf-8")
    names = {line.strip().lower() for line in text.splitlines()}
    names = {name for name in names if name and not name.startswith("#")}
    for name in list(names):
        if name.startswith("xn--"):
            with suppress(UnicodeError):  # Python's IDNA 2003 codec may not know every name
                names.add(name.encode("ascii").decode("idna").casefold())
    return frozenset(names)


def strip_hidden(text: str) -> str:
    """``text`` without invisible format characters, and every run of whitespace (line breaks
    included) one space, trimmed."""
    return _SPACES.sub(" ", _HIDDEN.sub("", text)).strip()


def _domains(text: str) -> list[re.Match[str]]:
    tlds = top_level_domains()
    return [m for m in _DOMAIN.finditer(text) if m.group(1).casefold() in tlds]


def link_like(text: str) -> str | None:
    """What in ``text`` a chat would make clickable ("link", "handle", "command", "tag",
    "phone"), or ``None``."""
    if _SCHEME.search(text) or _domains(text):
        return "link"
    if _HANDLE.search(text):
        return "handle"  # also every e-mail address
    if _COMMAND.search(text):
        return "command"
    if _HASHTAG.search(text) or _CASHTAG.search(text):
        return "tag"
    if _PHONE.search(text):
        return "phone"
    return None


def defang(text: str) -> str:
    """``text`` with nothing a chat would make clickable: domains, schemes, handles, e-mail
    addresses, bot commands, hashtags, cashtags and phone numbers written so that they read the
    same but are plain text."""
    text = _SCHEME.sub(r"\1[:]", text)
    for match in reversed(_domains(text)):
        start, end = match.span()
        text = text[:start] + _DOT_IN.sub("[.]", match.group(0)) + text[end:]
    text = _HANDLE.sub("[@]", text)
    text = _HASHTAG.sub("[#]", text)
    text = _CASHTAG.sub("[$]", text)
    text = _PHONE.sub("[+]", text)
    return _COMMAND.sub("[/]", text)


def utf16_len(text: str) -> int:
    """Length as Telegram and Discord count it (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units at a word boundary, with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    units = cut_at = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit - 1:  # one unit is left for the ellipsis
            cut_at = index
            break
    cut = text[:cut_at]
    head, space, _ = cut.rpartition(" ")
    if space and len(head) >= len(cut) // 2:  # a word boundary, unless it loses too much
        cut = head
    return cut.rstrip() + ELLIPSIS


def for_chat(text: str, limit: int) -> str:
    """``text`` as a chat may show it: no hidden characters, on one line, nothing clickable, at
    most ``limit`` UTF-16 units. Defanging comes last, so that the cut cannot make a link
    ("evil.ruins" cut to "evil.ru…"); when it lengthens the text, the cut is made shorter."""
    plain = strip_hidden(text)
    budget = limit
    while True:
        shown = defang(clip(plain, budget))
        over = utf16_len(shown) - limit
        if over <= 0 or budget <= 1:
            return shown if over <= 0 else ""
        budget -= over


def link_url(url: str) -> str | None:
    """``url`` if a message may link to it: http(s), without hidden characters or spaces, and
    not over ``MAX_URL``; else ``None`` (the text is then shown without a link)."""
    if len(url) > MAX_URL or _HIDDEN.search(url) or _SPACES.search(url):
        return None
    if not re.match(r"https?://", url, re.IGNORECASE):
        return None
    return url
