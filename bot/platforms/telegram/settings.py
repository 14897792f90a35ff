"""Chat settings from `/settings` arguments: pure parsing and validation, no I/O.

`/settings` alone shows the chat's settings; `/settings lang ar|en|both`,
`/settings times 07:00,19:00`, `/settings tz Asia/Riyadh`, `/settings alerts on|off` and
`/settings digits arab|latn` change one. A bad value yields an error key for the message
catalog and leaves the chat unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.models import Chat
from bot.subscriptions import (
    BadTimes,
    parse_digits,
    parse_lang,
    parse_times,
    ui_lang_for,
    valid_timezone,
)


@dataclass(frozen=True)
class SettingsChange:
    """The chat after a change, or the catalog key of the reason it was refused."""

    chat: Chat | None
    error: str = ""


def apply_setting(chat: Chat, args: list[str]) -> SettingsChange:
    """Apply `/settings KEY VALUE` to a chat; the keys are lang, times, tz, alerts and digits."""
    if len(args) < 2:
        return SettingsChange(None, "bot.settings_usage")
    key, value = args[0].lower(), " ".join(args[1:]).strip()
    if key == "lang":
        choice = parse_lang(value)
        if choice is None:
            return SettingsChange(None, "bot.settings_bad_lang")
        return SettingsChange(replace(chat, lang=choice, ui_lang=ui_lang_for(choice, chat.ui_lang)))
    if key == "times":
        if value.lower() == "default":
            return SettingsChange(replace(chat, digest_times=()))
        try:
            times = parse_times(value)
        except BadTimes:
            return SettingsChange(None, "bot.settings_bad_times")
        return SettingsChange(replace(chat, digest_times=times))
    if key == "tz":
        if value.lower() == "default":
            return SettingsChange(replace(chat, timezone=""))
        if not valid_timezone(value):
            return SettingsChange(None, "bot.settings_bad_tz")
        return SettingsChange(replace(chat, timezone=value))
    if key == "alerts":
        switch = value.lower()
        if switch not in ("on", "off"):
            return SettingsChange(None, "bot.settings_bad_alerts")
        return SettingsChange(replace(chat, alerts=switch == "on"))
    if key == "digits":
        digits = parse_digits(value)
        if digits is None:
            return SettingsChange(None, "bot.settings_bad_digits")
        return SettingsChange(replace(chat, digits=digits))
    return SettingsChange(None, "bot.settings_usage")
