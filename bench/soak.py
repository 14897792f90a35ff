"""Benchmark: a simulated day of the running bot — nothing lost, nothing twice, no growth.

24 simulated hours with 200 feeds and 2,000 chats, the LLM failing 10% of its calls and the Bot
API answering 429 to 5% of the messages. Printed: delivered/expected digest messages (target
1.0), duplicates (target 0), peak RSS and RSS growth per simulated hour (target ≤ 1 MB/h), each
with PASS or FAIL. Run from the project root::

    python bench/soak.py                                   # the full day, a few minutes
    python bench/soak.py --hours 3 --feeds 20 --chats 100  # a quick run

What runs is the bot's own code: the services of the composition root
(``bot.app.container.services``), the poll, digest and deliver jobs of ``digestbot run``
(``bot.app.jobs.Jobs``: the poll and the summaries of ``bot.pipeline``, ``due_digests`` of
``bot.app.scheduler``, the parallel ``Sender`` of ``bot.delivery.sender``) and the Telegram channel
(``bot.platforms.telegram.channel``) over python-telegram-bot. It talks to the loopback fakes of
``tests/fakes``, run in a child process so that the memory measured is the bot's alone: a feed
server whose 200 feeds gain items as simulated time passes (Arabic and English, about one an hour
each, some on topic every hour), the fake Bot API (``flood_share``: 429 with ``retry_after`` 1–3 s)
and the fake OpenAI API (``failure_rate``: HTTP 500 or an unusable answer).

The clock is simulated. The services get a ``now`` that the driver moves forward 5 to 15
minutes per step, and the jobs are called directly at each step (poll, digests and deliver at
once, as the scheduler's ticks would overlap) instead of waiting on APScheduler's timers. The
sender's pacing clock is the same simulated clock: a flood-control pause or a rate-limit wait
moves simulated time forward instead of sleeping. Network I/O is real (loopback HTTP).

The chats have one to four digest times (at least two hours apart, or the configured defaults),
in ten time zones (the day crosses the end of summer time in Europe), in Arabic, English or both;
a fifth are groups. Expected messages are computed from those settings alone, not from the
bot's outbox: every slot of every chat in the simulated day is one digest, and since an
on-topic article is published every 20 minutes and feeds are polled every 30 (+10%) minutes,
every period between two slots holds news. What the fake Bot API received is read back: a digest
starts with its header, which names the start of its period and the number of stories, and its
parts follow; a digest is complete when every story the header counts arrived (one "🔗" sources
line each). A digest never received counts as one missing message and an incomplete one as one
more than it received: at 1.0 the ratio is exact, below it is an upper bound. A duplicate is a
part received twice for the same digest. RSS (``VmRSS``) is sampled every simulated hour and
its growth is the least-squares slope after the first (warm-up) hour.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import random
import re
import sys
import tempfile
import time as timer
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    # `python bench/soak.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import (
    AR_BODY,
    AR_FILL,
    AR_OTHER,
    AR_TOPIC,
    EN_BODY,
    EN_FILL,
    EN_OTHER,
    EN_TOPIC,
    feed_lang,
)
from bench.support import STOP, child_server, fingerprint, peak_rss_mb, rss_mb, telegram_bot
from bot.app.container import services
from bot.app.jobs import Heartbeat, Jobs
from bot.config import Settings
from bot.delivery.pacing import RateLimits
from bot.models import Chat, ChatLang
from bot.ops.logs import quiet_handled_flood_control
from bot.platforms.telegram.channel import TelegramChannel
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon

TOKEN = "123456:soak-bench"
START = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)
"""Noon UTC the day before Europe leaves summer time (01:00 UTC on 27 October 2024)."""
DEFAULT_TIMES = ("08:00", "20:00")
DEFAULT_ZONE = "Asia/Riyadh"
ZONES = (
    "",  # the configured default
    "UTC",
    "Asia/Riyadh",
    "Europe/Moscow",
    "Asia/Pyongyang",
    "Africa/Cairo",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
)
MIN_GAP_MINUTES = 120
"""The least time between two digest times of a chat, so that every period holds news."""
ON_TOPIC_EVERY = timedelta(minutes=20)
ITEMS_PER_FEED_HOUR = 0.75
ON_TOPIC_SHARE = 0.1
FEED_WINDOW = 20
"""Items a feed shows: its newest ones."""
POLL_MINUTES = 30
GROUP_SHARE = 5

TARGET_RATIO = 1.0
TARGET_DUPLICATES = 0
TARGET_GROWTH_MB_H = 1.0

_STAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
_COUNT_RE = re.compile(r"· (\d+) ")
_TAG_RE = re.compile(r"<[^>]+>")
HEADER_MARK = "📰"
SOURCES_MARK = "🔗"


@dataclass(frozen=True)
class Options:
    hours: float = 24.0
    feeds: int = 200
    chats: int = 2000
    llm_failure: float = 0.10
    flood_share: float = 0.05
    min_step: float = 5.0
    max_step: float = 15.0
    seed: int = 7

    @property
    def end(self) -> datetime:
        return START + timedelta(hours=self.hours)


# -- the news: what each feed publishes, and when ------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    published: datetime
    guid: str
    title: str
    body: str
    link: str
    on_topic: bool


def _item(rng: random.Random, feed: int, n: int, published: datetime, on_topic: bool) -> FeedItem:
    arabic = feed_lang(feed) == "ar"
    templates = (
        (AR_TOPIC if on_topic else AR_OTHER) if arabic else (EN_TOPIC if on_topic else EN_OTHER)
    )
    fill, body = (AR_FILL, AR_BODY) if arabic else (EN_FILL, EN_BODY)
    words = {key: rng.choice(values) for key, values in fill.items()}
    text = body.format(
        a=rng.choice(fill["who"]), b=rng.choice(fill["place"]), c=rng.choice(fill["thing"])
    )
    return FeedItem(
        published=published,
        guid=f"soak-{feed}-{n}",
        title=f"{rng.choice(templates).format(**words)} ({feed}-{n})",
        body=text,
        link=f"https://feed{feed}.example/news/{n}",
        on_topic=on_topic,
    )


def make_news(options: Options) -> list[list[FeedItem]]:
    """Every feed's items from a day before the start to the end, oldest first. The same for
    the same options. Besides about ``ITEMS_PER_FEED_HOUR`` items an hour per feed (one in ten on
    topic), an on-topic item is published every ``ON_TOPIC_EVERY`` by some feed, Arabic and
    English in turn."""
    rng = random.Random(options.seed)
    news: list[list[FeedItem]] = [[] for _ in range(options.feeds)]
    first = START - timedelta(days=1)
    for feed in range(options.feeds):
        at = first
        while True:
            at += timedelta(hours=rng.expovariate(ITEMS_PER_FEED_HOUR))
            if at > options.end:
                break
            n = len(news[feed])
            news[feed].append(_item(rng, feed, n, at, rng.random() < ON_TOPIC_SHARE))
    at, turn = START - ON_TOPIC_EVERY * 3, 0
    while at <= options.end:
        same_lang = [f for f in range(options.feeds) if f % 2 == turn % 2] or [0]
        feed = rng.choice(same_lang)
        published = at + timedelta(seconds=rng.randrange(60))
        news[feed].append(_item(rng, feed, len(news[feed]), published, on_topic=True))
        at, turn = at + ON_TOPIC_EVERY, turn + 1
    for items in news:
        items.sort(key=lambda item: item.published)
    return news


def visible(items: Sequence[FeedItem], now: datetime) -> list[FeedItem]:
    """The newest ``FEED_WINDOW`` items published by ``now``, newest first."""
    published = [item for item in items if item.published <= now]
    return published[-FEED_WINDOW:][::-1]


def rss(feed: int, items: Sequence[FeedItem]) -> bytes:
    lang = feed_lang(feed)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Soak feed {feed}</title><link>https://feed{feed}.example/</link>",
        f"<description>soak feed {feed}</description><language>{lang}</language>",
    ]
    for item in items:
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{item.link}</link>"
            f'<guid isPermaLink="false">{item.guid}</guid>'
            f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
            f"<description>{escape(item.body)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


# -- the chats and their schedules ----------------------------------------------------------------


def _times(rng: random.Random) -> tuple[str, ...]:
    """One to four times of day, at least ``MIN_GAP_MINUTES`` apart (around midnight too)."""
    count = rng.choice((1, 2, 2, 3, 4))
    while True:
        minutes = sorted(rng.randrange(0, 24 * 60, 5) for _ in range(count))
        gaps = [b - a for a, b in itertools.pairwise(minutes)]
        gaps.append(minutes[0] + 24 * 60 - minutes[-1])
        if min(gaps) >= MIN_GAP_MINUTES:
            return tuple(f"{m // 60:02d}:{m % 60:02d}" for m in minutes)


def slots(times: Sequence[str], zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Every instant in ``(after, until]`` at which the local clock in ``zone`` reads one of
    ``times``, in UTC, in order."""
    found = set()
    day = after.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for text in times:
            at = datetime.combine(day, time.fromisoformat(text), tzinfo=zone).astimezone(UTC)
            if after < at <= until:
                found.add(at)
        day += timedelta(days=1)
    return sorted(found)


