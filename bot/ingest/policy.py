"""When to poll a feed next, and when to give up on it. Pure: the clock and the RNG are passed in.

::

    success (200 or 304):  next = now + max(interval, min(max-age, max_interval), Retry-After)
    failure number n:      next = now + min(interval × 2^(n-1) × jitter(±20 %), max_interval)
                                  but never sooner than Retry-After
    give up:               disabled once n ≥ max_failures, or failing for max_failing or longer

The server's ``Cache-Control: max-age`` can slow the bot down (never below the configured
interval, never past ``max_interval``), and ``Retry-After`` always wins: a server that asks for a
pause gets it. The jitter spreads the retries of feeds that failed together (one host down), so
they do not all come back in the same second.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.models import FeedState, FetchResult

MAX_RETRY_AFTER = timedelta(days=1)
"""A Retry-After longer than this is taken as this: a typo on a server must not mute a feed."""

DEFAULT_MAX_INTERVAL = timedelta(days=1)
DEFAULT_MAX_FAILURES = 50
DEFAULT_MAX_FAILING = timedelta(days=7)
JITTER = 0.2

# Ten years: past any sensible max-age, and far below timedelta's limit, so absurd values
# cannot overflow.
_MAX_AGE_CEILING_S = 10 * 365 * 86_400
# 2**40 intervals is beyond any cap; the exponent stops there so the float stays finite.
_MAX_EXPONENT = 40


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header as a delay from ``now``: delta-seconds or an HTTP-date.

    Unreadable → ``None``; a date in the past or a negative number → zero; capped at one day.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    digits = text.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        if text.startswith("-"):
            return timedelta(0)
        seconds = min(int(digits), int(MAX_RETRY_AFTER.total_seconds()))
        return timedelta(seconds=seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; parsedate gives a naive value for "-0000".
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


def parse_max_age(cache_control: str | None) -> timedelta | None:
    """The ``max-age`` of a ``Cache-Control`` header; ``None`` when absent or unreadable, or when
    ``no-store`` / ``no-cache`` says the answer must not be reused. ``s-maxage`` is for shared
    caches and is ignored."""
    if not cache_control:
        return None
    max_age: timedelta | None = None
    for directive in cache_control.split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return None
        if name != "max-age" or max_age is not None:
            continue
        argument = argument.strip().strip('"')
        if argument.isascii() and argument.isdigit():
            max_age = timedelta(seconds=min(int(argument), _MAX_AGE_CEILING_S))
    return max_age


def backoff(
    *, interval: timedelta, max_interval: timedelta, failures: int, rng: random.Random
) -> timedelta:
    """The pause after ``failures`` failures in a row (≥ 1): doubling, jittered, capped."""
    exponent = min(max(failures, 1) - 1, _MAX_EXPONENT)
    seconds = interval.total_seconds() * 2.0**exponent
    seconds *= rng.uniform(1 - JITTER, 1 + JITTER)
    if seconds >= max_interval.total_seconds():
        return max_interval
    return timedelta(seconds=seconds)


SUCCESS_JITTER = 0.1


def next_poll(
    *,
    now: datetime,
    interval: timedelta,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    failures: int,
    retry_after: timedelta | None,
    max_age: timedelta | None,
    rng: random.Random,
) -> datetime:
    """When to poll a feed next, given how its last fetch went."""
    if failures <= 0:
        # Up to 10% later, never earlier: feeds added together drift apart instead of all
        # hitting their servers in the same minute, and no server is polled faster than asked.
        delay = interval * (1 + SUCCESS_JITTER * rng.random())
        if max_age is not None:
            delay = max(delay, min(max_age, max_interval))
    else:
        delay = backoff(interval=interval, max_interval=max_interval, failures=failures, rng=rng)
    if retry_after is not None:
        # The server's wish wins over our interval, but not over the configured maximum.
        delay = max(delay, min(retry_after, max_interval))
    return now + delay


def after_success(
    state: FeedState,
    result: FetchResult,
    *,
    now: datetime,
    interval: timedelta,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    rng: random.Random,
) -> FeedState:
    """The state after a fetch that answered 200 or 304.

    A 200 replaces the validators with the new answer's (a server that stopped sending an ETag
    must not keep getting the old one); a 304 keeps the stored ones unless it sends fresh ones.
    ``url`` is left alone: moving a feed after a permanent redirect is the caller's decision.
    """
    headers = result.headers
    if result.not_modified:
        etag = result.etag or state.etag
        last_modified = result.last_modified or state.last_modified
    else:
        etag, last_modified = result.etag, result.last_modified
    return replace(
        state,
        etag=etag,
        last_modified=last_modified,
        last_status=result.status,
        last_fetch_at=now,
        last_error=None,
        failures=0,
        failing_since=None,
        next_poll_at=next_poll(
            now=now,
            interval=interval,
            max_interval=max_interval,
            failures=0,
            retry_after=parse_retry_after(headers.get("retry-after"), now),
            max_age=parse_max_age(headers.get("cache-control")),
            rng=rng,
        ),
    )


def after_failure(
    state: FeedState,
    error: str,
    *,
    now: datetime,
    interval: timedelta,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    rng: random.Random,
    retry_after: timedelta | None = None,
    status: int | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
    max_failing: timedelta = DEFAULT_MAX_FAILING,
) -> FeedState:
    """The state after a failed fetch (or an unreadable body).

    ``status`` is the HTTP status when the server answered with an error, ``None`` for network
    errors and refused URLs. The feed is disabled once it has failed ``max_failures`` times in a
    row, or has been failing for ``max_failing`` or longer; validators are kept.
    """
    failures = state.failures + 1
    failing_since = state.failing_since or now
    give_up = failures >= max_failures or now - failing_since >= max_failing
    return replace(
        state,
        last_status=status,
        last_fetch_at=now,
        last_error=error,
        failures=failures,
        failing_since=failing_since,
        disabled=state.disabled or give_up,
        next_poll_at=next_poll(
            now=now,
            interval=interval,
            max_interval=max_interval,
            failures=failures,
            retry_after=retry_after,
            max_age=None,
            rng=rng,
        ),
    )


def body_digest(result: FetchResult, *, max_items: int) -> str:
    """What a full read of ``result`` depends on, hashed: the decoded body, and what parsing
    takes beside it (the URL links resolve against, the declared charset, the item limit).
    Many servers answer 200 with the same body and no validators, or a fresh ETag each time;
    the same digest as the last full read means nothing in it can be new."""
    digest = hashlib.sha256()
    for part in (result.final_url, result.headers.get("content-type", ""), str(max_items)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    digest.update(result.body)
    return f"sha256:{digest.hexdigest()}"


UNCHANGED_STATUS = 304
"""The status recorded for a 200 whose body matched the last full read: it is counted,
shown and kept (its seen ids are not pruned) exactly like the server's own 304."""


def is_due(state: FeedState, now: datetime) -> bool:
    """True when the feed should be polled at ``now``."""
    return not state.disabled and (state.next_poll_at is None or state.next_poll_at <= now)
