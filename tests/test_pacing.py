"""The pacer's rules with plain numbers: overall window, per-chat interval, group window, pauses."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from bot.config.sections import DEFAULT_REPLY_SHARE
from bot.delivery.channel import Channel
from bot.delivery.pacing import SPACING_SLACK, TELEGRAM_OVERALL, Pacer, RateLimits, digest_rate
from bot.platforms.discord.channel import DiscordChannel, DiscordWebhookChannel
from bot.platforms.telegram.channel import TelegramChannel, telegram_limits

CHANNELS: dict[str, type[Channel]] = {
    c.platform: c for c in (TelegramChannel, DiscordChannel, DiscordWebhookChannel)
}


def platform_limits(platform: str) -> tuple[RateLimits, Callable[[int], bool]]:
    """The limits a sender keeps for the channel of ``platform``, and its groups."""
    return CHANNELS[platform].limits, CHANNELS[platform].is_group


def send(pacer: Pacer, chat_id: int, start: float, answer: float) -> None:
    assert pacer.free_at(chat_id, start) <= start, f"chat {chat_id} was not free at {start}"
    pacer.started(chat_id)
    pacer.answered(chat_id, answer)


def test_a_chat_waits_its_interval_after_the_answer() -> None:
    pacer = Pacer(RateLimits(overall=100, chat_interval=1.0))
    send(pacer, 5, start=10.0, answer=10.2)
    assert pacer.free_at(5, 10.5) == pytest.approx(11.2)
    assert pacer.free_at(6, 10.5) == 10.5  # another chat is not held


def test_a_chat_with_a_part_in_flight_is_not_free() -> None:
    pacer = Pacer(RateLimits())
    pacer.started(5)
    assert pacer.chat_free_at(5, 0.0) == math.inf
    assert pacer.chat_free_at(6, 0.0) == 0.0


def test_the_overall_window_counts_requests_in_flight_and_answers_of_the_last_period() -> None:
    pacer = Pacer(RateLimits(overall=3, overall_period=1.0, chat_interval=0.0))
    send(pacer, 1, start=0.0, answer=0.1)
    send(pacer, 2, start=0.0, answer=0.3)
    pacer.started(3)  # in flight
    # full: the earliest answer leaves the window one period after it came back
    assert pacer.overall_free_at(0.5) == pytest.approx(1.1)
    pacer.answered(3, 0.6)
    assert pacer.overall_free_at(0.9) == pytest.approx(1.1)
    assert pacer.overall_free_at(1.1) == pytest.approx(1.1)
    assert pacer.overall_free_at(1.35) == 1.35  # two answers gone


def test_requests_in_flight_alone_can_fill_the_window() -> None:
    pacer = Pacer(RateLimits(overall=2, chat_interval=0.0))
    pacer.started(1)
    pacer.started(2)
    assert pacer.overall_free_at(0.0) == math.inf


def test_groups_get_their_own_window_users_do_not() -> None:
    limits = RateLimits(overall=1000, chat_interval=0.0, group=2, group_period=60.0)
    pacer = Pacer(limits)
    send(pacer, -100, start=0.0, answer=1.0)
    send(pacer, -100, start=1.0, answer=2.0)
    assert pacer.chat_free_at(-100, 2.0) == pytest.approx(61.0)
    send(pacer, 7, start=2.0, answer=2.1)
    send(pacer, 7, start=2.1, answer=2.2)
    send(pacer, 7, start=2.2, answer=2.3)  # a user chat has no per-minute window


def test_a_pause_holds_every_chat_and_never_shortens() -> None:
    pacer = Pacer(RateLimits())
    pacer.pause(30.0)
    pacer.pause(20.0)
    assert pacer.free_at(1, 0.0) == 30.0
    assert pacer.free_at(-5, 29.0) == 30.0
    assert pacer.free_at(1, 31.0) == 31.0


def test_forgetting_keeps_what_still_limits() -> None:
    limits = RateLimits(overall=10, chat_interval=1.0, group=1, group_period=60.0)
    pacer = Pacer(limits)
    send(pacer, 1, start=0.0, answer=0.5)
    send(pacer, -2, start=0.0, answer=0.5)
    pacer.forget_idle(10.0)
    assert pacer.chat_free_at(-2, 10.0) == pytest.approx(60.5)  # the group window remains
    assert pacer.chat_free_at(1, 10.0) == 10.0
    pacer.forget_idle(61.0)
    assert pacer.chat_free_at(-2, 61.0) == 61.0


@pytest.mark.parametrize(
    "kwargs",
    [{"overall": 0}, {"group": 0}, {"overall_period": 0.0}, {"chat_interval": -1.0}],
)
def test_limits_that_allow_nothing_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateLimits(**kwargs)  # type: ignore[arg-type]


def test_a_withdrawn_request_frees_its_place_without_counting() -> None:
    pacer = Pacer(RateLimits(overall=1, chat_interval=1.0, group=1))
    pacer.started(-9)
    assert pacer.overall_free_at(0.0) == math.inf
    pacer.withdrawn(-9)
    assert pacer.free_at(-9, 0.0) == 0.0


@pytest.mark.parametrize(
    ("platform", "chat_id", "windows"),
    [
        ("telegram", 42, {1.0: 1, 60.0: 60}),  # a user: one a second
        ("telegram", -1001, {60.0: 20}),  # a group: 20 a minute
        ("discord", 111222333444555666, {5.0: 5}),  # a channel: 5 per 5 s (ids are positive)
        ("discord-webhook", 777888999000111222, {2.0: 5, 60.0: 30}),  # 5 per 2 s, 30 a minute
    ],
)
def test_each_platform_paces_one_chat_within_its_limits(
    platform: str, chat_id: int, windows: dict[float, int]
) -> None:
    limits, is_group = platform_limits(platform)
    pacer = Pacer(limits, is_group=is_group)
    now, sent = 0.0, []
    while now < 120.0:  # send as soon as allowed, with answers after 10 ms
        now = max(now, pacer.free_at(chat_id, now))
        pacer.started(chat_id)
        sent.append(now)
        now += 0.01
        pacer.answered(chat_id, now)
    for window, most in windows.items():
        busiest = max(sum(1 for t in sent if s <= t < s + window) for s in sent)
        assert busiest == most, (window, busiest)  # up to the limit, never past it


def test_discord_channels_are_not_held_to_telegram_group_pace() -> None:
    # Discord channel ids are positive and every channel has its own bucket, while Telegram
    # reads a negative id as a group that may take 20 a minute
    discord, _ = platform_limits("discord")
    telegram, _ = platform_limits("telegram")
    assert discord != telegram and discord.chat_interval < telegram.chat_interval


@pytest.mark.parametrize(
    ("overall", "share", "digests"),
    [
        (30, 0.0, 30),  # nothing kept: replies wait behind digests
        (30, 0.03, 29),  # the default: one a second kept
        (30, 0.05, 28),  # 1.5 a second kept, rounded in the replies' favour
        (30, 0.1, 27),  # not 26: 30 * 0.9 is 26.999... in floating point
        (30, 0.5, 15),
        (300, 0.03, 291),  # paid broadcasts
        (1, 0.5, 1),  # a sender always has one message a second
    ],
)
def test_the_reply_share_is_left_out_of_the_senders_rate(
    overall: int, share: float, digests: int
) -> None:
    assert digest_rate(overall, share) == digests
    assert telegram_limits(share, overall).overall == digests


@pytest.mark.parametrize("share", [-0.01, 0.51, 1.0, math.nan])
def test_a_reply_share_outside_zero_to_a_half_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="reply share"):
        digest_rate(TELEGRAM_OVERALL, share)


def test_telegrams_sender_uses_all_but_the_reply_share_and_discord_keeps_its_own() -> None:
    default, _ = platform_limits("telegram")
    assert default.overall == digest_rate(TELEGRAM_OVERALL, DEFAULT_REPLY_SHARE) == 29
    assert telegram_limits(0.2).overall == 24
    assert platform_limits("discord")[0].overall == 40  # the reply share is Telegram's


def test_starts_are_spread_over_the_period_not_sent_in_one_burst() -> None:
    pacer = Pacer(RateLimits(overall=100, overall_period=1.0, chat_interval=0.0))  # 10 ms apart
    for chat_id in range(1 + SPACING_SLACK):  # after a quiet time, a few at once
        assert pacer.overall_free_at(10.0) == 10.0
        pacer.started(chat_id, 10.0)
    assert pacer.overall_free_at(10.0) == pytest.approx(10.01)  # then one every 10 ms,
    pacer.started(50, 10.015)  # and one that a busy loop started late
    assert pacer.overall_free_at(10.015) == pytest.approx(10.02)  # does not delay the next
    # a start that was withdrawn (flood control) still spaced the next one
    pacer.started(51, 10.02)
    pacer.withdrawn(51)
    assert pacer.overall_free_at(10.02) == pytest.approx(10.03)
