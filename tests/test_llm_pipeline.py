"""The LLM wired through the composition root: one call per story, bilingual digests, and the
offline fallback when the endpoint fails."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import services
from bot.cli import main
from bot.demo import load_manifest, serve
from bot.runner import demo_settings
from tests.fakes.openai_api import DEFAULT_ANSWER, FakeOpenAI


def llm_settings(tmp_path: Path, base_url: str, openai_url: str):  # type: ignore[no-untyped-def]
    settings = demo_settings(load_manifest(), base_url, str(tmp_path))
    llm = settings.llm.model_copy(
        update={"base_url": openai_url, "model": "test-model", "timeout_s": 5.0}
    )
    return settings.model_copy(update={"llm": llm})


async def test_one_call_per_story_and_both_languages(
    tmp_path: Path, openai_api: FakeOpenAI
) -> None:
    manifest = load_manifest()
    with serve(manifest) as base_url:
        settings = llm_settings(tmp_path, base_url, openai_api.base_url)
        async with services(settings, now=lambda: manifest.now) as svc:
            await svc.pipeline.poll()
            stories = await svc.pipeline.summarize()
            assert stories == 10
            assert openai_api.calls == stories  # one call per story, both languages at once
            assert await svc.pipeline.summarize() == 0  # cached by content: no new calls
            assert openai_api.calls == stories
            digest = svc.pipeline.digest(lang="both", since=None, until=manifest.now)
    assert all(item.summary.method == "llm" for item in digest.items)
    assert all(item.summary.headline_ar == DEFAULT_ANSWER["headline_ar"] for item in digest.items)
    assert all(item.summary.headline_en == DEFAULT_ANSWER["headline_en"] for item in digest.items)
    # links still come from the feeds
    assert all(".example." in s.url for item in digest.items for s in item.sources)


async def test_a_failing_endpoint_falls_back_to_offline(
    tmp_path: Path, openai_api: FakeOpenAI
) -> None:
    manifest = load_manifest()
    for _ in range(200):
        openai_api.queue_status(500)
    with serve(manifest) as base_url:
        settings = llm_settings(tmp_path, base_url, openai_api.base_url)
        async with services(settings, now=lambda: manifest.now) as svc:
            await svc.pipeline.poll()
            assert await svc.pipeline.summarize() == 10
            digest = svc.pipeline.digest(lang="en", since=None, until=manifest.now)
    assert {item.summary.method for item in digest.items} == {"offline"}


def test_search_command(tmp_path: Path) -> None:
    manifest = load_manifest()
    import asyncio

    async def fill() -> None:
        with serve(manifest) as base_url:
            settings = demo_settings(manifest, base_url, str(tmp_path))
            async with services(settings, now=lambda: manifest.now) as svc:
                await svc.pipeline.poll()

    asyncio.run(fill())
    out = io.StringIO()
    assert main(["search", "وبيونغ", "يانغ", "--data-dir", str(tmp_path)], out=out) == 0
    assert "1." in out.getvalue() and "https://" in out.getvalue()
    out = io.StringIO()
    assert main(["search", "Kursk", "--data-dir", str(tmp_path), "--limit", "3"], out=out) == 0
    text = out.getvalue()
    assert "3." in text and "4." not in text
    assert "كورسك" in text  # cross-lingual: Arabic reports of Kursk too
    out = io.StringIO()
    assert main(["search", "zzzz-nothing", "--data-dir", str(tmp_path)], out=out) == 0
    assert "no results" in out.getvalue()
