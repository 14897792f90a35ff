"""Benchmark: one digest broadcast at Telegram's 30 messages a second and at 300 (paid
broadcasts), against a fake Bot API that enforces the limits.

For each overall ``--rates`` (30 and 300 by default), the fake Telegram Bot API
(``tests/fakes/telegram_api.py``) runs in its own process with that overall limit, one message a
second per chat and 20 a minute per group, answering 429 with ``retry_after`` as Telegram does,
and a network ``--latency`` on every answer. A real digest is rendered (``render_telegram``) for
each chat's language and queued in a real outbox for enough chats to keep the sender busy about
``--seconds`` (a fifth of them groups); the real python-telegram-bot ``ExtBot`` with
``AIORateLimiter`` at the overall limit and the bot's ``JsonRequest`` (as the bot's Application
has them) and the real ``Sender`` deliver it, the sender leaving ``--reply-share`` of the limit
for replies to commands (``[telegram] reply_share``). For a share of the chats (``--updates``,
half by default) the digest carries updates of the stories of an earlier digest already sent, so
each of its parts looks up and replies to that digest's message, as a grown story's update does
(the fake never saw those messages: Telegram sends the reply as a plain message, as
``allow_sending_without_reply`` asks); for another share (``--watch``) a watch alert is queued
in the same outbox after the digest.

Prints, one line per rate in one run: messages a second delivered over the configured limit (the
target) and over the sender's own share of it; messages lost, duplicated or out of order per
chat; 429 answers; parts sent as replies; the bot's CPU time per message (the fake runs in
another process).
Targets: ratio ≥ 0.9, 0 lost, 0 answered 429. Run from the project root:

    python bench/broadcast.py [--rates 30 300] [--seconds 30] [--reply-share 0.03] [--updates 0.5]
        [--watch 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/broadcast.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import STOP, child_server, fingerprint, telegram_bot
from bot.config.sections import DEFAULT_REPLY_SHARE
from bot.delivery.pacing import RateLimits
from bot.delivery.sender import CONCURRENCY, DeliveryReport, Sender
from bot.digest.render import Part
from bot.digest.watch_alerts import WatchAlert
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, Source, Summary
from bot.platforms.telegram.channel import TelegramChannel, telegram_limits
from bot.platforms.telegram.render import render_telegram_watch, telegram_parts
from bot.platforms.telegram.request import JsonRequest
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.store.story_messages import ShownStory
from bot.store.watch import WatchMessage, WatchWindow
from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits

TOKEN = "123456:broadcast-bench"
TARGET_RATIO = 0.9
NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
GROUP_SHARE = 5  # every fifth chat is a group (negative id, 20 messages a minute)


# -- the fake Bot API in its own process ---------------------------------------------------------


def serve_fake(conn: Connection, rate: int, latency: float) -> None:
    asyncio.run(_serve(conn, rate, latency))


async def _serve(conn: Connection, rate: int, latency: float) -> None:
    limits = FloodLimits(overall=rate, overall_period=1.0, chat_interval=1.0)
    api = FakeTelegramAPI(flood_limits=limits, latency=latency)
    await api.start()
    conn.send(api.bot_url)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, conn.recv) != STOP:  # "report"
        received: dict[int, list[str]] = {}
        for message in api.sent:
            received.setdefault(int(message.chat_id), []).append(fingerprint(message.text))
        replies = sum(1 for call in api.calls if "reply_parameters" in call.params)
        conn.send((received, len(api.flood_refusals), replies))
    await api.close()


# -- the digest ----------------------------------------------------------------------------------


def sample_digest(lang: ChatLang) -> Digest:
    items = []
    for n in range(1, 9):
        summary = Summary(
            headline_ar=f"وفد روسي يزور بيونغ يانغ لبحث التعاون العسكري رقم {n}",
            summary_ar="وصل وفد روسي رفيع إلى بيونغ يانغ لبحث التعاون الدفاعي والاقتصادي، "
            "وفق ما أفادت وكالات الأنباء الرسمية في البلدين. " * 2,
            headline_en=f"Russian delegation visits Pyongyang for military talks, item {n}",
            summary_en="A senior Russian delegation arrived in Pyongyang to discuss defence and "
            "economic cooperation, state media in both countries reported. " * 2,
            method="llm",
            model="bench",
        )
        sources = tuple(
            Source(
                name=outlet,
                url=f"https://{outlet.lower().replace(' ', '-')}.example/news/{n}?a=1&b=2",
                title=f"Report {n}",
                lang="en",
                published=NOW - timedelta(hours=n),
            )
            for outlet in ("Eastern Wire", "Pacific Ledger")
        )
        items.append(DigestItem(n, summary, sources, (), NOW - timedelta(hours=n)))
    start = NOW - timedelta(hours=12)
    return Digest(lang=lang, period_start=start, period_end=NOW, items=tuple(items))


@dataclass(frozen=True)
class Plan:
    chats: list[int]
    parts: dict[int, list[Part]]
    updates: frozenset[int] = frozenset()
    """The chats whose digest carries updates of an earlier digest's stories."""
    watch: dict[int, str] = field(default_factory=dict)
    """The chats that also get a watch alert (``/watch``), queued after their digest."""

    @property
    def messages(self) -> int:
        return sum(len(self.expected(c)) for c in self.chats)

    def expected(self, chat_id: int) -> list[str]:
        """The texts the chat should receive, in order."""
        alert = [self.watch[chat_id]] if chat_id in self.watch else []
        return [part.text for part in self.parts[chat_id]] + alert


