"""Rendering digests: golden files pin the exact text; splitting keeps Telegram's limits."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest.render import render_plain
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, EntityName, Source, Summary
from bot.platforms.telegram.render import (
    TELEGRAM_MAX_CHARS,
    TELEGRAM_MAX_ENTITIES,
    render_telegram,
)
from bot.text.display import utf16_len
from tests.fakes.telegram_api import parse_telegram_html

GOLDEN = Path(__file__).parent / "data" / "golden"
NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
KURSK = EntityName("ru:kursk", "كورسك", "Kursk")


def source(name: str, url: str, title: str, lang: str, label: str | None = None) -> Source:
    return Source(name=name, url=url, title=title, lang=lang, published=NOW, label=label)  # type: ignore[arg-type]


def sample_digest(lang: ChatLang) -> Digest:
    both = DigestItem(
        story_id=1,
        summary=Summary(
            headline_ar="جنود كوريون شماليون في كورسك",
            summary_ar="قالت سيول إن نحو 10900 جندي انتشروا في كورسك.",
            headline_en="North Korean troops in Kursk",
            summary_en="Seoul says about 10,900 soldiers deployed to Kursk & fought <there>.",
            method="llm",
        ),
        sources=(
            source("المشرق", "https://a.example/1?x=1&y=2", "عنوان", "ar"),
            source('Eastern "Wire"', "https://b.example/2", "Title", "en", "state"),
        ),
        entities=(KURSK,),
        updated_at=NOW,
    )
    arabic_only = DigestItem(
        story_id=2,
        summary=Summary("قطارات عبر تومانغانغ", "ارتفعت حركة القطارات.", None, None, "offline"),
        sources=(source("الرافدين", "https://c.example/3", "قطارات عبر تومانغانغ", "ar"),),
        entities=(EntityName("bridge:tumangang", "تومانغانغ", "Tumangang"), KURSK),
        updated_at=NOW - timedelta(hours=1),
    )
    return Digest(
        lang=lang, period_start=NOW - timedelta(hours=12), period_end=NOW, items=(both, arabic_only)
    )


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DIGESTBOT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {name}; run with DIGESTBOT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["ar", "en", "both"])
def test_telegram_golden(lang: ChatLang) -> None:
    [message] = render_telegram(sample_digest(lang), Catalog.load())
    parse_telegram_html(message)  # valid for Telegram
    check_golden(f"digest-{lang}.telegram.html", message)


def test_plain_golden() -> None:
    check_golden("digest-both.plain.txt", render_plain(sample_digest("both"), Catalog.load()))


def test_html_escaping() -> None:
    [message] = render_telegram(sample_digest("en"), Catalog.load())
    assert "Kursk &amp; fought &lt;there&gt;." in message
    assert '<a href="https://a.example/1?x=1&amp;y=2">المشرق</a>' in message
    assert 'Eastern "Wire"</a>' in message  # quotes in text stay as they are


def test_untranslated_items_say_so_and_show_the_original() -> None:
    [message] = render_telegram(sample_digest("en"), Catalog.load())
    assert "a translation needs an LLM" in message
    assert "<b>قطارات عبر تومانغانغ</b>" in message
    assert "Tumangang / تومانغانغ" in message
    assert "no LLM summary was available" in message  # one story used the offline summary


def test_long_digests_split_between_stories() -> None:
    template = sample_digest("both").items[0]
    items = tuple(
        DigestItem(
            story_id=i,
            summary=Summary(
                f"عنوان {i}", "ملخص طويل " * 40, f"Headline {i}", "A long summary " * 40, "llm"
            ),
            sources=tuple(
                source(f"Outlet {j}", f"https://o{j}.example/{i}", "t", "en") for j in range(4)
            ),
            entities=template.entities,
            updated_at=NOW,
        )
        for i in range(40)
    )
    digest = Digest(lang="both", period_start=None, period_end=NOW, items=items)
    messages = render_telegram(digest, Catalog.load())
    assert len(messages) > 1
    for message in messages:
        visible = parse_telegram_html(message)
        assert utf16_len(visible) <= TELEGRAM_MAX_CHARS
        assert message.count("<b>") + message.count("<a ") + message.count("<i>") <= (
            TELEGRAM_MAX_ENTITIES
        )
    joined = "\n\n".join(messages)
    for i in range(40):  # every story is there, whole, exactly once
        assert joined.count(f"<b>Headline {i}</b>") == 1


def test_a_story_with_very_many_sources_keeps_as_many_links_as_fit() -> None:
    summary = Summary("عنوان", "ملخص.", "Headline", "Summary.", "llm")
    outlets = tuple(
        source(f"Outlet {j}", f"https://o{j}.example/story", "t", "en") for j in range(3000)
    )
    story = DigestItem(story_id=1, summary=summary, sources=outlets, entities=(), updated_at=NOW)
    digest = Digest(lang="both", period_start=None, period_end=NOW, items=(story,))
    messages = render_telegram(digest, Catalog.load())
    [body] = [m for m in messages if "<b>Headline</b>" in m]
    assert utf16_len(parse_telegram_html(body)) <= TELEGRAM_MAX_CHARS
    links = body.count("<a ")
    # the first outlets, in order, up to Telegram's 100 entities (two are the headlines)
    assert links == TELEGRAM_MAX_ENTITIES - 2
    assert all(f">Outlet {j}</a>" in body for j in range(links))
    assert f">Outlet {links}</a>" not in body
