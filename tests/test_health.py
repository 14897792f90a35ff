"""Health: the verdict and the metrics (pure), the HTTP endpoint over loopback, and the endpoint
of a running bot."""

from __future__ import annotations

import asyncio
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app.daemon import run_forever
from bot.config import Settings
from bot.ops.health import metrics, verdict
from bot.ops.health_server import HealthServer, Response
from bot.ops.status import FeedStatus, Status
from bot.store.archive import Archive
from tests.fakes.feed_server import FeedServer

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"\\\n]*"\})? -?[0-9.e+]+$')


def status(**changes: object) -> Status:
    values: dict[str, object] = {
        "now": NOW,
        "feeds": (
            FeedStatus("A", "https://a.example/", "ok", NOW, 0, None),
            FeedStatus("B", "https://b.example/", "failing", NOW, 2, "HTTP 500"),
        ),
        "chats": (),
        "outbox": {"pending": 0, "sent": 5},
        "oldest_pending_at": None,
        "llm_calls_today": 7,
        "llm_tokens_today": 1234,
        "articles": 40,
        "stories": 12,
        "last_poll_at": NOW - timedelta(minutes=3),
    }
    values.update(changes)
    return Status(**values)  # type: ignore[arg-type]


def judge(snapshot: Status, last_tick: datetime | None, started: datetime = NOW) -> list[str]:
    return list(
        verdict(
            snapshot,
            started_at=started,
            last_tick_at=last_tick,
            poll_interval=timedelta(minutes=30),
            stall_factor=3,
            outbox_stuck=timedelta(minutes=30),
        ).reasons
    )


def test_healthy_while_ticks_complete_and_the_outbox_moves() -> None:
    assert judge(status(), NOW - timedelta(minutes=1)) == []
    # just started, no tick yet: not stalled
    assert judge(status(), None, started=NOW - timedelta(minutes=5)) == []
    # pending, but recent
    fresh = status(outbox={"pending": 3}, oldest_pending_at=NOW - timedelta(minutes=29))
    assert judge(fresh, NOW) == []


def test_polling_stalled() -> None:
    reasons = judge(status(), NOW - timedelta(minutes=91))
    assert reasons == ["polling stalled: the last poll tick 91 min ago"]
    never = judge(status(), None, started=NOW - timedelta(hours=2))
    assert never == ["polling stalled: no poll tick has completed in the 120 min since start"]


def test_outbox_stuck() -> None:
    stuck = status(outbox={"pending": 4}, oldest_pending_at=NOW - timedelta(minutes=45))
    assert judge(stuck, NOW) == ["outbox stuck: 4 pending, the oldest queued 45 min ago"]
    both = judge(stuck, NOW - timedelta(hours=5))
    assert len(both) == 2


def parse_metrics(text: str) -> dict[str, float]:
    """Check the exposition format line by line; return every sample by name and labels."""
    samples: dict[str, float] = {}
    described: set[str] = set()
    typed: set[str] = set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            described.add(line.split(" ")[2])
        elif line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:4]
            assert kind in ("gauge", "counter"), line
            typed.add(name)
        else:
            assert SAMPLE.match(line), line
            key, value = line.rsplit(" ", 1)
            assert key.split("{")[0] in typed, f"sample before its TYPE: {line}"
            samples[key] = float(value)
    assert described == typed
    return samples


def test_metrics_in_the_prometheus_text_format() -> None:
    snapshot = status(outbox={"pending": 2, "sent": 5}, oldest_pending_at=NOW)
    text = metrics(
        snapshot, healthy=verdict(snapshot, started_at=NOW, last_tick_at=NOW,
                                  poll_interval=timedelta(minutes=30), stall_factor=3,
                                  outbox_stuck=timedelta(minutes=30)),
        last_tick_at=NOW,
    )  # fmt: skip
    samples = parse_metrics(text)
    assert samples["digestbot_up"] == 1
    assert samples['digestbot_feeds{state="ok"}'] == 1
    assert samples['digestbot_feeds{state="failing"}'] == 1
    assert samples['digestbot_feeds{state="disabled"}'] == 0
    assert samples["digestbot_articles"] == 40 and samples["digestbot_stories"] == 12
    assert samples['digestbot_outbox_messages{status="pending"}'] == 2
    assert samples['digestbot_outbox_messages{status="failed"}'] == 0
    assert samples["digestbot_llm_calls_today"] == 7
    assert samples["digestbot_llm_tokens_today"] == 1234
    assert samples["digestbot_last_poll_timestamp_seconds"] == NOW.timestamp()


