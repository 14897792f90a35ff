"""``digestbot status`` exits 0 when the bot is healthy and 1 when it is not (the Docker
HEALTHCHECK runs it): polling stalled, judged from the feeds' due times in the stores, or the
outbox stuck, judged as by the health endpoint."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import FeedState
from bot.ops.health import poll_overdue_since, stored_verdict
from bot.ops.status import Status
from bot.store.archive import Archive
from bot.store.state import StateStore

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
CONFIG = (
    '[schedule]\npoll_minutes = 30\n[[feeds]]\nurl = "https://good.example/rss"\nname = "Good"\n'
)


def snapshot(*, oldest_pending: datetime | None = None) -> Status:
    return Status(
        now=NOW,
        feeds=(),
        chats=(),
        outbox={"pending": 1} if oldest_pending else {},
        oldest_pending_at=oldest_pending,
        llm_calls_today=0,
        llm_tokens_today=0,
        articles=0,
        stories=0,
    )


def feed(url: str, **fields: object) -> FeedState:
    return FeedState(url=url, name=url, **fields)  # type: ignore[arg-type]


def judge(status: Status, feeds: list[FeedState]) -> tuple[bool, tuple[str, ...]]:
    verdict = stored_verdict(
        status,
        feeds,
        poll_interval=timedelta(minutes=30),
        stall_factor=3,
        outbox_stuck=timedelta(minutes=30),
    )
    return verdict.ok, verdict.reasons


@pytest.mark.parametrize(
    ("feeds", "ok"),
    [
        ([], True),
        ([feed("a", next_poll_at=NOW + timedelta(minutes=20))], True),
        ([feed("a", next_poll_at=NOW - timedelta(minutes=89))], True),
        ([feed("a", next_poll_at=NOW - timedelta(minutes=91))], False),
        ([feed("a", next_poll_at=NOW - timedelta(days=3), disabled=True)], True),
        ([feed("a", added_at=NOW - timedelta(hours=2))], False),  # never polled since added
        ([feed("a")], True),  # nothing known about when it is due
    ],
)
def test_polling_stalls_when_a_feed_stays_overdue(feeds: list[FeedState], ok: bool) -> None:
    healthy, reasons = judge(snapshot(), feeds)
    assert healthy is ok
    assert all(r.startswith("polling stalled: a feed's poll has been due for") for r in reasons)


def test_the_oldest_due_time_counts() -> None:
    feeds = [
        feed("a", next_poll_at=NOW - timedelta(minutes=5)),
        feed("b", next_poll_at=NOW - timedelta(hours=4)),
    ]
    assert poll_overdue_since(feeds) == NOW - timedelta(hours=4)
    assert judge(snapshot(), feeds)[1] == (
        "polling stalled: a feed's poll has been due for 240 min",
    )


def test_a_stuck_outbox_is_unhealthy() -> None:
    ok, reasons = judge(snapshot(oldest_pending=NOW - timedelta(minutes=45)), [])
    assert not ok and reasons == ("outbox stuck: 1 pending, the oldest queued 45 min ago",)
    assert judge(snapshot(oldest_pending=NOW - timedelta(minutes=10)), [])[0]


def run_status(tmp_path: Path, *args: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = io.StringIO()
    code = main(["status", "--config", str(config), "--data-dir", str(tmp_path), *args], out)
    return code, out.getvalue()


def save_feed(tmp_path: Path, due_in: timedelta) -> None:
    now = datetime.now(UTC)
    state = StateStore(tmp_path)
    state.save_feed(
        FeedState(
            url="https://good.example/rss",
            name="Good",
            last_fetch_at=now - timedelta(minutes=30),
            last_status=200,
            next_poll_at=now + due_in,
            added_at=now - timedelta(days=3),
        )
    )
    state.close()


def test_status_exits_0_when_healthy(tmp_path: Path) -> None:
    save_feed(tmp_path, timedelta(minutes=10))
    code, text = run_status(tmp_path)
    assert code == 0 and "health: OK" in text
    code, text = run_status(tmp_path, "--json")
    assert code == 0 and json.loads(text)["healthy"] is True
    assert json.loads(text)["problems"] == []


def test_status_exits_1_when_polling_has_stalled(tmp_path: Path) -> None:
    save_feed(tmp_path, -timedelta(hours=3))  # the bot has not polled for hours
    code, text = run_status(tmp_path)
    assert code == 1
    assert "health: UNHEALTHY" in text and "polling stalled: a feed's poll has been due" in text
    code, text = run_status(tmp_path, "--json")
    data = json.loads(text)
    assert code == 1 and data["healthy"] is False and len(data["problems"]) == 1


def test_status_exits_1_when_the_outbox_is_stuck(tmp_path: Path) -> None:
    save_feed(tmp_path, timedelta(minutes=10))
    now = datetime.now(UTC)
    archive = Archive.in_dir(tmp_path)
    archive.queue_digest(
        platform="telegram",
        chat_id=42,
        thread_id=None,
        digest_key="telegram:42:a",
        period_end=now - timedelta(hours=2),
        parts=["one"],
        now=now - timedelta(hours=1),
    )
    archive.close()
    code, text = run_status(tmp_path)
    assert code == 1 and "outbox stuck: 1 pending" in text