def watch_alert(lang: ChatLang, catalog: Catalog) -> str:
    """A watch alert as the bot renders one for Telegram."""
    alert = WatchAlert(
        story_id=1,
        terms=("كورسك",),
        headlines={"ar": "جنود كوريون شماليون في كورسك", "en": "North Korean troops in Kursk"},
        title="North Korean troops in Kursk",
        url="https://eastern-wire.example/news/kursk?a=1",
    )
    return render_telegram_watch(alert, lang=lang, catalog=catalog)


def plan(
    first_id: int,
    count: int,
    rendered: dict[ChatLang, list[Part]],
    updates: float,
    watch: float = 0.0,
    catalog: Catalog | None = None,
) -> Plan:
    """``count`` chats (a fifth groups), languages in turn; the first ``updates`` share get
    updates, the last ``watch`` share also a watch alert."""
    langs: list[ChatLang] = ["ar", "en", "both"]
    chats: list[int] = []
    parts: dict[int, list[Part]] = {}
    for n in range(count):
        chat_id = -(first_id + n) if n % GROUP_SHARE == 0 else first_id + n
        chats.append(chat_id)
        parts[chat_id] = rendered[langs[n % len(langs)]]
    updated = frozenset(chats[: round(count * updates)])
    alerts: dict[int, str] = {}
    if watch and catalog is not None:
        texts = {lang: watch_alert(lang, catalog) for lang in langs}
        first = count - round(count * watch)
        alerts = {chats[n]: texts[langs[n % len(langs)]] for n in range(first, count)}
    return Plan(chats, parts, updated, alerts)


def shown(parts: list[Part], update: bool) -> list[list[ShownStory]]:
    return [[ShownStory(story, update, ()) for story in part.stories] for part in parts]


