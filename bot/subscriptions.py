"""The rules for a chat's settings, wherever they are typed: the config file's ``[schedule]``,
Telegram's ``/settings`` and Discord's ``/settings``. Pure; no I/O.

Times of day are ``HH:MM`` on a 24-hour clock (``8:30`` is read as ``08:30``); a list of them
may be separated by spaces, commas (Latin or Arabic) or semicolons and holds at most
``MAX_TIMES``. A timezone is an IANA name that the zone database knows. Digits are ``latn``
(0–9, the default) or ``arab`` (٠–٩).
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import ChatLang, Digits

MAX_TIMES = 6
LANGS: tuple[ChatLang, ...] = ("ar", "en", "both")
DIGIT_STYLES: tuple[Digits, ...] = ("latn", "arab")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SEPARATORS = re.compile(r"[\s,،;]+")


class BadTimes(ValueError):
    """A list of times that cannot be used; ``part`` is the offending piece (or the whole text
    when the list is empty or too long)."""

    def __init__(self, part: str) -> None:
        super().__init__(f"not a list of times of day (HH:MM): {part!r}")
        self.part = part


def clock_time(text: str) -> str | None:
    """``"8:05"`` → ``"08:05"``; None for anything that is not a time of day."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_times(text: str) -> tuple[str, ...]:
    """``"20:00، 8:00"`` → ``("08:00", "20:00")``: sorted, without repeats. Raises ``BadTimes``."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if not parts or len(parts) > MAX_TIMES:
        raise BadTimes(text)
    times = set()
    for part in parts:
        clock = clock_time(part)
        if clock is None:
            raise BadTimes(part)
        times.add(clock)
    return tuple(sorted(times))


def valid_timezone(name: str) -> bool:
    # Refuse paths before asking zoneinfo, which would otherwise read files outside its tree.
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        return False
    return True


def parse_lang(text: str) -> ChatLang | None:
    choice = text.strip().lower()
    for lang in LANGS:
        if choice == lang:
            return lang
    return None


def parse_digits(text: str) -> Digits | None:
    """``arab`` (Arabic-Indic ٠–٩) or ``latn`` (Western 0–9); None for anything else."""
    choice = text.strip().lower()
    for style in DIGIT_STYLES:
        if choice == style:
            return style
    return None


def ui_lang_for(lang: ChatLang, current: Literal["ar", "en"] = "en") -> Literal["ar", "en"]:
    """The language of the bot's replies in a chat that reads digests in ``lang``: that language,
    or, for digests in both, the one it used before (``current``)."""
    return current if lang == "both" else lang
