"""The settings rules every platform shares: times of day, timezones, languages."""

from __future__ import annotations

import pytest

from bot.config import ScheduleSettings
from bot.subscriptions import BadTimes, clock_time, parse_lang, parse_times, valid_timezone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:00,19:00", ("07:00", "19:00")),
        ("19:00, 7:00", ("07:00", "19:00")),
        ("08:30 08:30", ("08:30",)),
        ("23:59،00:00", ("00:00", "23:59")),  # an Arabic comma
        ("00:00;23:59", ("00:00", "23:59")),
    ],
)
def test_parse_times(text: str, expected: tuple[str, ...]) -> None:
    assert parse_times(text) == expected


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("24:00", "24:00"),
        ("7", "7"),
        ("07:60", "07:60"),
        ("", ""),
        ("08:00:30", "08:00:30"),
        ("0800", "0800"),
        ("07:00;abc", "abc"),
        ("1:00,2:00,3:00,4:00,5:00,6:00,7:00", "1:00,2:00,3:00,4:00,5:00,6:00,7:00"),
    ],
)
def test_bad_times_name_the_bad_part(text: str, bad: str) -> None:
    with pytest.raises(BadTimes) as info:
        parse_times(text)
    assert info.value.part == bad


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Asia/Riyadh", True),
        ("UTC", True),
        ("Europe/Moscow", True),
        ("Mars/Olympus", False),
        ("Asia", False),  # a folder of the zone database, not a zone
        ("../etc/passwd", False),
        ("/etc/localtime", False),
        ("", False),
    ],
)
def test_valid_timezone(name: str, ok: bool) -> None:
    assert valid_timezone(name) is ok


def test_languages() -> None:
    assert [parse_lang(v) for v in ("ar", " EN ", "both", "fr", "")] == [
        "ar",
        "en",
        "both",
        None,
        None,
    ]


def test_config_file_follows_the_same_rules() -> None:
    schedule = ScheduleSettings(digest_times=["20:00", "8:30"], timezone="Asia/Pyongyang")
    assert schedule.digest_times == ["08:30", "20:00"]
    assert clock_time("8:30") == "08:30"
    for bad in ({"digest_times": ["25:00"]}, {"timezone": "Asia"}):
        with pytest.raises(ValueError, match=r"time of day|timezone"):
            ScheduleSettings(**bad)  # type: ignore[arg-type]