def queue(archive: Archive, plan: Plan) -> None:
    earlier_end = NOW - timedelta(hours=12)
    with archive.transaction():
        for chat_id in plan.chats:
            parts = plan.parts[chat_id]
            keys = [(f"telegram:{chat_id}:{NOW.isoformat()}", NOW, chat_id in plan.updates)]
            if chat_id in plan.updates:
                earlier = f"telegram:{chat_id}:{earlier_end.isoformat()}"
                keys.insert(0, (earlier, earlier_end, False))
            for key, end, update in keys:
                archive.queue_digest(
                    platform="telegram",
                    chat_id=chat_id,
                    thread_id=None,
                    digest_key=key,
                    period_end=end,
                    parts=[part.text for part in parts],
                    now=NOW,
                )
                archive.record_shown(
                    platform="telegram", chat_id=chat_id, digest_key=key, parts=shown(parts, update)
                )
        watch = [
            WatchMessage("telegram", chat_id, None, 1, ("kursk",), text)
            for chat_id, text in plan.watch.items()
        ]
        archive.queue_watch_alerts(watch, WatchWindow(after=0, upto=0), NOW)
        # the earlier digests went out before: sent, with their messages' ids
        for item in archive.pending("telegram"):
            if item.digest_key.endswith(earlier_end.isoformat()):
                archive.mark_sent(item.id, 1_000 + item.id, NOW)
                archive.record_message(item.id, 1_000 + item.id)


# -- one measured delivery -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    rate: int
    sender_rate: int
    plan: Plan
    seconds: float
    cpu_seconds: float
    cpu_wait: float
    report: DeliveryReport
    lost: int
    duplicated: int
    disordered: int
    refusals: int
    replies: int

    @property
    def throughput(self) -> float:
        return self.report.sent / self.seconds

    @property
    def ratio(self) -> float:
        """Delivered messages a second over the configured overall limit: the target."""
        return self.throughput / self.rate

    @property
    def ok(self) -> bool:
        clean = not (self.lost or self.duplicated or self.disordered or self.refusals)
        return clean and self.ratio >= TARGET_RATIO


