"""Benchmark: what a poll costs when nothing changed, and how long its state work holds the
event loop. Both side by side with the former way, in one run.

Run from the project root::

    python bench/poll_state.py                        # 200 feeds; 2,000 feeds, 20,000 chats
    python bench/poll_state.py --feeds 50 --state-feeds 500 --chats 2000   # a quick run

1. Unchanged bodies. ``--feeds`` loopback feeds (``tests.fakes.feed_server.FeedServer`` in a
   process of its own, so the CPU measured is the bot's) are polled by the real pipeline
   (``bot.app.container.services``): once cold, then again with the same bodies:

   - ``304``: the feeds send an ETag and Last-Modified, and answer the second poll with 304;
   - ``unchanged 200``: the feeds send no validators and answer 200 with the same body;
   - ``former 200``: the same, with the stored body digests cleared first: what every such
     poll cost before (each body parsed, cleaned, classified and looked up again).

   Target: ``unchanged 200`` ≤ 1.3 × ``304`` in wall time.

2. State work on the event loop, at ``--state-feeds`` feeds and ``--chats`` chats. A poll reads
   the feeds' states (``sync_feeds``) and writes every polled feed's new state
   (``save_feeds``). The former way (feeds in ``state.json`` beside the chats, TinyDB, on the
   event loop) is rebuilt here from its code; it held the loop for its whole wall time, fsync
   included. The new way is the pipeline's own calls (``sync_feeds_async``,
   ``save_feeds_async``); measured are the CPU time of the event loop's thread during them,
   and the longest a 1 ms heartbeat task on the loop waited (what a command waiting for an
   answer would see, the worker thread's share of the GIL included).

   Target: the new way's event-loop time ≤ 5 ms per poll.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import child_server  # noqa: E402

UNCHANGED_RATIO = 1.3
LOOP_MS = 5.0

TOPIC = [
    "Kim Jong Un meets Putin in {place} to discuss military cooperation",
    "Lavrov arrives in Pyongyang for talks with North Korean officials in {place}",
]
OTHER = [
    "Football: {place} United beat City in a late comeback",
    "Markets: stocks in {place} close higher on tech earnings",
    "Weather: storms expected across {place} this weekend",
]
PLACES = ["Vladivostok", "Moscow", "Pyongyang", "Leeds", "Lyon", "Osaka", "Lima", "Oslo"]


def make_feed(index: int, items: int, now: datetime) -> bytes:
    """One RSS feed, the same for the same arguments (about one item in ten on topic)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Feed {index}</title><link>https://feed{index}.example/</link>",
    ]
    for n in range(items):
        pool = TOPIC if (index + n) % 10 == 0 else OTHER
        title = pool[(index * 7 + n) % len(pool)].format(place=PLACES[(index + n) % len(PLACES)])
        published = now - timedelta(minutes=(index * 13 + n * 29) % (3 * 24 * 60))
        parts.append(
            f"<item><title>{title} ({index}-{n})</title>"
            f"<link>https://feed{index}.example/news/{n}</link>"
            f'<guid isPermaLink="false">feed{index}-{n}</guid>'
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<description>Officials said the matter was discussed at length; next steps"
            f" will be announced in the coming weeks ({index}-{n}).</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def _serve(conn: Connection, feeds: int, items: int) -> None:
    """Child process: each feed at /v/ (with validators) and /n/ (without)."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.feed_server import FeedServer

    async def main() -> None:
        server = FeedServer()
        now = datetime.now(UTC)
        for index in range(feeds):
            body = make_feed(index, items, now)
            server.add(f"/v/{index}.xml", body)
            server.add(f"/n/{index}.xml", body, etag=False, last_modified=None)
        async with server:
            conn.send(server.base_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # STOP

    asyncio.run(main())


# --- 1. unchanged bodies ----------------------------------------------------------------------


async def unchanged_polls(
    base_url: str, feeds: int, repeats: int
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of a second poll, per way (the three polled in turns, so
    that the machine's load falls on each alike); and of the cold poll."""
    from bot.app.container import Services, services
    from bot.config import Settings

    ways = (("v", "304"), ("n", "unchanged 200"), ("n", "former 200"))
    times: dict[str, list[tuple[float, float]]] = {label: [] for _, label in ways}
    async with contextlib.AsyncExitStack() as stack:
        built: dict[str, Services] = {}
        for kind, label in ways:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="digestbot-bench-"))
            settings = Settings.model_validate(
                {
                    "storage": {"data_dir": data_dir},
                    "ingest": {
                        "allow_private_networks": True,
                        "concurrency": 16,
                        "per_host_concurrency": 16,
                    },
                    "feeds": [
                        {"url": f"{base_url}/{kind}/{i}.xml", "name": f"Feed {i}"}
                        for i in range(feeds)
                    ],
                }
            )
            svc = built[label] = await stack.enter_async_context(services(settings))
            wall, cpu = time.perf_counter(), time.process_time()
            await svc.poller.poll(force=True)
            if label == "304":
                times["cold"] = [(time.perf_counter() - wall, time.process_time() - cpu)]
        for _ in range(repeats):
            for _, label in ways:
                svc = built[label]
                if label == "former 200":
                    # what a poll did before the digests: every body read through again
                    svc.state.save_feeds([replace(f, body_hash=None) for f in svc.state.feeds()])
                wall, cpu = time.perf_counter(), time.process_time()
                report = await svc.poller.poll(force=True)
                times[label].append((time.perf_counter() - wall, time.process_time() - cpu))
                expected = 0 if label == "former 200" else feeds
                if report.feeds_not_modified != expected:
                    raise SystemExit(f"{label}: {report.feeds_not_modified} unchanged of {feeds}")
    return {
        label: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for label, runs in times.items()
    }


