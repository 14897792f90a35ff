"""`digestbot status`: what it reads from the stores, as text and as JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import main
from bot.models import Chat, FeedState
from bot.ops.status import ChatStatus, FeedStatus, Status, render_text, to_json
from bot.store.archive import Archive
from bot.store.state import StateStore

CONFIG = """
[[feeds]]
url = "https://good.example/rss"
name = "Good"

[[feeds]]
url = "https://down.example/rss"
name = "Down"
"""


def prepare(tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    state = StateStore(tmp_path)
    state.save_feed(
        FeedState(url="https://good.example/rss", name="Good", last_fetch_at=now, items=3)
    )
    state.save_feed(
        FeedState(
            url="https://down.example/rss",
            name="Down",
            last_fetch_at=now - timedelta(hours=1),
            last_error="HTTP 503",
            failures=4,
        )
    )
    state.save_chat(Chat(platform="telegram", chat_id=42, subscribed=True, title="Newsroom"))
    state.save_chat(Chat(platform="telegram", chat_id=43, subscribed=True))
    state.close()
    archive = Archive.in_dir(tmp_path)
    archive.queue_digest(
        platform="telegram",
        chat_id=42,
        thread_id=None,
        digest_key="telegram:42:a",
        period_end=now - timedelta(hours=2),
        parts=["one", "two"],
        now=now - timedelta(minutes=10),
    )
    archive.mark_sent(1, 99, now)
    archive.record_llm_use(
        f"{now:%Y-%m-%d}", "summary", calls=3, prompt_tokens=300, completion_tokens=120
    )
    archive.record_llm_use("2001-01-01", "summary", calls=9, prompt_tokens=9, completion_tokens=9)
    archive.close()
    return config


def run(config: Path, *args: str) -> str:
    out = io.StringIO()
    code = main(["status", "--config", str(config), "--data-dir", str(config.parent), *args], out)
    assert code == 0
    return out.getvalue()


def test_status_text(tmp_path: Path) -> None:
    text = run(prepare(tmp_path))
    assert "feeds: 1 OK, 1 failing, 0 disabled" in text
    assert "failing: Down <https://down.example/rss> — 4 failures; HTTP 503" in text
    assert "last poll: " in text and "last poll: never" not in text
    assert "subscribed chats: 2" in text
    assert "telegram:42 (Newsroom): last digest" in text and "(2 h ago)" in text
    assert "telegram:43: last digest never" in text
    assert "outbox: 1 pending, oldest queued" in text and "sent 1" in text
    assert "LLM today: 3 calls, 420 tokens" in text


def test_status_json_for_scripts(tmp_path: Path) -> None:
    data = json.loads(run(prepare(tmp_path), "--json"))
    assert data["feeds"]["ok"] == 1 and data["feeds"]["failing"] == 1
    assert data["feeds"]["not_ok"][0]["error"] == "HTTP 503"
    assert data["last_poll_at"] is not None
    by_chat = {c["chat"]: c["last_digest_at"] for c in data["chats"]}
    assert by_chat["telegram:43"] is None
    assert datetime.fromisoformat(by_chat["telegram:42"]) < datetime.now(UTC)
    assert data["outbox"]["pending"] == 1 and data["outbox"]["by_status"]["sent"] == 1
    assert data["llm_today"] == {"calls": 3, "tokens": 420}


def test_an_empty_install_reads_cleanly(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    text = run(config)
    assert "feeds: 2 OK, 0 failing" in text
    assert "last poll: never" in text
    assert "outbox: 0 pending" in text


def test_render_is_pure_and_readable() -> None:
    now = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
    status = Status(
        now=now,
        feeds=(FeedStatus("A", "https://a.example/", "disabled", None, 60, "timed out"),),
        chats=(ChatStatus("discord:7", "", now - timedelta(days=3)),),
        outbox={"failed": 2},
        oldest_pending_at=None,
        llm_calls_today=0,
        llm_tokens_today=0,
        articles=10,
        stories=4,
        last_poll_at=now - timedelta(minutes=5),
    )
    assert render_text(status) == (
        "feeds: 0 OK, 0 failing, 1 disabled\n"
        "  disabled: A <https://a.example/> — 60 failures; timed out\n"
        "last poll: 2024-11-05 08:55 UTC (5 min ago)\n"
        "subscribed chats: 1\n"
        "  discord:7: last digest 2024-11-02 09:00 UTC (3 days ago)\n"
        "outbox: 0 pending; failed 2\n"
        "LLM today: 0 calls, 0 tokens\n"
        "archive: 10 articles in 4 stories\n"
    )
    assert to_json(status)["outbox"] == {
        "pending": 0,
        "by_status": {"failed": 2},
        "oldest_pending_at": None,
    }