@dataclass(frozen=True)
class PlannedChat:
    chat: Chat
    times: tuple[str, ...]
    zone: ZoneInfo
    previous: datetime
    """The chat's last slot at or before the start: its last digest, as if the bot had run."""
    due: tuple[datetime, ...]
    """Its slots in the simulated time: one digest each."""


def make_chats(options: Options) -> list[PlannedChat]:
    rng = random.Random(options.seed + 1)
    langs: tuple[ChatLang, ...] = ("ar", "en", "both")
    planned = []
    for n in range(options.chats):
        chat_id = 5_000_000 + n
        if n % GROUP_SHARE == 0:
            chat_id = -chat_id
        own_times = () if rng.random() < 0.25 else _times(rng)
        timezone = rng.choice(ZONES)
        times = own_times or DEFAULT_TIMES
        zone = ZoneInfo(timezone or DEFAULT_ZONE)
        previous = slots(times, zone, START - timedelta(days=3), START)[-1]
        chat = Chat(
            platform="telegram",
            chat_id=chat_id,
            lang=langs[n % len(langs)],
            ui_lang="ar" if n % 2 else "en",
            subscribed=True,
            title=f"soak chat {n}",
            subscribed_at=START - timedelta(days=7),
            last_digest_at=previous,
            digest_times=own_times,
            timezone=timezone,
        )
        due = tuple(slots(times, zone, START, options.end))
        planned.append(PlannedChat(chat, times, zone, previous, due))
    return planned


