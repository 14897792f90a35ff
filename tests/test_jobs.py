"""The running bot's jobs over real stores: digests at each chat's own times, once; instant
alerts for big stories, once; and a stop that lets the message in flight finish."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.app.jobs import Heartbeat, Jobs
from bot.config import Settings
from bot.delivery.channel import ChatMovedError
from bot.delivery.pacing import RateLimits, telegram_group
from bot.delivery.sender import DeliveryReport
from bot.models import Article, Chat, Decision, Summary
from bot.store.archive import Archive
from tests.clock import Clock
from tests.settings_support import settings_for

START = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh


class RecordingChannel:
    """A channel of our own interface that records what it was asked to send."""

    platform = "telegram"
    limits = RateLimits()  # Telegram's, as its channel keeps them
    is_group = staticmethod(telegram_group)

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.hold: asyncio.Event | None = None
        self.in_flight = asyncio.Event()

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        self.in_flight.set()
        if self.hold is not None:
            await self.hold.wait()
        self.sent.append((chat_id, text))
        return len(self.sent)

    def texts_to(self, chat_id: int) -> list[str]:
        return [text for to, text in self.sent if to == chat_id]


def jobs_settings(data_dir: Path, **digest: object) -> Settings:
    """Digests at 08:00 and 20:00 in Riyadh, ``digest`` for the rest of ``[digest]``."""
    return settings_for(
        data_dir,
        schedule={"digest_times": ["08:00", "20:00"], "timezone": "Asia/Riyadh"},
        digest={"max_age_hours": 24 * 30, **digest},
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def svc(tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    async with services(jobs_settings(tmp_path), now=clock) as built:
        yield built


def subscribe(svc: Services, chat_id: int, **changes: object) -> Chat:
    chat = Chat(
        platform="telegram",
        chat_id=chat_id,
        subscribed=True,
        subscribed_at=START - timedelta(days=3),
        last_digest_at=datetime(2024, 11, 4, 17, 0, tzinfo=UTC),  # yesterday 20:00 Riyadh
    )
    chat = replace(chat, **changes)  # type: ignore[arg-type]
    svc.state.save_chat(chat)
    return chat


def add_story(
    archive: Archive,
    key: str,
    outlets: range,
    when: datetime,
    *,
    announce: bool = True,
    story_id: int | None = None,
) -> int:
    for number in outlets:
        article = Article(
            id=f"{key}-{number}",
            feed_url=f"https://outlet{number}.example/rss",
            source=f"Outlet {number}",
            url=f"https://outlet{number}.example/{key}",
            title=f"Story {key}: Russia and North Korea sign a pact ({number})",
            summary="The two governments signed an agreement.",
            lang="en",
            published=when - timedelta(minutes=30),
            seen_at=when,
        )
        decision = Decision(relevant=True, score=0.9, matched=("russia", "dprk"), reason="test")
        archive.add_article(article, decision, announce=announce)
        story_id = archive.attach(article.id, story_id, entities=(), announce=announce, now=when)
    assert story_id is not None
    summary = Summary(
        headline_ar=f"عنوان {key}",
        summary_ar="وقّعت الحكومتان اتفاقًا.",
        headline_en=f"Headline {key}",
        summary_en="The two governments signed an agreement.",
        method="llm",
    )
    archive.save_summary(archive.story(story_id), summary, when)
    return story_id


async def test_a_digest_missed_while_down_is_sent_once_at_start(
    tmp_path: Path, svc: Services, clock: Clock
) -> None:
    subscribe(svc, 1)
    add_story(svc.archive, "a", range(2), START - timedelta(hours=5))  # 04:00 UTC, before 08:00
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    await jobs.digests()  # the first tick at start: the 08:00 digest was missed
    assert len(channel.texts_to(1)) == 1
    assert "Headline a" in channel.texts_to(1)[0]
    await jobs.digests()
    clock.now += timedelta(minutes=5)
    await jobs.digests()
    assert len(channel.sent) == 1
    # a restart: new jobs, the same stores
    again = RecordingChannel()
    await Jobs(svc, [again], Heartbeat(started_at=clock.now)).digests()
    assert again.sent == []
    # and a restart of the whole process, stores reopened from disk
    async with services(jobs_settings(tmp_path), now=clock) as reopened:
        third = RecordingChannel()
        await Jobs(reopened, [third], Heartbeat(started_at=clock.now)).digests()
        assert third.sent == []


async def test_each_chat_at_its_own_time_and_changed_settings_without_restart(
    svc: Services, clock: Clock
) -> None:
    clock.now = datetime(2024, 11, 5, 5, 30, tzinfo=UTC)  # 08:30 Riyadh, 14:30 Tokyo
    subscribe(svc, 1)
    tokyo = subscribe(svc, 2, timezone="Asia/Tokyo", digest_times=("15:00",))
    add_story(svc.archive, "a", range(2), datetime(2024, 11, 5, 3, 0, tzinfo=UTC))
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=clock.now))
    await jobs.digests()
    assert len(channel.texts_to(1)) == 1 and channel.texts_to(2) == []
    clock.now = datetime(2024, 11, 5, 6, 1, tzinfo=UTC)  # 15:01 Tokyo
    await jobs.digests()
    assert len(channel.texts_to(1)) == 1 and len(channel.texts_to(2)) == 1
    # the Tokyo chat adds 15:30; a new story arrives; the next tick after 15:30 sends it
    svc.state.save_chat(replace(tokyo, digest_times=("15:00", "15:30"), last_digest_at=None))
    add_story(svc.archive, "b", range(2, 4), datetime(2024, 11, 5, 6, 10, tzinfo=UTC))
    clock.now = datetime(2024, 11, 5, 6, 20, tzinfo=UTC)
    await jobs.digests()
    assert len(channel.texts_to(2)) == 1
    clock.now = datetime(2024, 11, 5, 6, 31, tzinfo=UTC)
    await jobs.digests()
    assert len(channel.texts_to(2)) == 2 and "Headline b" in channel.texts_to(2)[1]
    assert len(channel.texts_to(1)) == 1  # the Riyadh chat waits for its 20:00


async def test_a_story_that_grows_after_the_slot_stays_in_that_slots_digest(
    svc: Services, clock: Clock
) -> None:
    # The 08:00 Riyadh digest (05:00 UTC) is composed at the next tick; a poll just before it
    # adds an article to the period's only story. The digest still goes out with that story and
    # every source it has by then; the next digest does not repeat what the chat was shown.
    subscribe(svc, 1)
    slot = datetime(2024, 11, 5, 5, 0, tzinfo=UTC)
    story = add_story(svc.archive, "a", range(2), slot - timedelta(minutes=30))
    add_story(svc.archive, "a", range(2, 3), slot + timedelta(seconds=30), story_id=story)
    clock.now = slot + timedelta(seconds=45)
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=clock.now))
    await jobs.digests()
    [first] = channel.texts_to(1)
    assert "Headline a" in first and "Outlet 2" in first
    clock.now = datetime(2024, 11, 5, 17, 1, tzinfo=UTC)  # 20:01 Riyadh
    await jobs.digests()
    assert channel.texts_to(1) == [first]


async def test_a_digest_tick_writes_the_state_file_once_however_many_chats_are_due(
    svc: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for chat_id in range(1, 31):
        subscribe(svc, chat_id)
    add_story(svc.archive, "a", range(2), START - timedelta(hours=5))
    writes: list[str] = []
    real_replace = os.replace

    def counting_replace(src: str, dst: str) -> None:
        writes.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    channel = RecordingChannel()
    await Jobs(svc, [channel], Heartbeat(started_at=START)).digests()
    assert sorted({to for to, _ in channel.sent}) == list(range(1, 31))
    assert len(writes) == 1
    slot = datetime(2024, 11, 5, 5, 0, tzinfo=UTC)  # 08:00 Riyadh
    assert {chat.last_digest_at for chat in svc.state.chats()} == {slot}


async def test_a_story_that_becomes_big_is_alerted_once(svc: Services, clock: Clock) -> None:
    subscribe(svc, 1, alerts=True, lang="ar")
    subscribe(svc, 2, alerts=False)
    subscribe(svc, 3, alerts=True, subscribed=False)
    subscribe(svc, 4, alerts=True, lang="en")
    story = add_story(svc.archive, "big", range(3), START - timedelta(minutes=20))
    # a backlog article (never announced) does not make a story big
    add_story(svc.archive, "big", range(3, 4), START, announce=False, story_id=story)
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    await jobs.poll()
    assert channel.sent == []
    clock.now += timedelta(minutes=1)
    add_story(svc.archive, "big", range(4, 5), clock.now, story_id=story)
    await jobs.poll()
    assert [to for to, _ in channel.sent] == [1, 4]
    arabic, english = channel.texts_to(1)[0], channel.texts_to(4)[0]
    assert "خبر بارز" in arabic and "4" in arabic and "Outlet 4" in arabic
    assert "Big story · reported by 4 sources" in english and "Headline big" in english
    assert '<a href="https://outlet0.example/big">' in english
    # it grows further, the bot restarts: still once
    add_story(svc.archive, "big", range(5, 7), clock.now, story_id=story)
    await jobs.poll()
    await Jobs(svc, [channel], Heartbeat(started_at=clock.now)).poll()
    assert len(channel.sent) == 2
    # an alert is not a digest: the 20:00 digest still carries the story
    clock.now = datetime(2024, 11, 5, 17, 1, tzinfo=UTC)
    await jobs.digests()
    assert any("Headline big" in text for text in channel.texts_to(2))
    assert len(channel.texts_to(4)) == 2


async def test_alerts_can_be_turned_off(tmp_path: Path, clock: Clock) -> None:
    async with services(jobs_settings(tmp_path, alert_min_sources=0), now=clock) as svc:
        subscribe(svc, 1, alerts=True)
        add_story(svc.archive, "big", range(10), START - timedelta(minutes=5))
        channel = RecordingChannel()
        await Jobs(svc, [channel], Heartbeat(started_at=START)).poll()
        assert channel.sent == []


async def test_stop_lets_the_message_in_flight_finish_and_sends_no_more(
    svc: Services,
) -> None:
    # One chat's parts go out one at a time, so exactly one part is in flight at the stop.
    svc.archive.queue_digest(
        platform="telegram",
        chat_id=1,
        thread_id=None,
        digest_key="telegram:1:x",
        period_end=START,
        parts=[f"part {n}" for n in (1, 2, 3)],
        now=START,
    )
    channel = RecordingChannel()
    channel.hold = asyncio.Event()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    task = asyncio.create_task(jobs.tracked(jobs.deliver)())
    await channel.in_flight.wait()
    stopping = asyncio.create_task(jobs.stop(grace_s=30))
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the message in flight
    channel.hold.set()
    await stopping
    await asyncio.gather(task, return_exceptions=True)
    assert channel.sent == [(1, "part 1")]
    assert svc.archive.outbox_counts() == {"sent": 1, "pending": 2}
    assert {item.attempts for item in svc.archive.pending("telegram")} == {0}


class MovingChannel(RecordingChannel):
    """Every chat it is asked to send to has just become a supergroup with a new id."""

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        if chat_id > 0:
            raise ChatMovedError("group upgraded", new_chat_id=-chat_id)
        return await super().send(
            chat_id, text, thread_id=thread_id, reply_to=reply_to, markup=markup
        )


async def test_the_delivery_report_of_the_running_bot_counts_every_outcome(
    svc: Services, clock: Clock
) -> None:
    subscribe(svc, 5)
    add_story(svc.archive, "moved", range(2), START - timedelta(minutes=20))
    clock.now = datetime(2024, 11, 5, 17, 1, tzinfo=UTC)
    channel = MovingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    assert svc.digests.queue_digests(until=clock.now)
    report = await jobs.deliver()
    # the move is counted (it used to be dropped when the reports of the channels were summed)
    assert report.chats_moved == 1
    assert report.sent >= 1 and channel.texts_to(-5)


def test_delivery_reports_add_up_field_by_field() -> None:
    one = DeliveryReport(sent=1, failed=2, deferred=3, chats_gone=4)
    two = DeliveryReport(chats_moved=5, flood_waits=6, network_errors=7)
    total = one + two
    assert [getattr(total, f.name) for f in fields(total)] == [1, 2, 3, 4, 5, 6, 7]
