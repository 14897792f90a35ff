"""Outages of the services the bot depends on, over simulated hours: the running path (poll,
summarize, digests, the outbox sender, the Telegram channel) against the loopback fakes.

- The LLM endpoint down for a whole day (errors, then connection refused): digests go out on
  time with offline summaries, the endpoint is not hammered, and once it answers again new
  stories get its summaries.
- The Bot API down for an hour (502, then connections dropped) while digests are queued: the
  outbox catches up afterwards, every part delivered once, in order in each chat.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.sender import NETWORK_FAILURES_TO_STOP
from bot.pipeline.summaries import SUMMARY_CONCURRENCY
from bot.store.archive import ARCHIVE_FILE
from tests.fakes.feed_server import FeedServer
from tests.fakes.openai_api import DEFAULT_ANSWER, FakeOpenAI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.reliability.simulated import Newsroom, SimClock, sim_bot, sim_settings
from tests.reliability.support import read_stores

pytestmark = pytest.mark.slow

OFFLINE_NOTE = "Summaries are extracts of the articles"
LLM_HEADLINE = DEFAULT_ANSWER["headline_en"]


def summary_methods(data: Path, published_from: datetime, published_to: datetime) -> Counter[str]:
    """How the stories whose articles were published in the period were summarized."""
    db = sqlite3.connect(data / ARCHIVE_FILE)
    try:
        rows = db.execute(
            "SELECT DISTINCT s.story_id, s.method FROM summaries s"
            " JOIN articles a ON a.story_id = s.story_id"
            " WHERE a.published >= ? AND a.published < ?",
            (published_from.isoformat(), published_to.isoformat()),
        ).fetchall()
    finally:
        db.close()
    return Counter(method for _, method in rows)


async def test_the_llm_down_for_a_day_gives_offline_digests_without_a_retry_storm(
    tmp_path: Path, feed_server: FeedServer, telegram_api: FakeTelegramAPI
) -> None:
    start = datetime(2024, 11, 4, 0, 0, tzinfo=UTC)
    refused_from, back_at = start + timedelta(hours=12), start + timedelta(hours=24)
    llm = FakeOpenAI()
    await llm.start()
    port = int(llm.base_url.split(":")[2].split("/")[0])
    llm.down_status = 503
    clock = SimClock(start)
    news = Newsroom(feed_server)
    settings = sim_settings(
        tmp_path,
        [news.url],
        ["06:00", "12:00", "18:00", "23:00", "02:00"],
        llm={"base_url": llm.base_url, "api_key": "test-key", "model": "fake-model"},
    )
    published: dict[str, datetime] = {}
    ticks: list[tuple[datetime, int]] = []  # (tick, messages sent before it)
    calls_while_erroring = 0
    back = FakeOpenAI(port=port)

    async def world(now: datetime) -> None:
        nonlocal calls_while_erroring
        ticks.append((now, len(telegram_api.sent)))
        hour = f"{now:%d %H}"
        if hour not in published:  # three new stories every hour
            published[hour] = now
            news.publish(now.replace(minute=0, second=0) - timedelta(minutes=5), count=3)
        if now >= refused_from and not calls_while_erroring:  # errors, then connection refused
            calls_while_erroring = llm.calls
            await llm.stop()
        if now >= back_at and "back" not in published:
            published["back"] = now
            await back.start()

    try:
        async with sim_bot(settings, clock, telegram_api.bot_url) as bot:
            bot.subscribe([21, 22], ["en", "both"])
            await bot.run_until(refused_from, on_tick=world)
            tries_before_refused = bot.svc.llm.usage.calls if bot.svc.llm else 0
            await bot.run_until(back_at, on_tick=world)
            assert bot.svc.llm is not None
            tries_while_refused = bot.svc.llm.usage.calls - tries_before_refused
            await bot.run_until(back_at + timedelta(hours=3), on_tick=world)
    finally:
        await llm.stop()
        await back.stop()

    def sent_at(index: int) -> datetime:
        return max(when for when, before in ticks if before <= index)

    # Every digest of the day went out on time, with offline summaries, and said so.
    sent = [(sent_at(i), int(m.chat_id), m.text) for i, m in enumerate(telegram_api.sent)]
    for chat in (21, 22):
        day = [(when, text) for when, to, text in sent if to == chat and when < back_at]
        assert {when.hour for when, _ in day} == {2, 6, 12, 18, 23}, f"chat {chat}"
        digests: dict[datetime, str] = defaultdict(str)  # one digest per tick, maybe in parts
        for when, text in day:
            digests[when] += text
        assert all(OFFLINE_NOTE in text and LLM_HEADLINE not in text for text in digests.values())
    # (the items of each hour are published five minutes before it)
    stories_of_the_day = summary_methods(tmp_path, start, back_at - timedelta(minutes=5))
    assert set(stories_of_the_day) == {"offline"} and stories_of_the_day["offline"] >= 60

    # No retry storm: after the first failures (the stories summarized at once, each with one
    # request and the SDK's two retries), one try per poll that had new stories to summarize,
    # without retries — not three requests per story.
    hours = 12
    first = 3 * SUMMARY_CONCURRENCY
    assert calls_while_erroring <= first + hours, f"{calls_while_erroring} requests while erroring"
    assert tries_while_refused <= hours, f"{tries_while_refused} tries while refused"
    naive = 3 * 3 * hours  # three stories an hour, three requests each
    assert calls_while_erroring < naive / 4

    # The endpoint is back: the stories published since have its summaries, and the digest
    # after it shows them.
    after = summary_methods(tmp_path, back_at + timedelta(minutes=30), back_at + timedelta(hours=3))
    assert set(after) == {"llm"} and after["llm"] >= 3
    assert back.calls >= 3
    when, _, text = [item for item in sent if item[1] == 21][-1]
    assert when >= back_at and LLM_HEADLINE in text


async def test_the_bot_api_down_for_an_hour_then_the_outbox_catches_up_once_in_order(
    tmp_path: Path, feed_server: FeedServer, telegram_api: FakeTelegramAPI
) -> None:
    start = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
    down_at, dropping_at, up_at = (start + timedelta(minutes=m) for m in (45, 75, 105))
    chats = [31, 32, 33, 34, 35, 36]
    clock = SimClock(start)
    news = Newsroom(feed_server, seed=2)
    settings = sim_settings(tmp_path, [news.url], ["09:30", "10:00", "10:30", "11:00"])
    seen: dict[str, int] = {}

    def world(now: datetime) -> None:
        # (The senders' waits move the simulated clock too: ticks drift off the whole minute.)
        if now.minute % 20 == 0 or not news.items:
            news.publish(now - timedelta(minutes=2), count=2)
        if now >= down_at and "accepted" not in seen:  # the Bot API answers 502 …
            seen["accepted"] = len(telegram_api.sent)
            seen["tries"] = len(telegram_api.calls_to("sendMessage"))
            telegram_api.fail_next("sendMessage", status=502, count=None)
        if now >= dropping_at and "dropping" not in seen:  # … then drops every connection
            seen["dropping"] = 1
            telegram_api.clear_failures()
            telegram_api.drop_next("sendMessage", count=None)
        if now >= up_at and "pending" not in seen:
            telegram_api.clear_failures()
            seen["accepted_while_down"] = len(telegram_api.sent) - seen["accepted"]
            seen["tries_while_down"] = len(telegram_api.calls_to("sendMessage")) - seen["tries"]
            seen["pending"] = len(bot.svc.archive.pending("telegram"))

    async with sim_bot(settings, clock, telegram_api.bot_url) as bot:
        bot.subscribe(chats, ["en", "ar", "both"] * 2)
        await bot.run_until(start + timedelta(hours=2, minutes=30), tick=timedelta(minutes=5),
                            on_tick=world)  # fmt: skip

    stores = read_stores(tmp_path)
    parts = [(row.chat_id, row.text) for row in stores.outbox]
    assert {row.status for row in stores.outbox} == {"sent"}
    assert len(parts) == len(set(parts))
    # The 10:00 and 10:30 digests were queued while the Bot API was down, nothing got through,
    # and the tries stayed bounded (each delivery stops after a run of network failures).
    assert seen["accepted"] > 0  # the 09:30 digest went out before
    assert seen["accepted_while_down"] == 0
    assert seen["pending"] >= 2 * len(chats)
    runs = 2 * 60 // 5  # at most two deliveries a tick: the digest job's and the deliver job's
    assert seen["tries_while_down"] <= runs * (NETWORK_FAILURES_TO_STOP + len(chats))
    # Caught up: every part once, each chat's in the order they were queued.
    delivered = Counter((int(m.chat_id), m.text) for m in telegram_api.sent)
    assert delivered == Counter(parts)
    by_chat: dict[int, list[str]] = defaultdict(list)
    for message in telegram_api.sent:
        by_chat[int(message.chat_id)].append(message.text)
    for chat in chats:
        assert by_chat[chat] == [text for c, text in parts if c == chat]
        assert len(by_chat[chat]) >= 3  # the 10:00, 10:30 and 11:00 digests at least