async def test_the_endpoint_over_loopback() -> None:
    answers = {"/healthz": Response(503, "outbox stuck\n"), "/metrics": Response(200, "m 1\n")}

    def handler(path: str) -> Response:
        if path == "/boom":
            raise RuntimeError("bug")
        return answers.get(path, Response(404, "not found\n"))

    server = HealthServer(handler, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            healthz = await client.get("/healthz")
            assert (healthz.status_code, healthz.text) == (503, "outbox stuck\n")
            assert (await client.get("/metrics?x=1")).text == "m 1\n"
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/healthz")).status_code == 405
            assert (await client.get("/boom")).status_code == 503
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"garbage\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()
    finally:
        await server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_running_bot_reports_its_health(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.add("/wire.xml", b'<?xml version="1.0"?><rss version="2.0"><channel>'
                    b"<title>Wire</title></channel></rss>")  # fmt: skip
    port = free_port()
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "health": {"port": port, "outbox_stuck_minutes": 30},
            "feeds": [{"url": feed_server.url("/wire.xml"), "name": "Wire"}],
        }
    )
    stop = asyncio.Event()
    bot = asyncio.create_task(run_forever(settings, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            samples: dict[str, float] = {}
            for _ in range(300):  # until the first poll tick completed
                if bot.done():
                    await bot  # raises what stopped it
                try:
                    samples = parse_metrics((await client.get("/metrics")).text)
                except httpx.ConnectError:
                    samples = {}
                if samples.get("digestbot_last_poll_timestamp_seconds"):
                    break
                await asyncio.sleep(0.1)
            assert samples["digestbot_last_poll_timestamp_seconds"] > 0
            assert samples['digestbot_feeds{state="ok"}'] == 1
            healthz = await client.get("/healthz")
            assert (healthz.status_code, healthz.text) == (200, "ok\n")
            # a message for a platform nobody delivers to, queued an hour ago: stuck
            archive = Archive.in_dir(tmp_path)
            archive.queue_digest(
                platform="telegram",
                chat_id=5,
                thread_id=None,
                digest_key="telegram:5:old",
                period_end=datetime.now(UTC),
                parts=["hello"],
                now=datetime.now(UTC) - timedelta(hours=1),
            )
            archive.close()
            stuck = await client.get("/healthz")
            assert stuck.status_code == 503
            assert stuck.text.startswith("outbox stuck: 1 pending, the oldest queued 60 min ago")
            assert parse_metrics((await client.get("/metrics")).text)["digestbot_up"] == 0
    finally:
        stop.set()
        await asyncio.wait_for(bot, timeout=30)
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")


async def test_the_handler_reports_a_stalled_poll(tmp_path: Path) -> None:
    from bot.app.container import services
    from bot.app.health_endpoint import health_handler
    from bot.app.jobs import Heartbeat

    settings = Settings.model_validate(
        {"storage": {"data_dir": str(tmp_path)}, "schedule": {"poll_minutes": 10}}
    )
    async with services(settings, now=lambda: NOW) as svc:
        heartbeat = Heartbeat(started_at=NOW - timedelta(hours=1))
        handle = health_handler(svc, heartbeat)
        heartbeat.last_poll_at = NOW - timedelta(minutes=29)
        assert handle("/healthz") == Response(200, "ok\n")
        heartbeat.last_poll_at = NOW - timedelta(minutes=31)  # more than 3 × 10 minutes
        stalled = handle("/healthz")
        assert stalled.status == 503
        assert stalled.body == "polling stalled: the last poll tick 31 min ago\n"
        assert handle("/other").status == 404
        samples = parse_metrics(handle("/metrics").body)
        last = samples["digestbot_last_poll_timestamp_seconds"]
        assert (samples["digestbot_up"], last) == (0, heartbeat.last_poll_at.timestamp())
