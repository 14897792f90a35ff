"""Chat settings from `/settings` arguments: pure parsing and validation, no I/O.

`/settings` alone shows the chat's settings; `/settings lang ar|en|both`,
`/settings times 07:00,19:00`, `/settings tz Asia/Riyadh` and `/settings alerts on|off` change
one. A bad value yields an error key for the message catalog and leaves the chat unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Chat

MAX_TIMES = 6
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class SettingsChange:
    """The chat after a change, or the catalog key of the reason it was refused."""

    chat: Chat | None
    error: str = ""


def parse_times(text: str) -> tuple[str, ...] | None:
    """ "07:00,19:00" → ("07:00", "19:00"), sorted and deduplicated; None when any is invalid."""
    parts = [p.strip() for p in re.split(r"[,\s،]+", text) if p.strip()]
    if not parts or len(parts) > MAX_TIMES:
        return None
    times = set()
    for part in parts:
        match = _CLOCK.match(part)
        if match is None:
            return None
        times.add(f"{int(match.group(1)):02d}:{match.group(2)}")
    return tuple(sorted(times))


def valid_timezone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def apply_setting(chat: Chat, args: list[str]) -> SettingsChange:
    """Apply `/settings KEY VALUE` to a chat; the keys are lang, times, tz and alerts."""
    if len(args) < 2:
        return SettingsChange(None, "bot.settings_usage")
    key, value = args[0].lower(), " ".join(args[1:]).strip()
    if key == "lang":
        choice = value.lower()
        if choice not in ("ar", "en", "both"):
            return SettingsChange(None, "bot.settings_bad_lang")
        ui = chat.ui_lang if choice == "both" else choice
        return SettingsChange(replace(chat, lang=choice, ui_lang=ui))  # type: ignore[arg-type]
    if key == "times":
        if value.lower() == "default":
            return SettingsChange(replace(chat, digest_times=()))
        times = parse_times(value)
        if times is None:
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
    return SettingsChange(None, "bot.settings_usage")
