"""Delivering the outbox to the fake Telegram Bot API: flood control, blocked chats, migrated
groups, refused messages and network failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.channels.delivery import deliver
from bot.channels.telegram import TelegramChannel
from bot.models import Chat
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.fakes.telegram_api import FakeTelegramAPI

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
TOKEN = "123456:delivery-test"


class Clock:
    """A fake monotonic clock; ``sleep`` advances it instead of waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture
async def bot(telegram_api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=telegram_api.bot_url) as bot:
        yield bot


@pytest.fixture
def stores(tmp_path: Path) -> tuple[StateStore, Archive]:
    return StateStore(tmp_path), Archive.in_dir(tmp_path)


def queue(archive: Archive, chat_id: int, parts: list[str], key: str = "d1") -> None:
    archive.queue_digest(
        platform="telegram",
        chat_id=chat_id,
        thread_id=None,
        digest_key=f"{chat_id}:{key}",
        period_end=NOW,
        parts=parts,
        now=NOW,
    )


async def run(bot: Bot, stores: tuple[StateStore, Archive], clock: Clock):  # type: ignore[no-untyped-def]
    state, archive = stores
    return await deliver(
        archive=archive,
        state=state,
        channel=TelegramChannel(bot),
        now=lambda: NOW,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


async def test_parts_go_out_in_order_paced_per_chat(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    queue(stores[1], 10, ["<b>one</b>", "two", "three"])
    queue(stores[1], 20, ["other chat"])
    clock = Clock()
    report = await run(bot, stores, clock)
    assert report.sent == 4
    assert [m.text for m in telegram_api.messages_to(10)] == ["<b>one</b>", "two", "three"]
    assert clock.slept == [1.0, 1.0]  # about one message a second in the same chat
    assert stores[1].pending("telegram") == []
    # a second run sends nothing again
    assert (await run(bot, stores, clock)).sent == 0


async def test_flood_control_is_waited_out_and_nothing_is_dropped(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    queue(stores[1], 10, ["a", "b"])
    telegram_api.fail_next("sendMessage", status=429, retry_after=7, count=3)
    clock = Clock()
    report = await run(bot, stores, clock)
    assert report.sent == 2 and report.failed == 0
    assert [m.text for m in telegram_api.messages_to(10)] == ["a", "b"]
    assert clock.slept.count(7.0) == 3


async def test_a_blocked_chat_is_unsubscribed_and_the_rest_continue(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    state, archive = stores
    state.save_chat(Chat("telegram", 10, subscribed=True))
    state.save_chat(Chat("telegram", 20, subscribed=True))
    queue(archive, 10, ["x", "y"])
    queue(archive, 20, ["z"])
    telegram_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user", chat_id=10
    )
    report = await run(bot, stores, Clock())
    assert report.chats_gone == 1 and report.sent == 1
    assert not state.chat("telegram", 10).subscribed  # type: ignore[union-attr]
    assert state.chat("telegram", 20).subscribed  # type: ignore[union-attr]
    assert [m.text for m in telegram_api.messages_to(20)] == ["z"]
    assert archive.pending("telegram") == []
    assert archive.outbox_counts()["dropped"] == 2  # both parts of the blocked chat


async def test_a_migrated_group_keeps_its_subscription(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    state, archive = stores
    state.save_chat(Chat("telegram", -300, lang="ar", subscribed=True))
    queue(archive, -300, ["one", "two"])
    telegram_api.fail_next("sendMessage", status=400, migrate_to_chat_id=-100300, chat_id=-300)
    report = await run(bot, stores, Clock())
    assert report.sent == 2
    assert [m.text for m in telegram_api.messages_to(-100300)] == ["one", "two"]
    moved = state.chat("telegram", -100300)
    assert moved is not None and moved.subscribed and moved.lang == "ar"
    assert state.chat("telegram", -300) is None


async def test_a_refused_part_is_logged_and_the_rest_continue(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    queue(stores[1], 10, ["<b>broken", "fine"])  # the fake refuses unbalanced HTML like Telegram
    report = await run(bot, stores, Clock())
    assert report.failed == 1 and report.sent == 1
    assert [m.text for m in telegram_api.messages_to(10)] == ["fine"]


async def test_network_errors_leave_the_part_for_later(
    bot: Bot, stores: tuple[StateStore, Archive], telegram_api: FakeTelegramAPI
) -> None:
    queue(stores[1], 10, ["later"])
    await telegram_api.close()  # the Bot API becomes unreachable
    report = await run(bot, stores, Clock())
    assert report.deferred == 1 and report.sent == 0
    [still] = stores[1].pending("telegram")
    assert still.text == "later" and still.attempts == 1