def expected_digests(chats: Iterable[PlannedChat]) -> dict[tuple[int, str], datetime]:
    """(chat id, start of the period as a digest header prints it) → the slot, for every
    digest the chats' settings call for."""
    expected = {}
    for planned in chats:
        since = planned.previous
        for slot in planned.due:
            expected[(planned.chat.chat_id, stamp(since))] = slot
            since = slot
    return expected


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def news_gaps(news: Sequence[Sequence[FeedItem]], chats: Iterable[PlannedChat]) -> int:
    """Periods in which no on-topic item was published after the period began and early enough
    to be polled before it ends (poll interval, its jitter and one step): the expectation above
    assumes 0."""
    lag = timedelta(minutes=POLL_MINUTES * 1.1 + 15)
    on_topic = sorted(item.published for items in news for item in items if item.on_topic)
    gaps = 0
    for planned in chats:
        since = planned.previous
        for slot in planned.due:
            if not any(since < at <= slot - lag for at in on_topic):
                gaps += 1
            since = slot
    return gaps


# -- the fakes, in a child process ----------------------------------------------------------------


def serve_fakes(conn: Connection, options: Options) -> None:
    asyncio.run(_serve_fakes(conn, options))


async def _serve_fakes(conn: Connection, options: Options) -> None:
    from tests.fakes.feed_server import FeedServer
    from tests.fakes.openai_api import FakeOpenAI
    from tests.fakes.telegram_api import FakeTelegramAPI

    news = make_news(options)
    feeds = FeedServer()
    telegram = FakeTelegramAPI(flood_share=options.flood_share, flood_seed=options.seed)
    openai = FakeOpenAI(failure_rate=options.llm_failure, seed=options.seed)
    shown: dict[int, tuple[int, str]] = {}

    def publish(now: datetime) -> None:
        for feed, items in enumerate(news):
            current = visible(items, now)
            key = (len(current), current[0].guid if current else "")
            if shown.get(feed) != key:
                modified = current[0].published if current else START - timedelta(days=2)
                feeds.add(f"/feed/{feed}.xml", rss(feed, current), last_modified=modified)
                shown[feed] = key

    await feeds.start()
    await telegram.start()
    await openai.start()
    publish(START)
    conn.send({"feeds": feeds.base_url, "telegram": telegram.bot_url, "openai": openai.base_url})
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == STOP:
            break
        if command[0] == "time":
            publish(command[1])
            conn.send("ok")
        elif command[0] == "report":
            # Plain tuples: the parent may know this module under another name.
            received = [
                astuple(read_message(int(m.chat_id), m.text))
                for m in telegram.sent
                if m.method == "sendMessage"
            ]
            conn.send(
                {
                    "received": received,
                    "send_calls": sum(1 for c in telegram.calls if c.method == "sendMessage"),
                    "refusals": len(telegram.flood_refusals),
                    "llm_calls": openai.calls,
                    "llm_injected": dict(openai.injected),
                    "feed_requests": len(feeds.requests),
                }
            )
    await openai.stop()
    await telegram.close()
    await feeds.close()