def cpu_wait() -> float:
    """Seconds this thread has waited for a CPU while ready to run (Linux; 0 elsewhere): on a
    shared machine, the time the bot could have sent but other processes had the CPUs."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def deliver(
    bot_url: str, data_dir: Path, plan: Plan, rate: int, sender_limits: RateLimits, concurrency: int
) -> tuple[float, float, float, DeliveryReport]:
    """Seconds, CPU seconds of this process, seconds waited for a CPU and the report of
    delivering ``plan``."""
    archive = Archive.in_dir(data_dir)
    state = StateStore(data_dir)
    queue(archive, plan)
    try:
        # the Application's rate limiter holds the whole bot (replies too) to the full rate
        async with telegram_bot(TOKEN, bot_url, RateLimits(overall=rate), JsonRequest()) as bot:
            sender = Sender(
                archive=archive,
                state=state,
                channel=TelegramChannel(bot),
                now=lambda: NOW,
                limits=sender_limits,
                concurrency=concurrency,
            )
            started, cpu, waited = time.perf_counter(), time.process_time(), cpu_wait()
            report = await sender.run()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            waited = cpu_wait() - waited
    finally:
        archive.close()
        state.close()
    return seconds, cpu, waited, report


def check(plan: Plan, received: dict[int, list[str]]) -> tuple[int, int, int]:
    """Lost, duplicated and chats out of order, comparing what the fake received with the plan."""
    lost = duplicated = disordered = 0
    for chat_id in plan.chats:
        expected = [fingerprint(text) for text in plan.expected(chat_id)]
        got = received.get(chat_id, [])
        missing = Counter(expected) - Counter(got)
        extra = Counter(got) - Counter(expected)
        lost += sum(missing.values())
        duplicated += sum(extra.values())
        disordered += not missing and not extra and got != expected
    return lost, duplicated, disordered


def chats_for(rate: int, seconds: float, rendered: dict[ChatLang, list[Part]]) -> int:
    """Chats whose digests keep a sender at ``rate`` busy about ``seconds``."""
    parts_per_chat = sum(len(p) for p in rendered.values()) / len(rendered)
    return max(GROUP_SHARE, round(rate * seconds / parts_per_chat))


def measure(
    args: argparse.Namespace, rate: int, rendered: dict[ChatLang, list[Part]], scratch: Path
) -> Outcome:
    sender_limits = telegram_limits(args.reply_share, overall=rate)
    count = args.chats or chats_for(rate, args.seconds, rendered)
    full = plan(1_000_000, count, rendered, args.updates, args.watch, Catalog.load())
    with child_server(serve_fake, rate, args.latency) as (conn, bot_url):
        seconds, cpu, waited, report = asyncio.run(
            deliver(bot_url, scratch / str(rate), full, rate, sender_limits, args.concurrency)
        )
        conn.send("report")
        received, refusals, replies = conn.recv()
    lost, duplicated, disordered = check(full, received)
    return Outcome(
        rate, sender_limits.overall, full, seconds, cpu, waited, report, lost, duplicated,
        disordered, refusals, replies,
    )  # fmt: skip


def line(o: Outcome) -> str:
    return (
        f"{o.rate:>5}/s {o.sender_rate:>5}/s {len(o.plan.chats):>6} {o.report.sent:>6}"
        f" {o.seconds:6.1f} s {o.throughput:7.1f} {o.ratio:7.3f}"
        f" {o.throughput / o.sender_rate:7.3f}"
        f" {o.lost:>5} {o.duplicated:>4} {o.disordered:>5} {o.refusals:>5} {o.replies:>7}"
        f" {o.cpu_seconds * 1000 / max(o.report.sent, 1):7.2f} {o.cpu_seconds / o.seconds:5.2f}"
        f" {o.cpu_wait / o.seconds:5.2f}  {'PASS' if o.ok else 'FAIL'}"
    )


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    catalog = Catalog.load()
    rendered: dict[ChatLang, list[Part]] = {
        lang: telegram_parts(sample_digest(lang), catalog) for lang in ("ar", "en", "both")
    }
    parts = Counter(len(p) for p in rendered.values())
    print(
        f"fake Bot API: the limit overall, 1/s per chat, 20/min per group,"
        f" {args.latency * 1000:.0f} ms latency; digest of {dict(sorted(parts.items()))} parts"
        f" (ar/en/both), a fifth of the chats groups; sender concurrency {args.concurrency},"
        f" reply share {args.reply_share}; {args.updates:.0%} of the chats get updates replying"
        f" to an earlier digest, {args.watch:.0%} a watch alert in the same outbox"
    )
    print(
        "  limit  sender  chats   sent     time   msg/s  /limit /sender  lost  dup disord   429"
        " replies  cpu ms/msg  busy  wait"
    )
    outcomes = []
    with tempfile.TemporaryDirectory() as scratch:
        for rate in args.rates:
            outcomes.append(measure(args, rate, rendered, Path(scratch)))
            print(line(outcomes[-1]), flush=True)
    print(
        "busy: CPU seconds of the bot per second (1.00 is a whole core); wait: seconds per second"
        " it was ready to run but waited for a CPU (other processes on the machine)"
    )
    ok = all(o.ok for o in outcomes)
    ratios = ", ".join(f"{o.ratio:.3f} at {o.rate}/s" for o in outcomes)
    print(
        f"{'PASS' if ok else 'FAIL'}: delivered/limit {ratios} (target ≥ {TARGET_RATIO});"
        f" lost {sum(o.lost for o in outcomes)}, 429 answers {sum(o.refusals for o in outcomes)}"
        " (target 0 each)"
    )
    return 0 if ok else 1


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[30, 300], help="limits, msg/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="sending time per rate")
    parser.add_argument("--chats", type=int, default=0, help="chats per rate (default: seconds)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--reply-share", type=float, default=DEFAULT_REPLY_SHARE)
    parser.add_argument(
        "--updates", type=float, default=0.5, help="share of chats whose digest holds updates"
    )
    parser.add_argument(
        "--watch", type=float, default=0.5, help="share of chats that also get a watch alert"
    )
    return parser.parse_args(list(argv) if argv is not None else None)


if __name__ == "__main__":
    raise SystemExit(main())
