"""Sending the outbox through a channel, many chats at once, within the platform's limits.

::

    pending outbox rows, grouped by chat in the order they were queued
    dispatcher (event loop):
        the chat whose turn comes first, when the pacer lets it go   ── bot.delivery.pacing
        start its next part                                         ── concurrent, at most
            channel.send                                               ``concurrency`` in flight
            accepted → mark sent (one small UPDATE, at once)
            refused  → flood control: everyone waits as told; chat gone: deactivated;
                       chat moved: follow it; bad part: marked failed, the next part goes;
                       network: retried with backoff, or left pending for the next run
        the chat rejoins the line when its part is answered         ── one part per chat in
                                                                       flight: order kept

Nothing is dropped except for a chat that removed the bot (Telegram's ``Forbidden``): every
part is sent, left pending for the next run, or marked failed because the platform refused that
part. A part is marked sent right after the platform accepts it; the only window for a
duplicate is a crash between that answer and the one-row UPDATE, or an answer lost on the
network after the platform accepted the part (the part is sent again). When the run is
cancelled, it starts nothing new and waits for the parts in flight to be answered and recorded.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime

from bot.delivery.channel import (
    Channel,
    ChatGoneError,
    ChatMovedError,
    RetryLaterError,
    TransientDeliveryError,
)
from bot.delivery.pacing import Pacer, RateLimits
from bot.errors import DeliveryError
from bot.store.archive import Archive
from bot.store.outbox import OutboxItem
from bot.store.state import StateStore

log = logging.getLogger(__name__)

CONCURRENCY = 16
"""Parts in flight at most: Telegram's 30 a second up to half a second of round trip, 300 a second
(paid broadcasts) up to 50 ms. More costs CPU when the bot falls behind: httpcore's pool does work
for every request in flight on each connection, and at 300 a second on a loaded machine 32 in
flight cost 3.3 ms of CPU a message against 2.6 ms for 16 (``bench/broadcast.py``)."""
MAX_PAUSE_S = 300.0
"""A flood-control wait longer than this ends the run; the next run waits out the rest."""
NETWORK_TRIES = 4
"""Tries of one part in one run before its chat is left for the next run."""
NETWORK_FAILURES_TO_STOP = 8
"""Network failures in a row (no answer from the platform in between) that end the run."""
BACKOFF_S = 1.0
BACKOFF_MAX_S = 30.0


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    chats_gone: int = 0
    chats_moved: int = 0
    flood_waits: int = 0
    network_errors: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        """Both reports counted together, every field (one way to sum them, for every caller)."""
        return DeliveryReport(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def backoff(tries: int) -> float:
    """Seconds to wait before try ``tries + 1`` after a network failure."""
    return float(min(BACKOFF_S * 2 ** max(tries - 1, 0), BACKOFF_MAX_S))


class Sender:
    """Delivers the outbox of one channel. Keep one per channel for the life of the process:
    its pacer remembers recent sends and flood-control pauses from one run to the next.

    ``limits`` default to the channel's (for Telegram they leave ``[telegram] reply_share`` of
    the overall rate for replies to commands). ``monotonic`` and ``sleep`` are the clock (the
    event loop's by default); tests pass a fake clock whose ``sleep`` moves time forward.
    """

    def __init__(
        self,
        *,
        archive: Archive,
        state: StateStore,
        channel: Channel,
        now: Callable[[], datetime],
        limits: RateLimits | None = None,
        concurrency: int = CONCURRENCY,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        is_group: Callable[[int], bool] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.archive = archive
        self.state = state
        self.channel = channel
        self.now = now
        self.pacer = Pacer(limits or channel.limits, is_group=is_group or channel.is_group)
        self.concurrency = concurrency
        self._monotonic = monotonic
        self._sleep = sleep

    def _clock(self) -> float:
        return self._monotonic() if self._monotonic else asyncio.get_running_loop().time()

    async def run(self) -> DeliveryReport:
        """Send every pending part of ``channel.platform``; return what happened."""
        run = _Run(self, self.archive.pending(self.channel.platform))
        self.pacer.forget_idle(self._clock())
        return await run.go()


async def deliver(
    *,
    archive: Archive,
    state: StateStore,
    channel: Channel,
    now: Callable[[], datetime],
    limits: RateLimits | None = None,
    concurrency: int = CONCURRENCY,
    monotonic: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DeliveryReport:
    """Send every pending outbox row of ``channel.platform`` with a fresh ``Sender``."""
    sender = Sender(
        archive=archive,
        state=state,
        channel=channel,
        now=now,
        limits=limits,
        concurrency=concurrency,
        monotonic=monotonic,
        sleep=sleep,
    )
    return await sender.run()


class _Run:
    """One pass over the pending parts."""

    def __init__(self, sender: Sender, items: list[OutboxItem]) -> None:
        self.s = sender
        self.pacer = sender.pacer
        self.platform = sender.channel.platform
        self.report = DeliveryReport()
        self.queues: dict[int, deque[OutboxItem]] = {}
        for item in items:
            self.queues.setdefault(item.chat_id, deque()).append(item)
        # (ready at, id of the chat's next part, chat): the earliest queued part goes first
        self.line: list[tuple[float, int, int]] = [
            (-math.inf, queue[0].id, chat_id) for chat_id, queue in self.queues.items()
        ]
        heapq.heapify(self.line)
        self.in_flight: set[asyncio.Task[None]] = set()
        self.tries: dict[int, int] = {}
        self.network_failures = 0
        self.stopping = False
        self.crash: BaseException | None = None
        self.wake = asyncio.Event()

    async def go(self) -> DeliveryReport:
        try:
            await self._dispatch()
        finally:
            # Parts in flight are answered and recorded even when the run is cancelled.
            if self.in_flight:
                await asyncio.wait(set(self.in_flight))
        if self.crash is not None:
            raise self.crash
        self.report.deferred += sum(len(q) for q in self.queues.values())
        return self.report

    async def _dispatch(self) -> None:
        clock = self.s._clock
        while self.line or self.in_flight:
            if self.stopping or self.crash is not None:
                if not self.in_flight:
                    return
                await self._wait(None)
                continue
            now = clock()
            if not self.line or len(self.in_flight) >= self.s.concurrency:
                await self._wait(None)
                continue
            at = self.pacer.overall_free_at(now)
            if at - now > MAX_PAUSE_S and self.pacer.paused_until > now:
                wait = self.pacer.paused_until - now
                log.warning("flood control: sending resumes in %.0f s", wait)
                self.stopping = True
                continue
            if at > now:
                await self._wait(at)
                continue
            ready_at, order, chat_id = self.line[0]
            at = max(ready_at, self.pacer.chat_free_at(chat_id, now))
            if at > now:
                if at > ready_at:
                    heapq.heapreplace(self.line, (at, order, chat_id))
                else:
                    await self._wait(at)
                continue
            heapq.heappop(self.line)
            self._start(chat_id, now)

    def _start(self, chat_id: int, now: float) -> None:
        item = self.queues[chat_id][0]
        self.pacer.started(chat_id, now)
        task = asyncio.create_task(self._send(chat_id, item))
        self.in_flight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.wake.set()

    async def _wait(self, until: float | None) -> None:
        """Until ``until`` (a clock time) or until a part in flight is answered."""
        if self.wake.is_set():
            self.wake.clear()
            return
        if until is None or until == math.inf:
            await self.wake.wait()
        else:
            delay = until - self.s._clock()
            if delay <= 0:
                return
            if not self.in_flight:
                await self.s._sleep(delay)
                return
            sleeper = asyncio.ensure_future(self.s._sleep(delay))
            waiter = asyncio.ensure_future(self.wake.wait())
            try:
                await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waiter.cancel()
        self.wake.clear()

    def _requeue(self, chat_id: int, ready_at: float) -> None:
        queue = self.queues.get(chat_id)
        if queue:
            heapq.heappush(self.line, (ready_at, queue[0].id, chat_id))
        else:
            self.queues.pop(chat_id, None)

    async def _send(self, chat_id: int, item: OutboxItem) -> None:
        try:
            await self._send_one(chat_id, item)
        except Exception as exc:  # a store failure or a bug: stop the run and raise it
            if self.crash is None:
                self.crash = exc
            self.queues.pop(chat_id, None)

    async def _send_one(self, chat_id: int, item: OutboxItem) -> None:
        channel = self.s.channel
        now = self.s._clock()
        if self.pacer.paused_until > now:  # flood control began after this part was chosen
            self.pacer.withdrawn(chat_id)
            self._requeue(chat_id, now)
            return
        # an update replies to the message that first carried its story
        reply_to = self.s.archive.reply_target(item.id)
        try:
            message_id = await channel.send(
                chat_id, item.text, thread_id=item.thread_id, reply_to=reply_to, markup=item.markup
            )
        except DeliveryError as exc:
            now = self.s._clock()
            self.pacer.answered(chat_id, now)
            self._refused(chat_id, item, exc, now)
            return
        except BaseException:
            self.pacer.answered(chat_id, self.s._clock())
            raise
        now = self.s._clock()
        self.pacer.answered(chat_id, now)
        self.s.archive.mark_sent(item.id, message_id, self.s.now())
        if message_id is not None:
            self.s.archive.record_message(item.id, message_id)
        self.network_failures = 0
        self.report.sent += 1
        self.queues[chat_id].popleft()
        self._requeue(chat_id, now)

    def _refused(self, chat_id: int, item: OutboxItem, exc: DeliveryError, now: float) -> None:
        archive, report = self.s.archive, self.report
        if not isinstance(exc, TransientDeliveryError):
            self.network_failures = 0  # the platform answered
        if isinstance(exc, RetryLaterError):
            report.flood_waits += 1
            self.pacer.pause(now + max(exc.seconds, 0.0))
            log.info("flood control: every chat waits %.0f s (chat %s)", exc.seconds, chat_id)
            self._requeue(chat_id, now)
        elif isinstance(exc, ChatMovedError):
            new_id = exc.new_chat_id
            log.info("chat %s moved to %s: subscription and settings follow", chat_id, new_id)
            _move(archive, self.s.state, self.platform, chat_id, new_id)
            report.chats_moved += 1
            queue = self.queues.pop(chat_id)
            if new_id in self.queues:  # parts already queued under the new id: one line, by id
                merged = sorted([*queue, *self.queues[new_id]], key=lambda i: i.id)
                self.queues[new_id] = deque(merged)
            else:
                self.queues[new_id] = queue
                self._requeue(new_id, now)
        elif isinstance(exc, ChatGoneError):
            log.warning("chat %s deactivated, its pending parts dropped: %s", chat_id, exc)
            _deactivate(self.s.state, self.platform, chat_id)
            archive.drop_chat_pending(self.platform, chat_id, str(exc))
            report.chats_gone += 1
            self.queues.pop(chat_id, None)
        elif isinstance(exc, TransientDeliveryError):
            self._network_failure(chat_id, item, exc, now)
        else:
            log.warning(
                "part %d of digest %s refused for chat %s, the rest goes on: %s",
                item.part,
                item.digest_key,
                chat_id,
                exc,
            )
            archive.mark_failed(item.id, str(exc), final=True)
            report.failed += 1
            self.queues[chat_id].popleft()
            self._requeue(chat_id, now)

    def _network_failure(
        self, chat_id: int, item: OutboxItem, exc: TransientDeliveryError, now: float
    ) -> None:
        self.s.archive.mark_failed(item.id, str(exc), final=False)
        self.report.network_errors += 1
        self.network_failures += 1
        tries = self.tries[item.id] = self.tries.get(item.id, 0) + 1
        if self.network_failures >= NETWORK_FAILURES_TO_STOP:
            if not self.stopping:
                log.warning(
                    "network: %d failures in a row, delivery resumes later: %s",
                    self.network_failures,
                    exc,
                )
            self.stopping = True
        if self.stopping or tries >= NETWORK_TRIES:
            log.warning("network: chat %s left for the next run: %s", chat_id, exc)
            self.report.deferred += len(self.queues.pop(chat_id, ()))
            return
        log.info("network: chat %s retried in %.0f s: %s", chat_id, backoff(tries), exc)
        self._requeue(chat_id, now + backoff(tries))


def _deactivate(state: StateStore, platform: str, chat_id: int) -> None:
    chat = state.chat(platform, chat_id)
    if chat is not None:
        state.save_chat(replace(chat, subscribed=False))


def _move(archive: Archive, state: StateStore, platform: str, old: int, new: int) -> None:
    chat = state.chat(platform, old)
    if chat is not None:
        state.move_chat(chat, new)
    archive.move_chat(platform, old, new)
