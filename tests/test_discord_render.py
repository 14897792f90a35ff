"""Discord rendering: golden files pin the exact payloads; splitting keeps Discord's limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, Summary
from bot.platforms.discord.render import (
    MAX_EMBEDS,
    MAX_EMBEDS_TOTAL,
    clip,
    embed_size,
    escape_markdown,
    render_discord,
    render_discord_messages,
)
from bot.text.display import utf16_len
from tests.fakes.discord_api import limit_problems
from tests.test_render import NOW, check_golden, sample_digest, source

CATALOG = Catalog.load()


@pytest.mark.parametrize("lang", ["ar", "en", "both"])
def test_discord_golden(lang: ChatLang) -> None:
    messages = render_discord_messages(sample_digest(lang), CATALOG)
    assert len(messages) == 1
    assert limit_problems(messages[0]) == []
    check_golden(
        f"digest-{lang}.discord.json", json.dumps(messages, ensure_ascii=False, indent=2) + "\n"
    )


def test_outbox_parts_are_the_same_messages_as_json() -> None:
    digest = sample_digest("both")
    parts = render_discord(digest, CATALOG)
    assert [json.loads(p) for p in parts] == render_discord_messages(digest, CATALOG)


def test_story_embed_shape() -> None:
    [message] = render_discord_messages(sample_digest("en"), CATALOG)
    assert message["content"].startswith("**📰 Russia–North Korea relations · 2 stories")
    first, second = message["embeds"]
    assert first["title"] == "North Korean troops in Kursk"
    assert first["url"] == "https://a.example/1?x=1&y=2"  # the first source
    assert first["description"].startswith("Seoul says about 10,900 soldiers")
    assert first["fields"] == [
        {
            "name": "Sources",
            "value": (
                '[المشرق](https://a.example/1?x=1&y=2) · [Eastern "Wire"](https://b.example/2)'
                " (state media)"  # the outlet's label, beside its link
            ),
            "inline": False,
        }
    ]
    assert "footer" not in first  # an LLM summary
    # an untranslated story says so, shows the original headline and names its entities
    assert second["title"] == "قطارات عبر تومانغانغ"
    assert "a translation needs an LLM" in second["description"]
    assert "Tumangang / تومانغانغ" in second["description"]
    assert "no LLM summary was available" in second["footer"]["text"]


def test_feed_text_cannot_format_or_link() -> None:
    item = sample_digest("en").items[0]
    summary = Summary(
        None, None, "**Bold** claim", "See [this](https://evil.example) <@123> _now_", "llm"
    )
    outlet = source("Out]let", "https://x.example/a_(b)", "t", "en")
    digest = Digest(
        lang="en",
        period_start=None,
        period_end=NOW,
        items=(DigestItem(1, summary, (outlet,), item.entities, NOW),),
    )
    [message] = render_discord_messages(digest, CATALOG)
    [embed] = message["embeds"]
    # escaped, and defanged (issue 13 item 7): the scheme and the handle are no longer live
    assert embed["description"] == (
        "See \\[this\\](https\\[:\\]//evil.example) \\<\\[@\\]123\\> \\_now\\_"
    )
    assert embed["fields"][0]["value"] == "[Out\\]let](https://x.example/a_%28b%29)"
    assert escape_markdown("- item\n# title") == "\\- item\n\\# title"


def _big_digest(stories: int, sources: int, summary_words: int, lang: ChatLang) -> Digest:
    items = tuple(
        DigestItem(
            story_id=i,
            summary=Summary(
                f"عنوان {i}",
                "ملخص طويل " * summary_words,
                f"Headline {i}",
                "A long summary " * summary_words,
                "llm",
            ),
            sources=tuple(
                source(f"Outlet {j}", f"https://o{j}.example/{i}/{'p' * 40}", "t", "en")
                for j in range(sources)
            ),
            entities=(),
            updated_at=NOW - timedelta(minutes=i),
        )
        for i in range(stories)
    )
    return Digest(lang=lang, period_start=None, period_end=NOW, items=items)


@pytest.mark.parametrize(
    ("stories", "sources", "words"),
    [(40, 4, 40), (25, 1, 1), (3, 300, 400), (12, 30, 200)],
)
def test_long_digests_split_between_stories_within_limits(
    stories: int, sources: int, words: int
) -> None:
    digest = _big_digest(stories, sources, words, "both")
    messages = render_discord_messages(digest, CATALOG)
    for message in messages:
        assert limit_problems(message) == []
        assert len(message["embeds"]) <= MAX_EMBEDS
        assert sum(embed_size(e) for e in message["embeds"]) <= MAX_EMBEDS_TOTAL
    titles = [e["title"] for m in messages for e in m["embeds"]]
    assert titles == [f"عنوان {i}" for i in range(stories)]  # every story, whole, in order
    assert "content" in messages[0] and all("content" not in m for m in messages[1:])
    if stories > MAX_EMBEDS:
        assert len(messages) > 1


def test_a_story_with_very_many_sources_keeps_as_many_links_as_fit() -> None:
    [message] = render_discord_messages(_big_digest(1, 300, 10, "en"), CATALOG)
    [embed] = message["embeds"]
    links = sum(field["value"].count("](") for field in embed["fields"])
    assert 20 < links < 300
    assert embed_size(embed) <= MAX_EMBEDS_TOTAL


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=3000
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headline=_text,
    body=_text,
    outlet=st.text(min_size=1, max_size=300),
    count=st.integers(min_value=1, max_value=15),
    lang=st.sampled_from(["ar", "en", "both"]),
)
def test_any_text_renders_within_limits(
    headline: str, body: str, outlet: str, count: int, lang: ChatLang
) -> None:
    summary = Summary(headline or None, body, headline or None, body, "offline")
    items = tuple(
        DigestItem(i, summary, (source(outlet, f"https://x.example/{i}", headline, "en"),), (), NOW)
        for i in range(count)
    )
    digest = Digest(lang=lang, period_start=NOW, period_end=NOW, items=items)
    messages = render_discord_messages(digest, CATALOG)
    assert sum(len(m["embeds"]) for m in messages) == count
    for message in messages:
        assert limit_problems(message) == []


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("a " + "b" * 30, 12, "a bbbbbbbbb…"),  # no boundary worth keeping: cut inside the word
        ("😀" * 10, 7, "😀😀😀…"),  # astral characters count two units
    ],
)
def test_clip(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected
    assert utf16_len(clip(text, limit)) <= limit
