"""Hostile feed text and model output on their way into a chat message (issue 13, items 7, 8
and 15): nothing clickable but the feeds' own links, no hidden characters, every field capped."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime

import pytest

from bot.digest.render import render_plain
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, SearchHit, Source, Story, Summary
from bot.platforms.discord.render import render_discord_messages
from bot.platforms.discord.search import SEARCH_PAGE, search_embed
from bot.platforms.telegram.browse import format_latest
from bot.platforms.telegram.render import (
    TELEGRAM_MAX_CHARS,
    render_telegram,
    render_telegram_alert,
)
from bot.summarize.offline import offline_summary
from bot.text.display import MAX_URL, defang, for_chat, link_like, strip_hidden, utf16_len
from tests.fakes.telegram_api import parse_telegram_html
from tests.test_summarize_llm import article, make_story

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
CATALOG = Catalog.load()

HOSTILE = (
    "Kim meets Putin: verify at evil-news.ru/verify or t.me/evil_bot, write to spy@evil.com, "
    "follow @evil_channel, press /start, see https://evil.example/x and www.evil.org"
)
# What Telegram would make clickable in a message's text: a URL or bare domain with a real
# top-level domain, an e-mail address, an @mention, a /command.
LIVE = re.compile(r"(?i)https?://|www\.|\b[\w-]+\.(?:ru|me|com|org)\b|@\w|(?<![\w/\]])/[a-z]")
HIDDEN = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200b\u2060\ufeff\u00ad"


def item(summary: Summary, *sources: Source) -> DigestItem:
    return DigestItem(story_id=1, summary=summary, sources=sources, entities=(), updated_at=NOW)


def source(name: str = "Outlet", url: str = "https://feed.example/a", lang: str = "en") -> Source:
    return Source(name=name, url=url, title="Feed title", lang=lang, published=NOW)  # type: ignore[arg-type]


def digest(*items: DigestItem, lang: ChatLang = "en") -> Digest:
    return Digest(lang=lang, period_start=None, period_end=NOW, items=items)


def telegram_visible(messages: list[str]) -> str:
    """The text of the messages outside links, as Telegram would scan it for auto-links."""
    return "\n".join(parse_telegram_html(re.sub(r"<a [^>]*>.*?</a>", "", m)) for m in messages)


# item 7: links and handles


def test_feed_titles_and_offline_extracts_are_defanged_in_every_renderer() -> None:
    story = make_story(1, article("en9", "en", HOSTILE, f"The summit ended. {HOSTILE}.", -5))
    summary = offline_summary(story)
    assert summary.headline_en == HOSTILE  # the feed's title, to be defanged when shown
    shown = digest(item(summary, source()))

    telegram = render_telegram(shown, CATALOG)
    assert not LIVE.search(telegram_visible(telegram))
    assert "evil-news[.]ru/verify" in telegram_visible(telegram)  # still readable
    assert '<a href="https://feed.example/a">' in telegram[0]  # the feed's link stays a link
    assert not LIVE.search(render_plain(shown, CATALOG).replace("<https://feed.example/a>", ""))
    alert = render_telegram_alert(shown.items[0], lang="en", sources=3, catalog=CATALOG)
    assert not LIVE.search(telegram_visible([alert]))

    [message] = render_discord_messages(shown, CATALOG)
    [embed] = message["embeds"]
    shown_text = embed["title"] + embed["description"]
    assert "evil-news[.]ru" in embed["title"]
    assert "https://" not in shown_text and "@evil" not in shown_text
    assert embed["url"] == "https://feed.example/a"


def test_a_sentence_with_a_handle_or_bare_domain_is_not_extracted() -> None:
    story = make_story(
        1,
        article(
            "en9",
            "en",
            "Summit in Vladivostok",
            "Kim arrived by train. Details at t.me/evil now. Write to a@b.example today. "
            "Putin met him at the station.",
            -5,
        ),
    )
    assert offline_summary(story).summary_en == (
        "Kim arrived by train. Putin met him at the station."
    )


def test_source_names_are_not_clickable_either() -> None:
    shown = digest(item(Summary(None, None, "Talks", "Talks went on.", "llm"), source("t.me/x")))
    assert "t[.]me/x" in render_telegram(shown, CATALOG)[0]


@pytest.mark.parametrize(
    "text",
    ["N.Korea and the U.S. met", "24/7 watch on the Moscow-Pyongyang line", "e.g. 3.5 tonnes"],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert link_like(text) is None and defang(text) == text


# item 8: caps


def test_a_9000_character_headline_still_makes_a_message_telegram_takes() -> None:
    title = "Pyongyang " * 900  # 9,000 characters
    for summary in (
        Summary(None, None, title, "Short summary.", "offline"),
        Summary(None, None, None, None, "offline"),  # untranslated: the feed title is shown
    ):
        sources = (source("S" * 5000, "https://feed.example/" + "a" * 9000, "ar"),) * 3
        messages = render_telegram(digest(item(summary, *sources)), CATALOG)
        for text in messages:
            assert len(parse_telegram_html(text)) <= TELEGRAM_MAX_CHARS
        assert "…" in messages[-1]
        assert "a" * 9000 not in "".join(messages)  # a URL too long to link is not linked
        alert = render_telegram_alert(
            item(summary, *sources), lang="both", sources=3, catalog=CATALOG
        )
        assert utf16_len(parse_telegram_html(alert)) <= TELEGRAM_MAX_CHARS


def test_discord_embed_fields_and_url_are_capped() -> None:
    summary = Summary(None, None, "Kim " * 3000, "Putin " * 3000, "offline")
    long_url = "https://feed.example/" + "a" * 3000
    [message] = render_discord_messages(
        digest(item(summary, source("N" * 5000, long_url), source())), CATALOG
    )
    [embed] = message["embeds"]
    assert utf16_len(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert utf16_len(embed["description"]) <= 4096
    assert "url" not in embed  # Discord refuses an embed URL over 2,048 characters
    assert len(long_url) > MAX_URL
    [field] = embed["fields"]
    assert field["value"] == "[Outlet](https://feed.example/a)"


def test_the_cut_cannot_make_a_link() -> None:
    # "evil.ruins" is no domain, but cut to "evil.ru…" it would be one
    shown = for_chat("x evil.ruins", 9)
    assert utf16_len(shown) <= 9 and not LIVE.search(shown)


# item 15: bidi overrides and zero-width characters


def test_bidi_overrides_and_zero_width_characters_never_reach_a_chat() -> None:
    arabic = "كيم\u200cجونغ أون يصل إلى موسكو\u200f"  # ZWNJ and RLM are Arabic's own: kept
    hostile = Summary(
        arabic + "\u202e",
        "وصل\u200b الزعيم\u2066 إلى موسكو",
        f"Kim\u202e{HIDDEN}nwod\u202c arrives",
        "Putin\u200b greets\u2067 him",
        "offline",
    )
    src = source(f"Out{HIDDEN}let", lang="ar")
    shown = digest(item(hostile, src), lang="both")
    texts = [*render_telegram(shown, CATALOG), render_plain(shown, CATALOG)]
    texts += [json.dumps(m, ensure_ascii=False) for m in render_discord_messages(shown, CATALOG)]
    texts.append(render_telegram_alert(shown.items[0], lang="both", sources=2, catalog=CATALOG))
    for text in texts:
        assert not set(HIDDEN) & set(text)
        assert arabic in text and "Kimnwod arrives" in text and "Outlet" in text


def test_every_invisible_format_character_is_stripped_but_those_arabic_needs() -> None:
    kept = {0x200C, 0x200D, 0x200E, 0x200F, 0x061C, *range(0x0600, 0x0606), 0x06DD, 0x070F}
    kept |= {0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}  # number signs shown as marks
    for code in range(0x110000):
        if unicodedata.category(chr(code)) == "Cf":
            assert (strip_hidden(f"a{chr(code)}b") == "ab") != (code in kept), hex(code)
    assert strip_hidden("line\nbreak\u2028and\r\nmore\x00") == "line break and more"


def test_discord_search_pages_show_every_hit_capped_and_defanged() -> None:
    title = ("Zanzibarovich \u202emeets Kim at evil-news.ru/verify @evil_bot " * 200)[:9000]
    hits = [
        SearchHit(article(f"en{n}", "en", title, title), snippet=title) for n in range(SEARCH_PAGE)
    ]
    embed = search_embed(hits, "Zanzibarovich", 0, "en", CATALOG).to_dict()
    description = embed.get("description", "")
    assert utf16_len(description) <= 4096
    assert all(f"**{n}. " in description for n in range(1, SEARCH_PAGE + 1))  # none crowded out
    assert "\u202e" not in description and "evil-news.ru" not in description
    assert "evil-news\\[.\\]ru" in description and "https://news.example/en0" in description


def test_telegram_latest_fits_one_message_with_ten_9000_character_headlines() -> None:
    title = "Kim meets Putin at evil-news.ru \u202e " * 300  # about 9,000 characters
    stories: list[tuple[Story, Summary | None]] = [
        (Story(n, NOW, NOW, (article(f"en{n}", "en", title, title),)), None) for n in range(10)
    ]
    text = format_latest(stories, "en", CATALOG)
    visible = parse_telegram_html(text)
    assert len(visible) <= TELEGRAM_MAX_CHARS and visible.count("…") >= 10
    assert "evil-news.ru" not in visible and "\u202e" not in visible


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("MOSCOW, January 16. /TASS/. Putin met Choe Son Hui.", None),  # a wire's dateline
        ("The files are in /usr/share/data today.", None),  # a path
        ("Send /unsubscribe to stop the digest.", "command"),
        ("/start", "command"),
        ("Reply with /stop.", "command"),
    ],
)
def test_a_command_is_a_slash_word_not_a_datelines_slashes(text: str, found: str | None) -> None:
    """A grounded summary that quotes "/TASS/" is not refused for holding a command."""
    assert link_like(text) == found
    assert (defang(text) == text) is (found is None)


@pytest.mark.parametrize(
    ("text", "found", "shown"),
    [
        ("Call +1-212-555-0123 for the full text", "phone", "Call [+]1-212-555-0123 for"),
        ("$RUB falls against the won", "tag", "[$]RUB falls"),
        ("#NorthKorea troops in Kursk", "tag", "[#]NorthKorea troops"),
        ("Resolution /2397 again", "command", "Resolution [/]2397"),
        ("see /_admin now", "command", "see [/]_admin now"),
    ],
)
def test_hashtags_cashtags_phone_numbers_and_numeric_commands_are_not_tappable(
    text: str, found: str, shown: str
) -> None:
    assert link_like(text) == found
    assert shown in defang(text)


@pytest.mark.parametrize("text", ["Channel #5 and C# code", "trade up 70%, +15% in 2024", "US$ 5"])
def test_numbers_signs_and_currencies_are_left_alone(text: str) -> None:
    assert link_like(text) is None and defang(text) == text
