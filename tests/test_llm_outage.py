"""When the LLM endpoint is called again after it failed: the pure rules, then the summarizer
against the fake OpenAI server (a skipped call costs no request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import SummarizeError
from bot.llm.outage import FIRST_WAIT, MAX_WAIT, Outage
from bot.models import Article, Story
from bot.summarize.llm import LLMSummarizer
from tests.fakes.openai_api import FakeOpenAI

T0 = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)


def test_waits_double_up_to_the_cap_and_one_answer_ends_the_outage() -> None:
    outage = Outage()
    assert outage.may_call(T0) and not outage.down
    assert outage.failed(T0) is True  # the outage begins
    waits = [FIRST_WAIT]
    now = T0
    for _ in range(8):
        assert outage.retry_at is not None
        assert not outage.may_call(outage.retry_at - timedelta(seconds=1))
        now = outage.retry_at
        assert outage.may_call(now)
        assert outage.failed(now) is False  # still the same outage
        assert outage.wait is not None
        waits.append(outage.wait)
    assert waits == [min(FIRST_WAIT * 2**n, MAX_WAIT) for n in range(9)]
    assert waits[-1] == MAX_WAIT
    assert outage.answered() == T0
    assert not outage.down and outage.may_call(now)


def test_while_down_one_try_at_a_time() -> None:
    outage = Outage()
    outage.failed(T0)
    later = T0 + FIRST_WAIT
    assert outage.may_call(later)  # this call is the try …
    assert not outage.may_call(later)  # … the others wait for its outcome
    outage.abandoned()  # cancelled: the next call may try
    assert outage.may_call(later)


def test_calls_in_flight_when_it_failed_count_once() -> None:
    outage = Outage()
    assert outage.failed(T0) is True
    assert outage.failed(T0 + timedelta(seconds=5)) is False  # in flight before it began
    assert outage.wait == FIRST_WAIT and outage.retry_at == T0 + FIRST_WAIT


def story() -> Story:
    article = Article(
        id="a1",
        feed_url="https://wire.example/rss",
        source="Wire",
        url="https://wire.example/a1",
        title="Russia and North Korea open a rail link",
        summary="The rail link opened.",
        lang="en",
        published=T0,
        seen_at=T0,
    )
    return Story(id=1, created_at=T0, updated_at=T0, articles=(article,))


async def test_the_summarizer_skips_the_endpoint_while_down_and_tries_once_without_retries(
    openai_api: FakeOpenAI,
) -> None:
    clock = [T0]
    summarizer = LLMSummarizer(
        base_url=openai_api.base_url, api_key="k", model="m", max_retries=2, now=lambda: clock[0]
    )
    try:
        for _ in range(3):
            openai_api.queue_status(500, headers={"retry-after-ms": "1"})
        with pytest.raises(SummarizeError):
            await summarizer.summarize(story())
        assert openai_api.calls == 3  # one request and the SDK's two retries
        with pytest.raises(SummarizeError, match="down"):
            await summarizer.summarize(story())
        assert openai_api.calls == 3  # no request while waiting
        clock[0] = T0 + FIRST_WAIT
        openai_api.queue_status(500, headers={"retry-after-ms": "1"})
        with pytest.raises(SummarizeError):
            await summarizer.summarize(story())
        assert openai_api.calls == 4  # the try: one request, no retries
        clock[0] = T0 + 4 * FIRST_WAIT
        summary = await summarizer.summarize(story())  # answered: up again
        assert summary.method == "llm" and not summarizer.outage.down
    finally:
        await summarizer.aclose()


async def test_a_refused_request_is_not_an_outage(openai_api: FakeOpenAI) -> None:
    # a 400 (a story too long for the model's context, say) is about that request only
    summarizer = LLMSummarizer(
        base_url=openai_api.base_url, api_key="k", model="m", max_retries=0, now=lambda: T0
    )
    try:
        openai_api.queue_status(400)
        with pytest.raises(SummarizeError, match="refused"):
            await summarizer.summarize(story())
        assert not summarizer.outage.down
        summary = await summarizer.summarize(story())  # the next story is asked at once
    finally:
        await summarizer.aclose()
    assert summary.method == "llm" and openai_api.calls == 2
