"""The running bot's jobs, over the services from the composition root.

::

    poll tick     poller.poll (feeds that are due) → summaries → queue alerts (big stories,
                  watched terms) → deliver
    digest tick   due_digests(chats, handled, now) → queue each due digest → deliver
    deliver       outbox → every running channel; one delivery at a time per channel
    stop          no new sends; the message in flight finishes; running jobs are cancelled

Every job runs on the event loop's thread (the stores are used from that thread only). A poll
(up to its alerts) and the queueing of digests never overlap, so a digest never composes a
period while the stories in it are still being summarized.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.app.container import Services
from bot.app.scheduler import Job, due_digests
from bot.app.watch_job import queue_watch_alerts, watch_chats
from bot.delivery.channel import Channel
from bot.delivery.sender import DeliveryReport, Sender
from bot.digest.alerts import ALERT_WINDOW, alert_chats, alert_messages, big_stories
from bot.digest.compose import compose
from bot.digest.labels import feed_labeller

log = logging.getLogger(__name__)


@dataclass
class Heartbeat:
    """What the running bot has done, for the health endpoint."""

    started_at: datetime
    last_poll_at: datetime | None = None
    """When the last poll tick completed (whether or not any feed was due)."""


class SendGate:
    """A channel that can be closed for shutdown: a send that starts after ``close`` waits
    until its job is cancelled, while a send already in flight runs to its end, so shutdown
    never leaves a message half-sent and unrecorded."""

    def __init__(self, inner: Channel) -> None:
        self.platform = inner.platform
        self.limits = inner.limits
        self.is_group = inner.is_group
        self._inner = inner
        self._closed = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        if self._closed:
            await asyncio.Event().wait()  # parked until the job is cancelled
        self._in_flight += 1
        self._idle.clear()
        try:
            return await self._inner.send(
                chat_id, text, thread_id=thread_id, reply_to=reply_to, markup=markup
            )
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def close(self) -> None:
        self._closed = True

    async def drained(self) -> None:
        await self._idle.wait()


class Jobs:
    """The poll, digest and deliver jobs of ``digestbot run``."""

    def __init__(
        self,
        svc: Services,
        channels: Sequence[Channel],
        heartbeat: Heartbeat,
        *,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``monotonic`` and ``sleep`` are the senders' clock (the event loop's by default); a
        simulation passes one whose ``sleep`` moves simulated time forward."""
        self.svc = svc
        self.heartbeat = heartbeat
        self.gates = {channel.platform: SendGate(channel) for channel in channels}
        self._locks = {platform: asyncio.Lock() for platform in self.gates}
        # One sender per channel for the life of the process: its pacer remembers recent sends
        # and flood-control pauses from one delivery to the next.
        self._senders = {
            platform: Sender(
                archive=svc.archive,
                state=svc.state,
                channel=gate,
                now=svc.now,
                monotonic=monotonic,
                sleep=sleep,
            )
            for platform, gate in self.gates.items()
        }
        self._handled: dict[str, datetime] = {}
        # A digest is composed only between polls: a story archived by a poll is summarized
        # before any digest can see it (a digest leaves out stories without a summary, and
        # its period would then have passed them by).
        self._pipeline = asyncio.Lock()
        self._tasks: set[asyncio.Task[object]] = set()

    def tracked(self, job: Job) -> Job:
        """``job`` as the scheduler should run it: known to ``stop``, errors logged."""

        @functools.wraps(job)
        async def run() -> object:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                return await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; it runs again at its next tick", job.__name__)
                return None
            finally:
                self._tasks.discard(task)

        return run

    async def poll(self) -> None:
        async with self._pipeline:
            report = await self.svc.poller.poll()
            await self.svc.summaries.summarize()
            alerts = self.queue_alerts()
            alerts += self.queue_watch_alerts()
        if report.polled:
            log.info(
                "poll: %d feeds ok, %d unchanged, %d failed, %d new, %d relevant",
                report.feeds_ok,
                report.feeds_not_modified,
                report.feeds_failed,
                report.new_items,
                report.relevant,
            )
        self.heartbeat.last_poll_at = self.svc.now()
        if alerts:
            await self.deliver()

    def queue_alerts(self) -> int:
        """Queue an alert for each story that became big; returns the messages queued."""
        svc = self.svc
        now = svc.now()
        big = big_stories(
            svc.archive.alert_candidates(now - ALERT_WINDOW),
            svc.settings.digest.alert_min_sources,
        )
        if not big:
            return 0
        chats = alert_chats(svc.state.chats(subscribed_only=True), self.gates)
        queued = 0
        for story_id, sources in big:
            summary = svc.archive.summary(story_id)
            if summary is None:
                continue  # not summarized yet: looked at again after the next poll
            story = svc.archive.story(story_id)
            digest = compose(
                [(story, summary)],
                lang="both",
                since=None,
                until=now,
                max_stories=1,
                entity_names=svc.matcher.entity_names,
                labels=feed_labeller(svc.settings.feed_sources()),
            )
            messages = alert_messages(
                digest.items[0], chats, sources=sources, catalog=svc.catalog, writer=svc.platforms
            )
            svc.archive.queue_alert(story_id=story_id, sources=sources, messages=messages, now=now)
            log.info("alert: story %d, %d sources, %d chats", story_id, sources, len(messages))
            queued += len(messages)
        return queued

    def queue_watch_alerts(self) -> int:
        """Queue an alert for each new story matching a term a chat watches; returns the
        messages queued (see ``bot.app.watch_job``)."""
        svc = self.svc
        return queue_watch_alerts(
            archive=svc.archive,
            chats=watch_chats(svc.state.chats(subscribed_only=True), self.gates),
            expand=svc.matcher.alias_expander(),
            catalog=svc.catalog,
            writer=svc.platforms,
            now=svc.now(),
        )

    async def digests(self) -> None:
        async with self._pipeline:
            queued = self._queue_digests()
        if queued:
            await self.deliver()

    def _queue_digests(self) -> int:
        """Queue every due digest; returns the message parts queued."""
        svc = self.svc
        now = svc.now()
        chats = [c for c in svc.state.chats(subscribed_only=True) if c.platform in self.gates]
        ends = svc.archive.last_digest_ends()
        handled: dict[str, datetime] = {}
        for chat in chats:
            times = [
                t
                for t in (ends.get(chat.key), chat.last_digest_at, self._handled.get(chat.key))
                if t is not None
            ]
            if times:
                handled[chat.key] = max(times)
        schedule = svc.settings.schedule
        due = due_digests(
            chats,
            handled=handled,
            default_times=schedule.digest_times,
            default_zone=schedule.zone,
            now=now,
        )
        queued = svc.digests.queue_due([(item.chat, item.slot) for item in due])
        for item in due:
            # An empty period is remembered here only: it is looked at again after a restart,
            # which costs one query and sends nothing.
            self._handled[item.chat.key] = item.slot
        if due:
            log.info("digests: %d chats due, %d parts queued", len(due), queued)
        return queued

    async def deliver(self) -> DeliveryReport:
        """Send what is pending in the outbox through every running channel."""
        total = DeliveryReport()
        for platform, sender in self._senders.items():
            async with self._locks[platform]:
                report = await sender.run()
            total += report
        if total.sent or total.failed:
            log.info("delivered %d messages, %d failed", total.sent, total.failed)
        return total

    async def stop(self, grace_s: float) -> None:
        """Take no new sends, let the ones in flight finish (up to ``grace_s`` seconds), then
        cancel the jobs still running."""
        for gate in self.gates.values():
            gate.close()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(gate.drained() for gate in self.gates.values())), grace_s
            )
        except TimeoutError:
            log.warning("a message was still being sent after %.0f s; stopping anyway", grace_s)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
