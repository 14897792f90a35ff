"""What the delivery tests share: a fake clock, a channel that watches the real one, queueing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.delivery.channel import Channel
from bot.delivery.pacing import RateLimits
from bot.errors import DeliveryError
from bot.store.archive import Archive

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
TOKEN = "123456:delivery-test"


class Clock:
    """A fake monotonic clock; ``sleep`` moves it forward instead of waiting. Shared by the
    sender and the fake Bot API's flood limits, so both see the same time."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@dataclass(frozen=True)
class Attempt:
    """One send: clock times, and sequence numbers that order starts and answers that share a
    clock time."""

    chat_id: int
    text: str
    started: float
    answered: float
    error: DeliveryError | None
    started_seq: int
    answered_seq: int


@dataclass
class Watched:
    """Wraps a channel: records every attempt with the clock, counts sends in flight, and can
    run ``after_send`` after each accepted part."""

    inner: Channel
    clock: Callable[[], float]
    after_send: Callable[[int, str], None] | None = None
    attempts: list[Attempt] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    events: int = 0

    def _seq(self) -> int:
        self.events += 1
        return self.events

    @property
    def platform(self) -> str:
        return self.inner.platform

    @property
    def limits(self) -> RateLimits:
        return self.inner.limits

    def is_group(self, chat_id: int) -> bool:
        return self.inner.is_group(chat_id)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        started, started_seq = self.clock(), self._seq()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            message_id = await self.inner.send(
                chat_id, text, thread_id=thread_id, reply_to=reply_to, markup=markup
            )
        except DeliveryError as exc:
            answer = (self.clock(), exc, started_seq, self._seq())
            self.attempts.append(Attempt(chat_id, text, started, *answer))
            raise
        finally:
            self.in_flight -= 1
        answer = (self.clock(), None, started_seq, self._seq())
        self.attempts.append(Attempt(chat_id, text, started, *answer))
        if self.after_send is not None:
            self.after_send(chat_id, text)
        return message_id


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