# -- reading back what the chats received ----------------------------------------------------------


@dataclass(frozen=True)
class Received:
    chat_id: int
    fingerprint: str
    since: str | None
    """The start of the period in a digest's header; None for a later part."""
    stories: int | None
    """How many stories the header announces; None for a later part."""
    sources: int
    """Stories in this message (one sources line each)."""


def read_message(chat_id: int, text: str) -> Received:
    lines = text.split("\n")
    since = stories = None
    if HEADER_MARK in lines[0]:  # "<b>📰 …</b>"
        found = _STAMP_RE.search(lines[0])
        since = found.group() if found else ""
        count = _COUNT_RE.search(lines[0])
        stories = int(count.group(1)) if count else 1
    sources = sum(1 for line in lines if line.startswith(SOURCES_MARK))
    return Received(chat_id, fingerprint(text), since, stories, sources)


@dataclass
class Tally:
    expected_digests: int = 0
    complete: int = 0
    incomplete: int = 0
    missing: int = 0
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    unexpected: int = 0

    @property
    def ratio(self) -> float:
        return self.delivered / self.expected if self.expected else 0.0


def tally(expected: dict[tuple[int, str], datetime], received: Iterable[Received]) -> Tally:
    """Compare what the chats received with what their settings call for."""
    digests: dict[tuple[int, str], dict[str, Received]] = {}
    announced: dict[tuple[int, str], int] = {}
    current: dict[int, tuple[int, str]] = {}
    result = Tally(expected_digests=len(expected))
    for message in received:
        if message.since is not None:
            current[message.chat_id] = key = (message.chat_id, message.since)
            announced[key] = message.stories or 0
        elif message.chat_id in current:
            key = current[message.chat_id]
        else:
            result.unexpected += 1  # a part with no digest header before it
            continue
        parts = digests.setdefault(key, {})
        if message.fingerprint in parts:
            result.duplicates += 1
        else:
            parts[message.fingerprint] = message
    for key in expected:
        parts = digests.get(key, {})
        if not parts:
            result.missing += 1
            result.expected += 1
            continue
        result.delivered += len(parts)
        if sum(p.sources for p in parts.values()) == announced[key]:
            result.complete += 1
            result.expected += len(parts)
        else:
            result.incomplete += 1
            result.expected += len(parts) + 1
    result.unexpected += sum(len(parts) for key, parts in digests.items() if key not in expected)
    return result


# -- the simulated day ---------------------------------------------------------------------------


class SimClock:
    """Simulated time: ``now`` for the services, ``monotonic``/``sleep`` for the sender."""

    def __init__(self, start: datetime) -> None:
        self.t = start.timestamp()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)

    def advance_to(self, when: datetime) -> None:
        self.t = max(self.t, when.timestamp())