# --- 2. state work on the event loop ----------------------------------------------------------


def chats_doc(chats: int) -> dict[str, Any]:
    return {
        str(i): {
            "platform": "telegram",
            "chat_id": -1_000_000 - i,
            "lang": "ar" if i % 3 else "both",
            "ui_lang": "ar",
            "subscribed": True,
            "title": f"Chat {i}",
            "subscribed_at": "2026-01-01T00:00:00+00:00",
            "last_digest_at": "2026-12-01T07:00:00+00:00",
            "digest_times": ["07:30"],
            "timezone": "Asia/Riyadh",
            "alerts": False,
        }
        for i in range(1, chats + 1)
    }


def polled(states: Sequence[Any], now: datetime) -> list[Any]:
    """Every feed's state after a poll that found it unchanged."""
    return [
        replace(s, last_status=304, last_fetch_at=now, next_poll_at=now + timedelta(minutes=30))
        for s in states
    ]


class FormerFeeds:
    """The former way, as it was: feeds in state.json beside the chats, read and rewritten
    whole through TinyDB (with the file lock and a fresh TinyDB per change)."""

    def __init__(self, folder: Path) -> None:
        from tinydb import TinyDB

        from bot.store.atomic import AtomicJSONStorage

        self.path = folder / "state.json"
        self._lock = os.open(folder / "state.json.lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._open = lambda: TinyDB(self.path, storage=AtomicJSONStorage)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            yield self._open().table("feeds")
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def sync_feeds(self, sources: Iterable[Any], now: datetime) -> list[Any]:
        from bot.models import FeedState
        from bot.store.state import _decode

        with self._writing() as table:
            known = {d["url"]: _decode(FeedState, dict(d)) for d in table.all()}
            states, changed = [], []
            for source in sources:
                state = known.get(source.url)
                if state is None:
                    state = FeedState(url=source.url, name=source.name, added_at=now)
                    changed.append(state)
                states.append(state)
            self.save_feeds(changed)
            return states

    def save_feeds(self, states: Iterable[Any]) -> None:
        from bot.store.state import _encode

        with self._writing() as table:
            by_url = {state.url: _encode(state) for state in states}
            if not by_url:
                return
            stored = {doc["url"]: doc.doc_id for doc in table.all()}

            def apply(doc: Any) -> None:
                doc.update(by_url[doc["url"]])

            present = [stored[url] for url in by_url if url in stored]
            if present:
                table.update(apply, doc_ids=present)
            new = [doc for url, doc in by_url.items() if url not in stored]
            if new:
                table.insert_multiple(new)


class Heartbeat:
    """A task that wakes every millisecond on the loop and keeps the longest wait past it."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - start - 0.001)

    def start(self) -> None:
        self.longest = 0.0
        self._task = asyncio.create_task(self._beat())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def state_work(feeds: int, chats: int, rounds: int) -> dict[str, list[float]]:
    """Per poll: former wall (all of it on the loop); new loop-thread CPU; heartbeat waits."""
    from bot.models import FeedSource
    from bot.store.feed_table import encode
    from bot.store.state import StateStore
    from bot.store.state_file import META_TABLE, STATE_VERSION, write_file_atomically

    sources = [FeedSource(f"https://feed{i}.example/rss", f"Feed {i}") for i in range(feeds)]
    out: dict[str, list[float]] = {"former": [], "former wait": [], "new": [], "new wait": []}
    beat = Heartbeat()
    loop_thread = threading.get_ident()
    with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as former_dir:
        folder = Path(former_dir)
        start = datetime(2026, 12, 1, tzinfo=UTC)
        feed_docs = {str(i + 1): encode(replace_added(s, start)) for i, s in enumerate(sources)}
        document = {"chats": chats_doc(chats), "feeds": feed_docs}
        write_file_atomically(folder / "state.json", json.dumps(document).encode())
        former = FormerFeeds(folder)
        for n in range(rounds):
            now = start + timedelta(minutes=30 * (n + 1))
            beat.start()
            await asyncio.sleep(0.005)
            wall = time.perf_counter()
            states = former.sync_feeds(sources, now)
            former.save_feeds(polled(states, now))
            out["former"].append(time.perf_counter() - wall)
            await asyncio.sleep(0.005)
            await beat.stop()
            out["former wait"].append(beat.longest)
    with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as new_dir:
        folder = Path(new_dir)
        document = {"chats": chats_doc(chats), META_TABLE: {"1": {"version": STATE_VERSION}}}
        write_file_atomically(folder / "state.json", json.dumps(document).encode())
        store = StateStore(folder)
        store.sync_feeds(sources, start)  # the feeds as a running bot holds them
        for n in range(rounds):
            now = start + timedelta(minutes=60 * (n + 1))
            # the loop thread's CPU, without the heartbeat (its wake-ups would count)
            assert threading.get_ident() == loop_thread
            cpu = time.thread_time()
            states = await store.sync_feeds_async(sources, now)
            spent = time.thread_time() - cpu
            after = polled(states, now)  # the poll's own work, not the state's
            cpu = time.thread_time()
            await store.save_feeds_async(after)
            out["new"].append(spent + time.thread_time() - cpu)
            # the same again, each call with the heartbeat beside it
            later = now + timedelta(minutes=30)
            beat.start()
            await asyncio.sleep(0.005)
            states = await store.sync_feeds_async(sources, later)
            await asyncio.sleep(0.005)
            await beat.stop()
            waited = beat.longest
            after = polled(states, later)
            beat.start()
            await asyncio.sleep(0.005)
            await store.save_feeds_async(after)
            await asyncio.sleep(0.005)
            await beat.stop()
            out["new wait"].append(max(waited, beat.longest))
        store.close()
    return out


def replace_added(source: Any, when: datetime) -> Any:
    from bot.models import FeedState

    return FeedState(url=source.url, name=source.name, added_at=when)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=200, help="feeds polled (part 1)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (part 1)")
    parser.add_argument("--repeats", type=int, default=3, help="polls per way (part 1)")
    parser.add_argument("--state-feeds", type=int, default=2_000, help="feeds held (part 2)")
    parser.add_argument("--chats", type=int, default=20_000, help="chats held (part 2)")
    parser.add_argument("--rounds", type=int, default=5, help="polls measured (part 2)")
    args = parser.parse_args(argv)
    ok = True

    with child_server(_serve, args.feeds, args.items) as (_, base_url):
        polls = asyncio.run(unchanged_polls(base_url, args.feeds, args.repeats))
    print(
        f"1. a poll of {args.feeds} feeds × {args.items} items, again"
        f" (median of {args.repeats}; wall, CPU):"
    )
    for label in ("cold", "304", "unchanged 200", "former 200"):
        wall, cpu = polls[label]
        shown = "cold (all new)" if label == "cold" else label
        print(f"   {shown:<16} {wall:7.2f} s wall  {cpu:7.2f} s CPU")
    ratio = polls["unchanged 200"][0] / polls["304"][0]
    former_ratio = polls["former 200"][0] / polls["304"][0]
    passed = ratio <= UNCHANGED_RATIO
    ok = ok and passed
    cpu_ratio = polls["unchanged 200"][1] / polls["304"][1]
    print(
        f"   unchanged 200 / 304 = {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU"
        f" (former: {former_ratio:.2f}x wall); target ≤ {UNCHANGED_RATIO}x wall:"
        f" {'PASS' if passed else 'FAIL'}"
    )

    work = asyncio.run(state_work(args.state_feeds, args.chats, args.rounds))
    former = statistics.median(work["former"]) * 1000
    new = statistics.median(work["new"]) * 1000
    print(
        f"2. state work of a poll at {args.state_feeds} feeds, {args.chats} chats"
        f" (median of {args.rounds} polls):"
    )
    print(
        f"   former: {former:8.1f} ms on the event loop (wall; longest heartbeat wait"
        f" {statistics.median(work['former wait']) * 1000:.1f} ms)"
    )
    print(
        f"   new:    {new:8.1f} ms on the event loop (its thread's CPU; longest heartbeat wait"
        f" {statistics.median(work['new wait']) * 1000:.1f} ms)"
    )
    passed = new <= LOOP_MS
    ok = ok and passed
    print(
        f"   former / new = {former / max(new, 1e-3):.0f}x; target new ≤ {LOOP_MS:g} ms:"
        f" {'PASS' if passed else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
