"""The one OpenAI-compatible client of bot.llm, its budget, and the layers around it."""

from __future__ import annotations

import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import openai
import pytest

from bot.errors import ConfigError
from bot.llm.client import LLMClient
from bot.llm.usage import LLMBudget, LLMUsage
from bot.store.archive import Archive

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 6, 1, 8, tzinfo=UTC)


async def test_a_local_server_gets_a_placeholder_key_and_max_tokens() -> None:
    client = LLMClient(
        base_url="http://127.0.0.1:9/v1", api_key=None, timeout_s=5, max_retries=1, purpose="x"
    )
    try:
        assert client.sdk.api_key  # the SDK refuses to start without one
        assert client.probe.max_retries == 0 and client.sdk.max_retries == 1
        assert client.token_limit(50) == {"max_tokens": 50, "max_completion_tokens": openai.omit}
    finally:
        await client.aclose()


async def test_openai_itself_gets_max_completion_tokens() -> None:
    client = LLMClient(base_url=None, api_key="k", timeout_s=5, max_retries=1, purpose="x")
    try:
        assert client.token_limit(50) == {"max_tokens": openai.omit, "max_completion_tokens": 50}
    finally:
        await client.aclose()


def test_a_refused_set_up_names_its_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"^second opinion: cannot set up the OpenAI client"):
        LLMClient(base_url=None, api_key=None, timeout_s=5, max_retries=1, purpose="second opinion")


def test_the_budget_records_what_each_client_spent_since_last_time(tmp_path: Path) -> None:
    summary, second = LLMUsage(), LLMUsage()
    with closing(Archive.in_dir(tmp_path)) as archive:
        budget = LLMBudget(
            archive,
            daily_tokens=100,
            now=lambda: NOW,
            meters=[("summary", summary), ("second_opinion", second)],
        )
        assert budget.allows()
        summary.calls, summary.prompt_tokens, summary.completion_tokens = 1, 40, 20
        second.calls, second.prompt_tokens = 2, 10
        second.rejections["format"] += 1
        budget.record()
        budget.record()  # nothing new: nothing counted twice
        assert budget.allows()  # 70 of 100
        summary.calls, summary.prompt_tokens = 2, 70
        budget.record()
        assert not budget.allows()  # 100 of 100
        usage = sorted(archive.llm_usage())
    assert usage == [
        ("2025-06-01", "second_opinion", 2, 10, 0),
        ("2025-06-01", "summary", 2, 70, 20),
    ]


def test_no_budget_means_no_limit(tmp_path: Path) -> None:
    usage = LLMUsage(calls=1, prompt_tokens=10**9)
    with closing(Archive.in_dir(tmp_path)) as archive:
        budget = LLMBudget(archive, daily_tokens=0, now=lambda: NOW, meters=[("summary", usage)])
        budget.record()
        assert budget.allows()


def test_the_second_opinion_does_not_load_the_summarizer() -> None:
    # topic is a lower layer than summarize: the second opinion shares bot.llm, not the summarizer
    code = (
        "import sys, bot.topic.second_opinion\n"
        "print(sorted(m for m in sys.modules if m.startswith('bot.summarize')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
