"""The running bot on a simulated clock: the real services, jobs, sender and Telegram channel
against the loopback fakes, driven tick by tick the way the scheduler drives them, while the
clock jumps ahead (a simulated day takes seconds)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from bot.app.container import Services, services
from bot.app.jobs import Heartbeat, Jobs
from bot.config import Settings
from bot.models import Chat
from bot.platforms.telegram.channel import TelegramChannel, build_application
from tests.fakes.feed_server import FeedServer
from tests.reliability.support import TOKEN, feed_xml
from tests.settings_support import settings_for

_SYLLABLES = "ka zo ri mel tun var pes qui lo dab nor fen gul hix sab tor vel mun"


class SimClock:
    """Simulated time: ``now`` for the services, ``monotonic`` and ``sleep`` for the senders (a
    sleep moves the clock forward at once)."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._start = start

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - self._start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance_to(self, when: datetime) -> None:
        self.now = max(self.now, when)


class Newsroom:
    """A feed that gains relevant items, each about an event of its own (made-up words keep
    any two apart, so each becomes a story of its own)."""

    def __init__(self, server: FeedServer, path: str = "/wire.xml", seed: int = 1) -> None:
        self.server = server
        self.path = path
        self.items: list[tuple[str, str, datetime]] = []
        self._rng = Random(seed)
        self._used: set[str] = set()
        server.add(path, feed_xml(self.items))

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def _word(self) -> str:
        syllables = _SYLLABLES.split()
        while True:
            word = "".join(self._rng.choice(syllables) for _ in range(3))
            if word not in self._used:
                self._used.add(word)
                return word

    def publish(self, when: datetime, count: int = 1) -> list[str]:
        """``count`` new items published at ``when``; returns their titles."""
        titles = []
        for _ in range(count):
            # Made-up words only beside the two sides: no word or term another item shares.
            words = " ".join(self._word() for _ in range(4))
            title = f"Russia and North Korea: {words}"
            self.items.append((f"item-{len(self.items)}", title, when))
            titles.append(title)
        self.server.add(self.path, feed_xml(self.items))
        return titles


def sim_settings(
    data: Path, feed_urls: Sequence[str], digest_times: Sequence[str], **sections: Any
) -> Settings:
    """English wires polled every 30 minutes, digests at ``digest_times``."""
    return settings_for(
        data,
        [{"url": url, "name": f"Wire {n}", "lang": "en"} for n, url in enumerate(feed_urls)],
        schedule={"poll_minutes": 30, "digest_times": list(digest_times)},
        **sections,
    )


@dataclass
class SimBot:
    svc: Services
    jobs: Jobs
    clock: SimClock

    def subscribe(self, chat_ids: Sequence[int], langs: Sequence[str]) -> None:
        for chat_id, lang in zip(chat_ids, langs, strict=True):
            self.svc.state.save_chat(
                Chat(
                    platform="telegram",
                    chat_id=chat_id,
                    lang=lang,  # type: ignore[arg-type]
                    subscribed=True,
                    subscribed_at=self.clock.now - timedelta(days=1),
                    last_digest_at=self.clock.now,
                )
            )

    async def run_until(
        self,
        until: datetime,
        *,
        tick: timedelta = timedelta(minutes=10),
        on_tick: Callable[[datetime], object] | None = None,
        tracked: bool = False,
    ) -> None:
        """The scheduler's ticks up to ``until``: poll, digests, deliver. The jobs are called
        directly, so an exception fails the test; or (``tracked``) as the scheduler calls them,
        with failures logged and the next tick going on."""
        jobs = self.jobs
        poll, digests, deliver = jobs.poll, jobs.digests, jobs.deliver
        if tracked:
            poll, digests, deliver = (
                jobs.tracked(poll),
                jobs.tracked(digests),
                jobs.tracked(deliver),
            )
        while self.clock.now < until:
            self.clock.advance_to(self.clock.now + tick)
            if on_tick is not None:
                result = on_tick(self.clock.now)
                if asyncio.iscoroutine(result):
                    await result
            await poll()
            await digests()
            await deliver()


@contextlib.asynccontextmanager
async def sim_bot(settings: Settings, clock: SimClock, bot_url: str) -> AsyncIterator[SimBot]:
    """The services, a Telegram application talking to ``bot_url``, and the jobs."""
    async with services(settings, now=clock) as svc:
        application = build_application(TOKEN, bot_url)
        async with application:
            jobs = Jobs(
                svc,
                [TelegramChannel(application.bot)],
                Heartbeat(started_at=clock.now),
                monotonic=clock.monotonic,
                sleep=clock.sleep,
            )
            yield SimBot(svc, jobs, clock)
