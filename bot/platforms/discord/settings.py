"""A chat's settings as typed in Discord's ``/settings``: checked with the rules every platform
shares (``bot.subscriptions``). Pure. Every problem is a ``SettingError`` carrying the catalog
key of the message to show and the offending value.
"""

from __future__ import annotations

from bot import subscriptions as chat_settings
from bot.models import ChatLang, Digits


class SettingError(ValueError):
    def __init__(self, key: str, value: str) -> None:
        super().__init__(f"{key}: {value!r}")
        self.key = key
        self.value = value


def parse_lang(value: str) -> ChatLang:
    lang = chat_settings.parse_lang(value)
    if lang is None:
        raise SettingError("discord.bad_language", value)
    return lang


def parse_times(text: str) -> tuple[str, ...]:
    """``"08:00, 20:00"`` → ``("08:00", "20:00")``: sorted, without repeats, at most six."""
    try:
        return chat_settings.parse_times(text)
    except chat_settings.BadTimes as exc:
        raise SettingError("discord.bad_times", exc.part) from None


def parse_timezone(text: str) -> str:
    name = text.strip()
    if not chat_settings.valid_timezone(name):
        raise SettingError("discord.bad_timezone", text)
    return name


def parse_digits(value: str) -> Digits:
    digits = chat_settings.parse_digits(value)
    if digits is None:
        raise SettingError("discord.bad_digits", value)
    return digits
