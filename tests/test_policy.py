"""The poll policy: Retry-After and Cache-Control parsing, backoff, disabling, due feeds."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.policy import (
    after_failure,
    after_success,
    backoff,
    is_due,
    next_poll,
    parse_max_age,
    parse_retry_after,
)
from bot.models import FeedState, FetchResult

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
INTERVAL = timedelta(minutes=30)
URL = "https://news.example/rss"


def state(**changes: object) -> FeedState:
    return replace(FeedState(url=URL, name="News"), **changes)  # type: ignore[arg-type]


def result(status: int = 200, headers: dict[str, str] | None = None) -> FetchResult:
    body = b"" if status == 304 else b"<rss/>"
    return FetchResult(URL, URL, status, body, headers or {})


# --- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("120", timedelta(seconds=120)),
        (" 60 ", MIN),
        ("0", timedelta(0)),
        ("-5", timedelta(0)),
        ("86400", DAY),
        ("999999999999999999999999", DAY),
        ("Fri, 01 Mar 2024 12:05:00 GMT", timedelta(minutes=5)),
        ("Friday, 01-Mar-24 12:05:00 GMT", timedelta(minutes=5)),  # RFC 850
        ("Fri Mar  1 12:05:00 2024", timedelta(minutes=5)),  # asctime
        ("Fri, 01 Mar 2024 11:00:00 GMT", timedelta(0)),  # in the past
        ("Fri, 08 Mar 2024 12:00:00 GMT", DAY),  # a week away, capped
        ("soon", None),
        ("1.5", None),
        ("1e3", None),
        ("١٢٠", None),  # Arabic-Indic digits are not delta-seconds
        ("Fri, 99 Mar 2024 12:05:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@given(st.text(max_size=60))
def test_parse_retry_after_never_raises_and_stays_in_bounds(value: str) -> None:
    parsed = parse_retry_after(value, NOW)
    assert parsed is None or timedelta(0) <= parsed <= DAY


# --- Cache-Control --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("max-age=600", timedelta(seconds=600)),
        ("public, max-age=3600, must-revalidate", HOUR),
        ("Max-Age=60", MIN),
        ('max-age="120"', timedelta(seconds=120)),
        ("max-age = 60", MIN),
        ("max-age=0", timedelta(0)),
        ("s-maxage=900", None),
        ("s-maxage=900, max-age=60", MIN),
        ("max-age=60, max-age=900", MIN),  # the first one counts
        ("no-cache, max-age=600", None),
        ("max-age=600, no-store", None),
        ("private", None),
        ("max-age=soon", None),
        ("max-age=-1", None),
        ("max-age=99999999999999999999", timedelta(days=3650)),
    ],
)
def test_parse_max_age(value: str | None, expected: timedelta | None) -> None:
    assert parse_max_age(value) == expected


# --- next_poll ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "retry_after", "expected"),
    [
        (None, None, INTERVAL),
        (timedelta(minutes=5), None, INTERVAL),  # never faster than configured
        (2 * HOUR, None, 2 * HOUR),  # slower when the server says the answer keeps
        (7 * DAY, None, DAY),  # never slower than the maximum
        (None, 3 * HOUR, 3 * HOUR),  # Retry-After wins
        (2 * HOUR, 3 * HOUR, 3 * HOUR),
    ],
)
def test_next_poll_after_success(
    max_age: timedelta | None, retry_after: timedelta | None, expected: timedelta
) -> None:
    when = next_poll(
        now=NOW,
        interval=INTERVAL,
        max_interval=DAY,
        failures=0,
        retry_after=retry_after,
        max_age=max_age,
        rng=random.Random(1),
    )
    # the configured interval gets up to 10% of jitter, never less; server hints are exact
    assert expected <= when - NOW <= max(expected, INTERVAL * 1.1)


@pytest.mark.parametrize("seed", range(20))
def test_success_jitter_spreads_polls_but_never_hurries(seed: int) -> None:
    when = next_poll(
        now=NOW,
        interval=INTERVAL,
        failures=0,
        retry_after=None,
        max_age=None,
        rng=random.Random(seed),
    )
    assert INTERVAL <= when - NOW <= INTERVAL * 1.1


@pytest.mark.parametrize(
    ("failures", "base"),
    [(1, INTERVAL), (2, 2 * INTERVAL), (3, 4 * INTERVAL), (4, 8 * INTERVAL), (5, 16 * INTERVAL)],
)
@pytest.mark.parametrize("seed", range(20))
def test_backoff_doubles_within_the_jitter(failures: int, base: timedelta, seed: int) -> None:
    delay = backoff(interval=INTERVAL, max_interval=DAY, failures=failures, rng=random.Random(seed))
    assert base * 0.8 <= delay <= base * 1.2


def test_backoff_jitter_spreads_feeds_that_failed_together() -> None:
    rng = random.Random(7)
    delays = {backoff(interval=INTERVAL, max_interval=DAY, failures=2, rng=rng) for _ in range(50)}
    assert len(delays) > 40
    assert min(delays) < 2 * INTERVAL < max(delays)


@pytest.mark.parametrize("failures", [6, 7, 10, 50, 1000, 10**9])
def test_backoff_is_capped(failures: int) -> None:
    # 30 min × 2^5 = 16 h; from the 7th failure on even the low end of the jitter passes a day.
    delay = backoff(interval=INTERVAL, max_interval=DAY, failures=failures, rng=random.Random(3))
    assert delay <= DAY
    if failures >= 7:
        assert delay == DAY


@given(
    failures=st.integers(min_value=1, max_value=10_000),
    interval_s=st.integers(min_value=1, max_value=86_400),
    max_s=st.integers(min_value=1, max_value=7 * 86_400),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_never_exceeds_the_cap_nor_drops_below_the_jitter_floor(
    failures: int, interval_s: int, max_s: int, seed: int
) -> None:
    interval, max_interval = timedelta(seconds=interval_s), timedelta(seconds=max_s)
    delay = backoff(
        interval=interval, max_interval=max_interval, failures=failures, rng=random.Random(seed)
    )
    assert delay <= max_interval
    assert delay >= min(interval * 0.8, max_interval)


@pytest.mark.parametrize("failures", [1, 3, 20])
def test_retry_after_wins_over_backoff_but_not_over_the_maximum(failures: int) -> None:
    when = next_poll(
        now=NOW,
        interval=MIN,
        max_interval=HOUR,
        failures=failures,
        retry_after=5 * HOUR,
        max_age=None,
        rng=random.Random(0),
    )
    assert when == NOW + HOUR  # the configured maximum ([ingest] max_poll_minutes) wins
    longer = next_poll(
        now=NOW,
        interval=MIN,
        max_interval=10 * HOUR,
        failures=failures,
        retry_after=5 * HOUR,
        max_age=None,
        rng=random.Random(0),
    )
    assert longer >= NOW + 5 * HOUR


def test_a_short_retry_after_does_not_shorten_the_backoff() -> None:
    when = next_poll(
        now=NOW,
        interval=HOUR,
        max_interval=DAY,
        failures=3,
        retry_after=MIN,
        max_age=None,
        rng=random.Random(0),
    )
    assert when >= NOW + 4 * HOUR * 0.8


def test_max_age_is_ignored_after_a_failure() -> None:
    when = next_poll(
        now=NOW,
        interval=INTERVAL,
        max_interval=DAY,
        failures=1,
        retry_after=None,
        max_age=DAY,
        rng=random.Random(0),
    )
    assert when <= NOW + INTERVAL * 1.2


# --- after_success / after_failure ----------------------------------------------------------------


def test_after_success_resets_failures_and_takes_the_validators() -> None:
    failing = state(
        failures=4,
        failing_since=NOW - DAY,
        last_error="HTTP 503",
        last_status=503,
        etag='"old"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
    )
    fetched = result(200, {"etag": '"new"', "last-modified": "Fri, 01 Mar 2024 00:00:00 GMT"})
    after = after_success(failing, fetched, now=NOW, interval=INTERVAL, rng=random.Random(0))
    assert after.failures == 0
    assert after.failing_since is None
    assert after.last_error is None
    assert after.last_status == 200
    assert after.last_fetch_at == NOW
    assert after.etag == '"new"'
    assert after.last_modified == "Fri, 01 Mar 2024 00:00:00 GMT"
    assert after.next_poll_at is not None
    assert INTERVAL <= after.next_poll_at - NOW <= INTERVAL * 1.1
    assert after.url == URL


def test_after_success_200_without_validators_drops_the_old_ones() -> None:
    before = state(etag='"old"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    after = after_success(before, result(200), now=NOW, interval=INTERVAL, rng=random.Random(0))
    assert after.etag is None
    assert after.last_modified is None


def test_after_success_304_keeps_the_validators_unless_new_ones_come() -> None:
    before = state(etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    kept = after_success(before, result(304), now=NOW, interval=INTERVAL, rng=random.Random(0))
    renewed = after_success(
        before, result(304, {"etag": '"v2"'}), now=NOW, interval=INTERVAL, rng=random.Random(0)
    )
    assert (kept.etag, kept.last_modified) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert kept.last_status == 304
    assert renewed.etag == '"v2"'


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"cache-control": "max-age=7200"}, 2 * HOUR),
        ({"cache-control": "max-age=60"}, INTERVAL),
        ({"cache-control": "no-cache, max-age=7200"}, INTERVAL),
        ({"retry-after": "10800", "cache-control": "max-age=7200"}, 3 * HOUR),
    ],
)
def test_after_success_honours_the_servers_headers(
    headers: dict[str, str], delay: timedelta
) -> None:
    after = after_success(
        state(), result(200, headers), now=NOW, interval=INTERVAL, rng=random.Random(0)
    )
    assert after.next_poll_at is not None
    assert delay <= after.next_poll_at - NOW <= max(delay, INTERVAL * 1.1)


def test_after_success_leaves_the_url_even_after_a_permanent_redirect() -> None:
    moved = replace(result(200), permanent_url="https://new.example/rss")
    after = after_success(state(), moved, now=NOW, interval=INTERVAL, rng=random.Random(0))
    assert after.url == URL


def test_after_failure_counts_and_remembers_when_it_started() -> None:
    first = after_failure(
        state(etag='"v1"', last_status=200),
        "HTTP 503 Service Unavailable",
        now=NOW,
        interval=INTERVAL,
        rng=random.Random(0),
        status=503,
    )
    second = after_failure(
        first, "ConnectError", now=NOW + HOUR, interval=INTERVAL, rng=random.Random(0)
    )
    assert (first.failures, second.failures) == (1, 2)
    assert first.failing_since == second.failing_since == NOW
    assert first.last_error == "HTTP 503 Service Unavailable"
    assert first.last_status == 503
    assert second.last_status is None
    assert second.last_error == "ConnectError"
    assert second.last_fetch_at == NOW + HOUR
    assert second.etag == '"v1"'
    assert first.next_poll_at is not None and second.next_poll_at is not None
    assert NOW + INTERVAL * 0.8 <= first.next_poll_at <= NOW + INTERVAL * 1.2
    assert NOW + HOUR + INTERVAL * 1.6 <= second.next_poll_at <= NOW + HOUR + INTERVAL * 2.4
    assert not second.disabled


def test_after_failure_takes_retry_after() -> None:
    after = after_failure(
        state(),
        "HTTP 429 Too Many Requests",
        now=NOW,
        interval=INTERVAL,
        rng=random.Random(0),
        retry_after=6 * HOUR,
        status=429,
    )
    assert after.next_poll_at == NOW + 6 * HOUR


@pytest.mark.parametrize(
    ("failures", "failing_for", "disabled"),
    [
        (0, timedelta(0), False),
        (48, 6 * DAY, False),
        (49, timedelta(0), True),  # this failure is the 50th
        (3, 7 * DAY, True),
        (3, 7 * DAY - MIN, False),
    ],
)
def test_after_failure_disables_a_feed_that_keeps_failing(
    failures: int, failing_for: timedelta, disabled: bool
) -> None:
    before = state(failures=failures, failing_since=NOW - failing_for if failures else None)
    after = after_failure(before, "boom", now=NOW, interval=INTERVAL, rng=random.Random(0))
    assert after.disabled is disabled
    assert is_due(after, NOW + 2 * DAY) is not disabled


def test_after_failure_thresholds_are_configurable() -> None:
    before = state(failures=2, failing_since=NOW - HOUR)
    after = after_failure(
        before,
        "boom",
        now=NOW,
        interval=INTERVAL,
        rng=random.Random(0),
        max_failures=3,
        max_failing=timedelta(days=30),
    )
    assert after.disabled


# --- is_due ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, True),
        ({"next_poll_at": NOW}, True),
        ({"next_poll_at": NOW - MIN}, True),
        ({"next_poll_at": NOW + MIN}, False),
        ({"disabled": True}, False),
        ({"disabled": True, "next_poll_at": NOW - DAY}, False),
    ],
)
def test_is_due(changes: dict[str, object], due: bool) -> None:
    assert is_due(state(**changes), NOW) is due
