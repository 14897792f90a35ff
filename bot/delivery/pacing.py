"""Flood limits and the pacer that decides when the next message may leave.

Telegram allows about 30 messages a second overall, 20 a minute in one group or channel and
about one a second in one chat (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
Discord has a bucket per channel (about 5 messages per 5 seconds) and per webhook (5 requests per
2 seconds, about 30 messages a minute). Each platform's channel carries its own limits
(``Channel.limits`` and ``Channel.is_group``, see ``bot.platforms``).
The ``Pacer`` holds no clock: the sender passes the time in, so the rules are tested with plain
numbers.

A window counts a request from the moment it is started until ``period`` seconds after its
answer came back. The server saw the request somewhere between those two instants, so however
the network delays each request, no window of ``period`` seconds at the server holds more than
``limit`` of them. The price is one round trip per period (about 2 % at 20 ms latency); the
reward is that the limits hold exactly, not on average.

Starts are also spread out: one every ``overall_period / overall`` seconds on average, rather
than the whole window's worth at once. The schedule is kept from the times starts were due, not
from when they happened, so a start that a busy event loop makes a little late does not delay
every later one (``SPACING_SLACK``). The rate is the same, but the requests in flight stay near
rate × latency instead of piling up to the sender's concurrency at the start of each window; a
pile-up costs CPU in the HTTP client (httpcore's pool scans every connection for every waiting
request), which at 300 messages a second was what limited the rate.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.config.sections import DEFAULT_REPLY_SHARE, MAX_REPLY_SHARE

TELEGRAM_OVERALL = 30
"""Messages a second Telegram accepts from one bot overall (without paid broadcasts)."""


def digest_rate(overall: int, reply_share: float) -> int:
    """Messages a second the sender may use of ``overall`` when ``reply_share`` of it is kept for
    replies: rounded down, so replies get at least their share, and at least one."""
    if not 0.0 <= reply_share <= MAX_REPLY_SHARE:
        raise ValueError(f"the reply share must be between 0 and {MAX_REPLY_SHARE}")
    # the epsilon keeps 30 * (1 - 0.1) = 26.999999999999996 at 27
    return max(1, math.floor(overall * (1.0 - reply_share) + 1e-9))


@dataclass(frozen=True, slots=True)
class RateLimits:
    """How fast the sender may go. The defaults are Telegram's limits for a bot that also answers
    commands: 29 of the ~30 messages a second for digests (``DEFAULT_REPLY_SHARE`` of them left
    for replies)."""

    overall: int = digest_rate(TELEGRAM_OVERALL, DEFAULT_REPLY_SHARE)
    overall_period: float = 1.0
    chat_interval: float = 1.0
    group: int = 20
    group_period: float = 60.0

    def __post_init__(self) -> None:
        if self.overall < 1 or self.group < 1:
            raise ValueError("rate limits must allow at least one message")
        if min(self.overall_period, self.group_period) <= 0 or self.chat_interval < 0:
            raise ValueError("rate limit periods must be positive")


def telegram_group(chat_id: int) -> bool:
    """Telegram groups, supergroups and channels have negative ids; users positive ones."""
    return chat_id < 0


SPACING_SLACK = 4
"""Spacings a start may come late and still leave the next one due at its time: a late event
loop does not lower the rate, and after a pause at most this many more start at once."""


class _Window:
    """Requests in flight plus the answer times of the last ``period`` seconds."""

    __slots__ = ("answered", "in_flight", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.answered: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self.answered and self.answered[0] <= now - self.period:
            self.answered.popleft()

    def free_at(self, now: float) -> float:
        """When one more request may start: ``now``, a later time, or ``inf`` (wait for an
        answer)."""
        self._prune(now)
        excess = self.in_flight + len(self.answered) - self.limit
        if excess < 0:
            return now
        if excess >= len(self.answered):
            return math.inf
        return self.answered[excess] + self.period

    @property
    def idle(self) -> bool:
        return self.in_flight == 0 and not self.answered


class Pacer:
    """Decides when a message to a chat may start, given what was started and answered.

    ``free_at`` asks, ``started`` and ``answered`` tell. A global pause (flood control) holds
    every chat until it ends.
    """

    def __init__(
        self, limits: RateLimits, *, is_group: Callable[[int], bool] = telegram_group
    ) -> None:
        self.limits = limits
        self._is_group = is_group
        self._overall = _Window(limits.overall, limits.overall_period)
        self._groups: dict[int, _Window] = {}
        self._last_answer: dict[int, float] = {}
        self._busy: set[int] = set()
        self._spacing = limits.overall_period / limits.overall
        self._next_start = -math.inf
        self.paused_until = -math.inf

    def pause(self, until: float) -> None:
        """Flood control: nothing starts before ``until``."""
        self.paused_until = max(self.paused_until, until)

    def overall_free_at(self, now: float) -> float:
        """When any message may start (the overall limit, the spacing of starts and a pause)."""
        return max(self.paused_until, self._next_start, self._overall.free_at(now))

    def chat_free_at(self, chat_id: int, now: float) -> float:
        """When a message to ``chat_id`` may start as far as that chat and its group go."""
        if chat_id in self._busy:
            return math.inf
        at = self._last_answer.get(chat_id, -math.inf) + self.limits.chat_interval
        group = self._groups.get(chat_id)
        if group is not None:
            at = max(at, group.free_at(now))
        return max(at, now)

    def free_at(self, chat_id: int, now: float) -> float:
        return max(self.overall_free_at(now), self.chat_free_at(chat_id, now))

    def started(self, chat_id: int, now: float | None = None) -> None:
        """A request to ``chat_id`` starts (at ``now``: the next may start one spacing later)."""
        if now is not None:
            slack = SPACING_SLACK * self._spacing
            self._next_start = max(self._next_start, now - slack) + self._spacing
        self._busy.add(chat_id)
        self._overall.in_flight += 1
        if self._is_group(chat_id):
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = _Window(self.limits.group, self.limits.group_period)
            group.in_flight += 1

    def withdrawn(self, chat_id: int) -> None:
        """A started request was not sent after all."""
        self._busy.discard(chat_id)
        self._overall.in_flight -= 1
        group = self._groups.get(chat_id)
        if group is not None:
            group.in_flight -= 1

    def answered(self, chat_id: int, now: float) -> None:
        """The request to ``chat_id`` came back (accepted or not) at ``now``."""
        self._busy.discard(chat_id)
        self._overall.in_flight -= 1
        self._overall.answered.append(now)
        self._last_answer[chat_id] = now
        group = self._groups.get(chat_id)
        if group is not None:
            group.in_flight -= 1
            group.answered.append(now)

    def forget_idle(self, now: float) -> None:
        """Drop what no longer limits anything, so a long-lived pacer stays small."""
        horizon = now - self.limits.chat_interval
        for chat_id in [c for c, t in self._last_answer.items() if t <= horizon]:
            del self._last_answer[chat_id]
        for chat_id, group in list(self._groups.items()):
            group.free_at(now)
            if group.idle:
                del self._groups[chat_id]