class LogCount(logging.Handler):
    """Counts the bot's warnings and errors by message template."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


@dataclass
class Run:
    steps: int = 0
    seconds: float = 0.0
    rss: list[tuple[float, float]] = field(default_factory=list)
    peak_rss: float = 0.0
    outbox: dict[str, int] = field(default_factory=dict)
    fakes: dict[str, Any] = field(default_factory=dict)
    logs: Counter[str] = field(default_factory=Counter)


def settings_for(options: Options, data_dir: Path, urls: dict[str, str]) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"data_dir": str(data_dir)},
            "llm": {"base_url": urls["openai"], "model": "fake-model", "timeout_s": 10},
            "ingest": {
                "allow_private_networks": True,
                "concurrency": 16,
                # Every fake feed is on the one loopback host.
                "per_host_concurrency": 16,
            },
            "schedule": {
                "poll_minutes": POLL_MINUTES,
                "digest_times": list(DEFAULT_TIMES),
                "timezone": DEFAULT_ZONE,
            },
            "feeds": [
                {"url": f"{urls['feeds']}/feed/{i}.xml", "name": f"Feed {i}", "lang": feed_lang(i)}
                for i in range(options.feeds)
            ],
        }
    )


async def simulate(
    options: Options, chats: Sequence[PlannedChat], conn: Connection, urls: dict[str, str]
) -> Run:
    run = Run()
    clock = SimClock(START)
    steps = random.Random(options.seed + 2)
    counter = LogCount()
    # Counted, not printed; the bot's own filter drops the limiter's traceback for each 429
    # that the sender handles, as in ``digestbot run``.
    quiet_handled_flood_control()
    watched = [logging.getLogger(name) for name in ("bot", "telegram")]
    for logger in watched:
        logger.addHandler(counter)
    # A real-time limiter far above the sender's own (simulated-time) limits, so that it is
    # never the one that paces; the sender keeps Telegram's limits in simulated seconds.
    limiter = RateLimits(overall=10_000, group=10_000)
    started = timer.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="digestbot-soak-") as data_dir:
            settings = settings_for(options, Path(data_dir), urls)
            async with (
                services(settings, now=clock.now) as svc,
                telegram_bot(TOKEN, urls["telegram"], limiter) as bot,
            ):
                svc.state.save_chats(p.chat for p in chats)
                jobs = Jobs(
                    svc,
                    [TelegramChannel(bot)],
                    Heartbeat(started_at=clock.now()),
                    monotonic=clock.monotonic,
                    sleep=clock.sleep,
                )
                target, next_hour = START, 0
                while True:
                    clock.advance_to(target)
                    conn.send(("time", clock.now()))
                    conn.recv()
                    await asyncio.gather(
                        jobs.tracked(jobs.poll)(),
                        jobs.tracked(jobs.digests)(),
                        jobs.tracked(jobs.deliver)(),
                    )
                    run.steps += 1
                    while clock.now() >= START + timedelta(hours=next_hour):
                        run.rss.append((next_hour, rss_mb()))
                        next_hour += 1
                    if target >= options.end:
                        break
                    step = timedelta(minutes=steps.uniform(options.min_step, options.max_step))
                    target = min(target + step, options.end)
                await jobs.tracked(jobs.deliver)()
                run.outbox = svc.archive.outbox_counts()
    finally:
        for logger in watched:
            logger.removeHandler(counter)
    run.seconds = timer.perf_counter() - started
    run.peak_rss = peak_rss_mb()
    run.logs = counter.counts
    conn.send(("report",))
    run.fakes = conn.recv()
    return run


def growth_per_hour(samples: Sequence[tuple[float, float]], warm_up: float = 1.0) -> float:
    """The least-squares slope of RSS (MB) over simulated hours, after ``warm_up`` hours."""
    points = [(h, mb) for h, mb in samples if h >= warm_up]
    if len(points) < 2:
        return 0.0
    mean_h = sum(h for h, _ in points) / len(points)
    mean_mb = sum(mb for _, mb in points) / len(points)
    var = sum((h - mean_h) ** 2 for h, _ in points)
    return sum((h - mean_h) * (mb - mean_mb) for h, mb in points) / var


@dataclass(frozen=True)
class Result:
    options: Options
    run: Run
    tally: Tally
    news_gaps: int
    on_topic: int
    """On-topic items published in the simulated time..."""
    kept: int
    """... and how many of them the topic filter keeps (all, or the generator is wrong)."""

    @property
    def growth(self) -> float:
        return growth_per_hour(self.run.rss)


def soak(options: Options) -> Result:
    news = make_news(options)
    chats = make_chats(options)
    matcher = TopicMatcher(load_lexicon())
    on_topic = [
        item for items in news for item in items if item.on_topic and item.published >= START
    ]
    with child_server(serve_fakes, options) as (conn, urls):
        run = asyncio.run(simulate(options, chats, conn, urls))
    received = [Received(*fields) for fields in run.fakes.pop("received")]
    return Result(
        options=options,
        run=run,
        tally=tally(expected_digests(chats), received),
        news_gaps=news_gaps(news, chats),
        on_topic=len(on_topic),
        kept=sum(
            matcher.classify(item.title, _TAG_RE.sub(" ", item.body)).relevant for item in on_topic
        ),
    )


def report(result: Result) -> list[str]:
    o, run, t = result.options, result.run, result.tally
    fakes = run.fakes
    injected = fakes["llm_injected"]
    failed = sum(injected.values())
    hours = o.hours
    lines = [
        f"soak: {hours:g} simulated hours from {START:%Y-%m-%d %H:%M} UTC in {run.steps} steps of"
        f" {o.min_step:g}–{o.max_step:g} min; {o.feeds} feeds, {o.chats} chats"
        f" ({o.chats // GROUP_SHARE if o.chats else 0} groups; ar/en/both; {len(ZONES)} zones)",
        f"run time {run.seconds:.0f} s ({hours * 3600 / run.seconds:.0f} simulated seconds a"
        " second)",
        f"feeds: {fakes['feed_requests']} requests; {result.on_topic} on-topic items published"
        f" ({result.kept} kept by the topic filter); periods without news: {result.news_gaps}"
        " (assumed 0)",
        f"LLM: {fakes['llm_calls']} calls, {failed} failed on purpose"
        f" ({failed / max(fakes['llm_calls'], 1):.1%}: {injected})",
        f"Bot API: {fakes['send_calls']} sendMessage calls, {fakes['refusals']} answered 429"
        f" ({fakes['refusals'] / max(fakes['send_calls'], 1):.1%}); outbox {run.outbox}",
        f"digests: {t.expected_digests} expected from the chats' settings, {t.complete} complete,"
        f" {t.incomplete} incomplete, {t.missing} missing; {t.unexpected} unexpected messages",
    ]
    for message, count in run.logs.most_common(6):
        lines.append(f"  log ×{count}: {message}")
    rss = ", ".join(f"{mb:.0f}" for _, mb in run.rss)
    lines.append(f"RSS by simulated hour (MB): {rss}")
    checks = [
        (
            f"delivered/expected messages {t.delivered}/{t.expected} = {t.ratio:.4f}"
            f" (target {TARGET_RATIO:g})",
            t.ratio == TARGET_RATIO and t.unexpected == 0,
        ),
        (f"duplicates {t.duplicates} (target {TARGET_DUPLICATES})", t.duplicates == 0),
        (
            f"RSS growth {result.growth:+.2f} MB per simulated hour after hour 1"
            f" (target ≤ {TARGET_GROWTH_MB_H:g}); peak RSS {run.peak_rss:.0f} MB",
            result.growth <= TARGET_GROWTH_MB_H,
        ),
    ]
    lines.extend(f"{'PASS' if ok else 'FAIL'}  {label}" for label, ok in checks)
    return lines


def passed(result: Result) -> bool:
    t = result.tally
    return (
        t.ratio == TARGET_RATIO
        and t.unexpected == 0
        and t.duplicates == 0
        and result.growth <= TARGET_GROWTH_MB_H
    )


def parse_args(argv: Iterable[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--llm-failure", type=float, default=0.10, help="share of LLM calls")
    parser.add_argument("--flood-share", type=float, default=0.05, help="share of sends → 429")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(list(argv) if argv is not None else None)
    return Options(
        hours=args.hours,
        feeds=args.feeds,
        chats=args.chats,
        llm_failure=args.llm_failure,
        flood_share=args.flood_share,
        seed=args.seed,
    )


def main(argv: Iterable[str] | None = None) -> int:
    result = soak(parse_args(argv))
    for line in report(result):
        print(line)
    return 0 if passed(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
