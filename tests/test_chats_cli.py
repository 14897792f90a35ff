"""`digestbot subscribe|unsubscribe @channel|ID` and `digestbot chats list`: the operator's
commands for channels, with @usernames resolved by getChat on the fake Bot API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.telegram_api import FakeTelegramAPI


def run(tmp_path: Path, *args: str, base_url: str | None = None) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    if base_url is not None:
        config.write_text(
            f'[telegram]\ntoken = "123456:CLI-token"\nbase_url = "{base_url}"\n', encoding="utf-8"
        )
    elif not config.exists():
        config.write_text("", encoding="utf-8")
    out = io.StringIO()
    code = main([*args, "--config", str(config), "--data-dir", str(tmp_path)], out=out)
    return code, out.getvalue()


def test_numeric_ids_need_no_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "subscribe", "-1001234567890", "--lang", "ar")[0] == 0
    code, listing = run(tmp_path, "chats", "list")
    assert code == 0
    assert "telegram\t-1001234567890\tsubscribed\tar\ttimes=default\ttz=default" in listing
    assert run(tmp_path, "unsubscribe", "-1001234567890")[0] == 0
    assert "\tunsubscribed\t" in run(tmp_path, "chats", "list")[1]

    assert run(tmp_path, "unsubscribe", "-1001234567890")[0] == 2
    assert "not subscribed" in capsys.readouterr().err
    assert run(tmp_path, "subscribe", "not a chat")[0] == 2
    assert "neither a chat ID nor an @username" in capsys.readouterr().err
    assert run(tmp_path, "subscribe", "@somechannel")[0] == 2  # no token configured
    assert "token" in capsys.readouterr().err


def test_usernames_are_resolved_with_get_chat(tmp_path: Path) -> None:
    with FakeTelegramAPI().run_in_thread() as telegram:
        code, out = run(tmp_path, "subscribe", "@news_channel", base_url=telegram.bot_url)
        assert code == 0
        assert [c.method for c in telegram.calls if c.method == "getChat"] == ["getChat"]
    assert "subscribed: -1000000000001 news_channel (en)" in out
    listing = run(tmp_path, "chats", "list")[1]
    assert "-1000000000001\tsubscribed\ten" in listing and "news_channel" in listing
