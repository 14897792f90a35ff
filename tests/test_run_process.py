"""`digestbot run` as a real process against the loopback fakes: a digest missed while it was
down goes out once at start, never again after a restart; SIGTERM ends it with exit code 0 and
stores that open cleanly; its health endpoint and JSON logs work."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Article, Chat, Decision, Summary
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_cli_process import clean_env

TOKEN = "424242:RUNPROCESS-secret-token"
CHAT = 555
LATER_CHAT = 556


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(data: Path, now: datetime) -> None:
    """A chat subscribed days ago whose last digest was two days ago, and a story archived
    an hour before the latest digest time (00:00 UTC): that digest was missed while the bot
    was down."""
    data.mkdir()
    state = StateStore(data)
    state.save_chat(
        Chat(
            platform="telegram",
            chat_id=CHAT,
            subscribed=True,
            subscribed_at=now - timedelta(days=5),
            last_digest_at=now - timedelta(days=2),
        )
    )
    state.close()
    archive = Archive.in_dir(data)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    seen = midnight - timedelta(hours=1)  # an hour before the latest 00:00 UTC slot
    article = Article(
        id="missed-1",
        feed_url="https://wire.example/rss",
        source="Wire",
        url="https://wire.example/missed",
        title="Russia and North Korea open a new rail link",
        summary="The rail link opened.",
        lang="en",
        published=seen,
        seen_at=seen,
    )
    archive.add_article(article, Decision(True, 0.9, ("russia",), "t"), announce=True)
    story = archive.attach(article.id, None, entities=(), announce=True, now=seen)
    summary = Summary(None, None, "Missed headline: rail link opens", "It opened.", "llm")
    archive.save_summary(archive.story(story), summary, seen)
    archive.close()


def wait_for(condition: Callable[[], object], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"digestbot exited early ({process.returncode}) waiting for {what}: {err}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def start(config: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=cwd,
        env=clean_env() | {"TELEGRAM_BOT_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def terminate(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    return stderr


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def assert_stores_open_cleanly(data: Path) -> None:
    state = StateStore(data)
    chats = {chat.chat_id: chat for chat in state.chats(subscribed_only=True)}
    state.close()
    assert CHAT in chats
    json.loads((data / "state.json").read_text(encoding="utf-8"))
    db = sqlite3.connect(data / "archive.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    archive = Archive.in_dir(data)
    archive.close()


def test_run_sends_a_missed_digest_once_and_stops_cleanly_on_sigterm(
    tmp_path: Path, feeds: FeedServer
) -> None:
    data = tmp_path / "data"
    prepare(data, datetime.now(UTC))
    port = free_port()
    with FakeTelegramAPI().run_in_thread() as telegram:
        config = tmp_path / "config.toml"
        config.write_text(
            "[ingest]\nallow_private_networks = true\n"
            '[schedule]\ndigest_times = ["00:00"]\ntimezone = "UTC"\n'
            f'[storage]\ndata_dir = "{data}"\n'
            f'[telegram]\nbase_url = "{telegram.bot_url}"\n'
            f'[health]\nport = {port}\n[logging]\nformat = "json"\n'
            f'[[feeds]]\nurl = "{feeds.url("/wire.xml")}"\nname = "Wire"\nlang = "en"\n',
            encoding="utf-8",
        )
        process = start(config, tmp_path)
        wait_for(lambda: telegram.messages_to(CHAT), process, "the missed digest")
        assert "Missed headline: rail link opens" in telegram.messages_to(CHAT)[0].text
        wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, process, "healthz")
        status, body = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and 'digestbot_outbox_messages{status="sent"} 1' in body
        stderr = terminate(process)
        assert len(telegram.messages_to(CHAT)) == 1
        records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
        assert records and records[-1]["message"] == "digestbot stopped"
        assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr
        assert_stores_open_cleanly(data)

        # A restart: the missed digest is not sent again; a chat that subscribed meanwhile
        # gets its first digest, with the story (which shows the digest tick ran).
        state = StateStore(data)
        state.save_chat(Chat(platform="telegram", chat_id=LATER_CHAT, subscribed=True))
        state.close()
        again = start(config, tmp_path)
        wait_for(lambda: telegram.messages_to(LATER_CHAT), again, "the new chat's digest")
        terminate(again)
        assert len(telegram.messages_to(CHAT)) == 1
        assert_stores_open_cleanly(data)
