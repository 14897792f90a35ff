"""The real `digestbot` process: `once` for cron, and `run` stopping cleanly on SIGTERM.

The child processes only talk to loopback fakes started here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "987654:PROCESS-secret-token"


def fresh_feed() -> bytes:
    now = datetime.now(UTC)
    items = [
        ("troops", "North Korean troops arrive in Russia's Kursk region", now - timedelta(hours=1)),
        ("weather", "Heavy rain expected across the Levant", now - timedelta(hours=2)),
    ]
    body = "".join(
        f"<item><guid>tag:wire.example,2026:{guid}</guid><title>{title}</title>"
        f"<link>https://wire.example/{guid}</link><description>{title}.</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"{body}</channel></rss>"
    ).encode()


def write_config(path: Path, feeds: FeedServer, extra: str = "") -> Path:
    path.write_text(
        "[ingest]\nallow_private_networks = true\n"
        f'[[feeds]]\nurl = "{feeds.url("/wire.xml")}"\nname = "Wire"\nlang = "en"\n{extra}',
        encoding="utf-8",
    )
    return path


def digestbot(
    *args: str, env: dict[str, str] | None = None, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or clean_env(),
        check=False,
    )


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_once_prints_new_stories_then_nothing(tmp_path: Path, feeds: FeedServer) -> None:
    config = write_config(tmp_path / "config.toml", feeds)
    data = str(tmp_path / "data")
    first = digestbot("once", "--config", str(config), "--data-dir", data)
    assert first.returncode == 0, first.stderr
    assert "North Korean troops arrive in Russia's Kursk region" in first.stdout
    assert "https://wire.example/troops" in first.stdout
    assert "Levant" not in first.stdout
    second = digestbot("once", "--config", str(config), "--data-dir", data)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""  # nothing new, nothing printed twice


def test_run_serves_telegram_and_stops_on_sigterm(tmp_path: Path, feeds: FeedServer) -> None:
    api = FakeTelegramAPI()
    with api.run_in_thread() as telegram:
        config = write_config(
            tmp_path / "config.toml",
            feeds,
            f'[telegram]\nbase_url = "{telegram.bot_url}"\n',
        )
        env = clean_env() | {"TELEGRAM_BOT_TOKEN": TOKEN}
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "-v", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not telegram.calls_to("getUpdates") and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
            assert telegram.calls_to("getUpdates"), "the bot never polled for updates"
            assert telegram.get_commands(language_code="ar")  # Arabic menu registered
            telegram.user_sends("/start", chat_id=31337, language_code="en")
            deadline = time.monotonic() + 30
            while not telegram.messages_to(31337) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "relations between Russia and North Korea" in telegram.messages_to(31337)[0].text
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=15)
            assert time.monotonic() - started < 10
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, stderr
    assert "digestbot stopped" in stderr
    assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr  # secrets never logged
    assert (tmp_path / "data" / "state.json").exists()


def test_a_rejected_token_is_a_clear_error_without_the_token(
    tmp_path: Path, feeds: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    secret = "not-a-valid-token-SECRETVALUE"
    with FakeTelegramAPI().run_in_thread() as telegram:
        config = write_config(
            tmp_path / "config.toml",
            feeds,
            f'[telegram]\ntoken = "{secret}"\nbase_url = "{telegram.bot_url}"\n',
        )
        code = main(["once", "--config", str(config), "--data-dir", str(tmp_path / "d")])
    captured = capsys.readouterr()
    assert code == 2
    assert "digestbot: Telegram:" in captured.err
    assert "SECRETVALUE" not in captured.err + captured.out
