"""Benchmark: one digest to 5,000 chats against a fake Bot API that enforces scaled flood limits.

The fake Telegram Bot API (``tests/fakes/telegram_api.py``) runs in its own process with
Telegram's limits scaled up: ``--rate`` messages a second overall (300 by default, ten times
Telegram's 30), one message a second per chat and 20 a minute per group, answering 429 with
``retry_after`` as Telegram does, and a network ``--latency`` on every answer. A real digest is
rendered (``telegram_parts``) for each chat's language and queued in a real outbox; for a share
of the chats (``--updates``, half by default) it carries updates of the stories of an earlier
digest already sent, so each of its parts looks up and replies to that digest's message, as a
grown story's update does (the fake never saw those messages: Telegram sends the reply as a
plain message, as ``allow_sending_without_reply`` asks). The real
python-telegram-bot ``ExtBot`` with ``AIORateLimiter`` and the real ``Sender`` deliver it with
the sender's limits set to the same scaled values.

Prints, side by side in one run: the achieved throughput over the allowed one for the sender,
with and without updates in the outbox, and for the same sender sending one part at a time
(the design before concurrency) on a sample; messages lost, duplicated or out of order per chat;
429 answers. Targets: ratio ≥ 0.9 with and without updates, 0 lost. Run from the project root:

    python bench/broadcast.py [--chats 5000] [--rate 300] [--latency 0.02] [--updates 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/broadcast.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import STOP, child_server, fingerprint, telegram_bot
from bot.delivery.pacing import RateLimits
from bot.delivery.sender import DeliveryReport, Sender
from bot.digest.render import Part
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, Source, Summary
from bot.platforms.telegram.channel import TelegramChannel
from bot.platforms.telegram.render import telegram_parts
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.store.story_messages import ShownStory
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
    while await loop.run_in_executor(None, conn.recv) != STOP:
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

    @property
    def messages(self) -> int:
        return sum(len(self.parts[c]) for c in self.chats)


def plan(first_id: int, count: int, rendered: dict[ChatLang, list[Part]], updates: float) -> Plan:
    langs: list[ChatLang] = ["ar", "en", "both"]
    chats: list[int] = []
    parts: dict[int, list[Part]] = {}
    for n in range(count):
        chat_id = -(first_id + n) if n % GROUP_SHARE == 0 else first_id + n
        chats.append(chat_id)
        parts[chat_id] = rendered[langs[n % len(langs)]]
    updated = frozenset(chats[: round(count * updates)])
    return Plan(chats, parts, updated)


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
        # the earlier digests went out before: sent, with their messages' ids
        for item in archive.pending("telegram"):
            if item.digest_key.endswith(earlier_end.isoformat()):
                archive.mark_sent(item.id, 1_000 + item.id, NOW)
                archive.record_message(item.id, 1_000 + item.id)


# -- one measured delivery -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    label: str
    messages: int
    seconds: float
    report: DeliveryReport

    @property
    def throughput(self) -> float:
        return self.report.sent / self.seconds


async def deliver(
    label: str, bot_url: str, data_dir: Path, plan: Plan, limits: RateLimits, concurrency: int
) -> Outcome:
    archive = Archive.in_dir(data_dir)
    state = StateStore(data_dir)
    queue(archive, plan)
    try:
        async with telegram_bot(TOKEN, bot_url, limits) as bot:
            sender = Sender(
                archive=archive,
                state=state,
                channel=TelegramChannel(bot),
                now=lambda: NOW,
                limits=limits,
                concurrency=concurrency,
            )
            started = time.perf_counter()
            report = await sender.run()
            seconds = time.perf_counter() - started
    finally:
        archive.close()
        state.close()
    return Outcome(label, plan.messages, seconds, report)


def check(plan: Plan, received: dict[int, list[str]]) -> tuple[int, int, int]:
    """Lost, duplicated and chats out of order, comparing what the fake received with the plan."""
    lost = duplicated = disordered = 0
    for chat_id in plan.chats:
        expected = [fingerprint(p.text) for p in plan.parts[chat_id]]
        got = received.get(chat_id, [])
        missing = Counter(expected) - Counter(got)
        extra = Counter(got) - Counter(expected)
        lost += sum(missing.values())
        duplicated += sum(extra.values())
        disordered += not missing and not extra and got != expected
    return lost, duplicated, disordered


def line(outcome: Outcome, allowed: float) -> str:
    return (
        f"{outcome.label:<34} {outcome.report.sent:>6} sent in {outcome.seconds:6.1f} s"
        f"  {outcome.throughput:6.1f} msg/s  ratio {outcome.throughput / allowed:5.3f}"
    )


async def main_async(args: argparse.Namespace, bot_url: str, conn: Connection) -> int:
    catalog = Catalog.load()
    rendered: dict[ChatLang, list[Part]] = {
        lang: telegram_parts(sample_digest(lang), catalog) for lang in ("ar", "en", "both")
    }
    limits = RateLimits(overall=args.rate, overall_period=1.0, chat_interval=1.0)
    full = plan(1_000_000, args.chats, rendered, args.updates)
    plain = plan(5_000_000, args.chats, rendered, 0.0)
    sample = plan(9_000_000, args.baseline_chats, rendered, args.updates)
    with tempfile.TemporaryDirectory() as scratch:
        baseline = await deliver(
            "one part at a time (sample)", bot_url, Path(scratch) / "a", sample, limits, 1
        )
        # Each run has a fresh pacer, which knows nothing of the other's sends in the last
        # second; the bot keeps one sender per channel, so it never meets this gap.
        await asyncio.sleep(limits.overall_period)
        without = await deliver(
            f"{args.concurrency} at once, no updates", bot_url, Path(scratch) / "c", plain,
            limits, args.concurrency,
        )  # fmt: skip
        await asyncio.sleep(limits.overall_period)
        outcome = await deliver(
            f"{args.concurrency} at once, with updates", bot_url, Path(scratch) / "b", full,
            limits, args.concurrency,
        )  # fmt: skip
    conn.send("report")
    received, refusals, replies = conn.recv()
    lost, duplicated, disordered = check(full, received)
    p_lost, p_duplicated, p_disordered = check(plain, received)
    lost, duplicated, disordered = (
        lost + p_lost,
        duplicated + p_duplicated,
        disordered + p_disordered,
    )
    b_lost, b_duplicated, _ = check(sample, received)
    parts = Counter(len(p) for p in rendered.values())
    print(
        f"fake Bot API: {args.rate} msg/s overall, 1/s per chat, 20/min per group,"
        f" {args.latency * 1000:.0f} ms latency; digest of {dict(sorted(parts.items()))} parts"
        f" (ar/en/both)"
    )
    print(
        f"{args.chats} chats ({args.chats // GROUP_SHARE} groups), {full.messages} messages;"
        f" with updates: {len(full.updates)} chats' digests are updates replying to an earlier"
        " digest"
    )
    print(line(baseline, args.rate))
    print(line(without, args.rate))
    print(line(outcome, args.rate))
    print(f"speed-up over one part at a time: {outcome.throughput / baseline.throughput:.1f}x")
    print(f"with updates / without, same run: {outcome.throughput / without.throughput:.2f}")
    print(
        f"lost {lost}, duplicated {duplicated}, chats out of order {disordered};"
        f" 429 answers {refusals}; {replies} sent as replies"
        f" (sample: lost {b_lost}, duplicated {b_duplicated});"
        f" report {outcome.report}"
    )
    ratio = outcome.throughput / args.rate
    ratio = min(ratio, without.throughput / args.rate)
    ok = ratio >= TARGET_RATIO and lost == 0 and duplicated == 0 and disordered == 0
    print(
        f"{'PASS' if ok else 'FAIL'}: achieved/allowed {ratio:.3f} (target ≥ {TARGET_RATIO}),"
        f" lost {lost} (target 0)"
    )
    return 0 if ok else 1


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=300, help="overall messages a second")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline-chats", type=int, default=100)
    parser.add_argument(
        "--updates", type=float, default=0.5, help="share of chats whose digest is updates"
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    with child_server(serve_fake, args.rate, args.latency) as (conn, bot_url):
        return asyncio.run(main_async(args, bot_url, conn))


if __name__ == "__main__":
    raise SystemExit(main())
