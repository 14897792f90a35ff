"""The LLM wired through the composition root: one call per story, bilingual digests, and the
offline fallback when the endpoint fails."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.app.container import services
from bot.cli import main
from bot.cli.demo import demo_settings
from bot.config import Settings
from bot.ops.demo import load_manifest, serve
from tests.fakes.feed_server import FeedServer
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
            await svc.poller.poll()
            stories = await svc.summaries.summarize()
            assert stories == 10
            assert openai_api.calls == stories  # one call per story, both languages at once
            assert await svc.summaries.summarize() == 0  # cached by content: no new calls
            assert openai_api.calls == stories
            digest = svc.digests.digest(lang="both", since=None, until=manifest.now)
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
            await svc.poller.poll()
            assert await svc.summaries.summarize() == 10
            digest = svc.digests.digest(lang="en", since=None, until=manifest.now)
    assert {item.summary.method for item in digest.items} == {"offline"}


def test_search_command(tmp_path: Path) -> None:
    manifest = load_manifest()
    import asyncio

    async def fill() -> None:
        with serve(manifest) as base_url:
            settings = demo_settings(manifest, base_url, str(tmp_path))
            async with services(settings, now=lambda: manifest.now) as svc:
                await svc.poller.poll()

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


async def test_borderline_items_get_a_second_opinion(
    tmp_path: Path, openai_api: FakeOpenAI, feed_server: FeedServer
) -> None:
    now = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
    missile = (
        "North Korea fired a ballistic missile on Tuesday. "
        "Pyongyang has deepened military ties with Moscow."
    )
    items = "".join(
        f"<item><guid>tag:x.example,2024:{guid}</guid><title>{title}</title>"
        f"<description>{text}</description><link>https://x.example/{guid}</link>"
        "<pubDate>Tue, 05 Nov 2024 08:00:00 GMT</pubDate></item>"
        for guid, title, text in [
            ("missile", "North Korea fires ballistic missile toward East Sea", missile),
            ("rain", "Heavy rain expected across the Levant", "Rain."),
        ]
    )
    feed_server.add(
        "/x.xml", f'<rss version="2.0"><channel><title>X</title>{items}</channel></rss>'.encode()
    )
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "llm": {"base_url": openai_api.base_url, "model": "m", "timeout_s": 5.0},
            "topic": {"second_opinion": True, "borderline_low": 0.3, "borderline_high": 0.7},
            "feeds": [{"url": feed_server.url("/x.xml"), "name": "X"}],
        }
    )
    openai_api.queue_answer({"relevant": True, "reason": "the launch was coordinated with Moscow"})
    async with services(settings, now=lambda: now) as svc:
        report = await svc.poller.poll()
        [hit] = svc.archive.search("missile")
        assert hit.article.title.startswith("North Korea fires")
    assert openai_api.calls == 1  # only the borderline item was asked about
    assert "North Korea fires" in json.dumps(openai_api.requests[0], ensure_ascii=False)
    assert report.relevant == 1


async def test_second_opinion_is_off_by_default(tmp_path: Path) -> None:
    settings = Settings.model_validate({"storage": {"data_dir": str(tmp_path)}})
    assert settings.topic.second_opinion is False
    async with services(settings) as svc:
        assert svc.poller.feed.second_opinion is None
