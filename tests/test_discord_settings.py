"""A chat's settings as typed in /settings: the rules of the config's [schedule]."""

from __future__ import annotations

import pytest

from bot.platforms.discord.settings import (
    SettingError,
    parse_lang,
    parse_times,
    parse_timezone,
)
from bot.subscriptions import ui_lang_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", ("08:00",)),
        ("20:00, 08:00", ("08:00", "20:00")),
        ("8:30 20:00,20:00", ("08:30", "20:00")),
        ("07:15، 19:45", ("07:15", "19:45")),  # an Arabic comma
        ("00:00;23:59", ("00:00", "23:59")),
    ],
)
def test_times(text: str, expected: tuple[str, ...]) -> None:
    assert parse_times(text) == expected


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("", ""),
        ("   ", "   "),
        ("25:00", "25:00"),
        ("8am", "8am"),
        ("08:00:30", "08:00:30"),
        ("0800", "0800"),
        ("08:00, noon", "noon"),
        ("1:00 2:00 3:00 4:00 5:00 6:00 7:00", "1:00 2:00 3:00 4:00 5:00 6:00 7:00"),
    ],
)
def test_bad_times_name_the_bad_part(text: str, bad: str) -> None:
    with pytest.raises(SettingError) as info:
        parse_times(text)
    assert info.value.key == "discord.bad_times" and info.value.value == bad


@pytest.mark.parametrize("name", ["UTC", "Asia/Riyadh", " Europe/Moscow ", "Asia/Pyongyang"])
def test_timezones(name: str) -> None:
    assert parse_timezone(name) == name.strip()


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "Asia"])
def test_bad_timezones(name: str) -> None:
    with pytest.raises(SettingError) as info:
        parse_timezone(name)
    assert info.value.key == "discord.bad_timezone"


def test_languages() -> None:
    assert [parse_lang(v) for v in ("ar", " EN ", "both")] == ["ar", "en", "both"]
    with pytest.raises(SettingError):
        parse_lang("fr")
    assert ui_lang_for("both", "ar") == "ar" and ui_lang_for("en", "ar") == "en"
