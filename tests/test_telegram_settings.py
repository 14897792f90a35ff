"""`/settings` arguments: parsing and validation of language, digest times, time zone, alerts."""

from __future__ import annotations

import pytest

from bot.models import Chat
from bot.platforms.telegram.settings import apply_setting

CHAT = Chat(platform="telegram", chat_id=1, lang="en", ui_lang="en")


def test_apply_each_setting() -> None:
    both = apply_setting(CHAT, ["lang", "both"]).chat
    assert both is not None and both.lang == "both" and both.ui_lang == "en"
    arabic = apply_setting(CHAT, ["LANG", "ar"]).chat
    assert arabic is not None and arabic.lang == "ar" and arabic.ui_lang == "ar"
    timed = apply_setting(CHAT, ["times", "19:00,07:00"]).chat
    assert timed is not None and timed.digest_times == ("07:00", "19:00")
    reset = apply_setting(timed, ["times", "default"]).chat
    assert reset is not None and reset.digest_times == ()
    zoned = apply_setting(CHAT, ["tz", "Asia/Riyadh"]).chat
    assert zoned is not None and zoned.timezone == "Asia/Riyadh"
    alerted = apply_setting(CHAT, ["alerts", "on"]).chat
    assert alerted is not None and alerted.alerts
    quiet = apply_setting(alerted, ["alerts", "off"]).chat
    assert quiet is not None and not quiet.alerts


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["lang", "fr"], "bot.settings_bad_lang"),
        (["times", "25:00"], "bot.settings_bad_times"),
        (["tz", "Nowhere/City"], "bot.settings_bad_tz"),
        (["alerts", "maybe"], "bot.settings_bad_alerts"),
        (["colour", "red"], "bot.settings_usage"),
        (["tz"], "bot.settings_usage"),
    ],
)
def test_bad_values_are_refused(args: list[str], error: str) -> None:
    change = apply_setting(CHAT, args)
    assert change.chat is None and change.error == error
