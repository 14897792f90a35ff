"""A chat's settings as typed by a user: checked and normalized. Pure.

The same rules as the config file's ``[schedule]``: times of day are ``HH:MM`` (24-hour), the
timezone is an IANA name. Every problem is a ``SettingError`` carrying the catalog key of the
message to show and the offending value.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import ChatLang

MAX_TIMES = 6
_SEPARATORS = re.compile(r"[\s,،;]+")


class SettingError(ValueError):
    def __init__(self, key: str, value: str) -> None:
        super().__init__(f"{key}: {value!r}")
        self.key = key
        self.value = value


def parse_lang(value: str) -> ChatLang:
    choice = value.strip().lower()
    if choice not in ("ar", "en", "both"):
        raise SettingError("discord.bad_language", value)
    return cast(ChatLang, choice)


def ui_lang_for(lang: ChatLang, current: Literal["ar", "en"]) -> Literal["ar", "en"]:
    """The language of the bot's replies once a chat reads digests in ``lang``."""
    return current if lang == "both" else lang


def parse_times(text: str) -> tuple[str, ...]:
    """``"08:00, 20:00"`` → ``("08:00", "20:00")``: sorted, without repeats, at most six."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if not parts or len(parts) > MAX_TIMES:
        raise SettingError("discord.bad_times", text)
    times = set()
    for part in parts:
        if len(part) == 4 and part[1] == ":":
            part = "0" + part  # 8:00
        try:
            parsed = time.fromisoformat(part)
        except ValueError:
            raise SettingError("discord.bad_times", part) from None
        if len(part) != 5 or parsed.second or parsed.microsecond:
            raise SettingError("discord.bad_times", part)
        times.add(part)
    return tuple(sorted(times))


def parse_timezone(text: str) -> str:
    name = text.strip()
    if not name or ".." in name or name.startswith("/"):
        raise SettingError("discord.bad_timezone", text)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        raise SettingError("discord.bad_timezone", text) from None
    return name
