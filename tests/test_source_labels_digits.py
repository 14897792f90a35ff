"""Outlet labels beside their links and a chat's digits, from compose to every platform's
markup: a state outlet by its host, a feed's own label from the config, an outlet without one;
Arabic-Indic digits in counts and dates but never in links, titles or summaries. Pure."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import parse_settings
from bot.digest.alerts import alert_messages
from bot.digest.compose import compose
from bot.digest.labels import builtin_labels, feed_labeller
from bot.digest.render import render_plain
from bot.errors import ConfigError, DigestbotError
from bot.i18n import Catalog
from bot.models import Article, Chat, ChatLang, Digest, DigestItem, FeedSource, Story, Summary
from bot.ops.transfer import export_document, parse_document, plan_import
from bot.platforms.base import Platforms
from bot.platforms.console import ConsolePlatform
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.discord.render import (
    MAX_EMBEDS_TOTAL,
    MAX_FIELD_VALUE,
    embed_size,
    render_discord_messages,
)
from bot.platforms.sources import sources_lines
from bot.platforms.telegram.platform import TelegramPlatform
from bot.platforms.telegram.render import TELEGRAM_MAX_CHARS, TELEGRAM_MAX_ENTITIES, render_telegram
from bot.platforms.telegram.settings import apply_setting
from bot.text.display import utf16_len
from tests.fakes.telegram_api import parse_telegram_html

CATALOG = Catalog.load()
NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
TASS_FEED = "https://tass.example/rss"
OVERRIDDEN_FEED = "https://mashriq.example/rss"
PLAIN_FEED = "https://ledger.example/rss"
FEEDS = [
    FeedSource(TASS_FEED, "TASS", "en"),  # no label of its own: the link's host decides
    FeedSource(OVERRIDDEN_FEED, "المشرق", "ar", label="public"),
    FeedSource(PLAIN_FEED, "Pacific Ledger", "en"),
    FeedSource("https://www.rt.com/rss/", "RT", "en", label=""),  # the operator hides it
]
SUMMARY = Summary(
    "قوات كورية شمالية في كورسك 2024",
    "نحو 10900 جندي.",
    "Troops in Kursk 2024",
    "About 10,900 soldiers.",
    "llm",
)


def article(n: int, feed_url: str, url: str, source: str) -> Article:
    return Article(
        id=f"a{n}",
        feed_url=feed_url,
        source=source,
        url=url,
        title=f"Report {n} of 2024",
        summary="",
        lang="en",
        published=NOW - timedelta(hours=n),
        seen_at=NOW,
    )


STORY = Story(
    id=1,
    created_at=NOW,
    updated_at=NOW,
    articles=(
        article(1, TASS_FEED, "https://tass.com/politics/1850001", "TASS"),
        article(2, OVERRIDDEN_FEED, "https://mashriq.example/2024/11/5", "المشرق"),
        article(3, PLAIN_FEED, "https://ledger.example/2024/11/05/kursk", "Pacific Ledger"),
        article(4, "https://www.rt.com/rss/", "https://www.rt.com/news/607000-kursk/", "RT"),
    ),
)


def digest(lang: ChatLang = "en", digits: Any = "latn", **kwargs: Any) -> Digest:
    return compose(
        [(STORY, SUMMARY)],
        lang=lang,
        since=NOW - timedelta(hours=12),
        until=NOW,
        max_stories=20,
        entity_names=lambda ids: (),
        labels=feed_labeller(FEEDS),
        digits=digits,
        **kwargs,
    )


def test_compose_labels_each_source_by_host_or_by_its_feeds_override() -> None:
    [item] = digest().items
    labels = {source.name: source.label for source in item.sources}
    assert labels == {"TASS": "state", "المشرق": "public", "Pacific Ledger": None, "RT": None}
    # without a lookup, nothing is labelled
    [bare] = compose(
        [(STORY, SUMMARY)],
        lang="en",
        since=None,
        until=NOW,
        max_stories=20,
        entity_names=lambda ids: (),
    ).items
    assert {source.label for source in bare.sources} == {None}


def _label_after(text: str, name: str) -> str:
    """What follows the link named ``name`` up to the next separator."""
    match = re.search(rf">{re.escape(name)}</a>([^·\n]*)", text)
    assert match, name
    return match.group(1).strip()


def test_labels_stand_beside_their_links_on_telegram_in_both_languages() -> None:
    [en] = render_telegram(digest("en"), CATALOG)
    parse_telegram_html(en)
    assert _label_after(en, "TASS") == "(state media)"
    assert _label_after(en, "المشرق") == "(public media)"
    assert _label_after(en, "Pacific Ledger") == ""
    assert _label_after(en, "RT") == ""  # hidden by the feed's label = ""
    [ar] = render_telegram(digest("ar"), CATALOG)
    assert _label_after(ar, "TASS") == "(إعلام رسمي)"
    assert _label_after(ar, "المشرق") == "(إعلام عام)"


def test_labels_stand_beside_their_links_on_discord_and_in_plain_text() -> None:
    [message] = render_discord_messages(digest("en"), CATALOG)
    [field] = message["embeds"][0]["fields"]
    assert field["value"] == (
        "[RT](https://www.rt.com/news/607000-kursk/)"  # oldest first
        " · [Pacific Ledger](https://ledger.example/2024/11/05/kursk)"
        " · [المشرق](https://mashriq.example/2024/11/5) (public media)"
        " · [TASS](https://tass.com/politics/1850001) (state media)"
    )
    plain = render_plain(digest("ar"), CATALOG)
    assert "RT <https://www.rt.com/news/607000-kursk/> · Pacific Ledger <" in plain
    assert plain.endswith("TASS <https://tass.com/politics/1850001> (إعلام رسمي)")


def test_a_story_with_very_many_labelled_sources_drops_whole_sources_to_fit() -> None:
    outlets = tuple(
        article(n, f"https://o{n}.example/rss", f"https://o{n}.example/story", f"Outlet {n}")
        for n in range(3000)
    )
    labels = feed_labeller([FeedSource(a.feed_url, a.source, label="state") for a in outlets])
    big = Story(id=1, created_at=NOW, updated_at=NOW, articles=outlets)
    made = compose(
        [(big, SUMMARY)],
        lang="en",
        since=None,
        until=NOW,
        max_stories=1,
        entity_names=lambda ids: (),
        labels=labels,
    )
    [body] = [m for m in render_telegram(made, CATALOG) if "<b>Troops in Kursk 2024</b>" in m]
    assert utf16_len(parse_telegram_html(body)) <= TELEGRAM_MAX_CHARS
    assert body.count("<a ") == TELEGRAM_MAX_ENTITIES - 1  # one is the headline
    # every link kept has its label, and the line ends with a label, not a separator
    line = body.splitlines()[-1]
    assert line.count("<a ") == line.count("(state media)")
    assert line.endswith("</a> (state media)")

    for message in render_discord_messages(made, CATALOG):
        for embed in message["embeds"]:
            assert embed_size(embed) <= MAX_EMBEDS_TOTAL
            for field in embed["fields"]:
                assert utf16_len(field["value"]) <= MAX_FIELD_VALUE
                assert field["value"].count("](") == field["value"].count("(state media)")


ARABIC_INDIC = re.compile("[٠-٩]")


def test_arabic_indic_digits_in_the_header_only() -> None:
    made = digest("both", digits="arab")
    [html] = render_telegram(made, CATALOG)
    header = html.split("\n\n")[0]
    assert "منذ ٢٠٢٤-١١-٠٤ ٢١:٠٠ UTC" in header and "since ٢٠٢٤-١١-٠٤ ٢١:٠٠ UTC" in header
    assert not re.search("[0-9]", header)
    story = html.split("\n\n", 1)[1]
    # links, titles and summaries are never changed
    assert "https://tass.com/politics/1850001" in story
    assert "Troops in Kursk 2024" in story and "About 10,900 soldiers." in story
    assert "نحو 10900 جندي." in story and not ARABIC_INDIC.search(story)

    [message] = render_discord_messages(made, CATALOG)
    assert "٢٠٢٤-١١-٠٤ ٢١:٠٠" in message["content"] and not re.search("[0-9]", message["content"])
    assert not ARABIC_INDIC.search(json.dumps(message["embeds"], ensure_ascii=False))
    plain = render_plain(made, CATALOG).splitlines()
    assert "٢٠٢٤-١١-٠٤ ٢١:٠٠" in plain[0] and "https://tass.com/politics/1850001" in plain[-1]

    western = render_telegram(digest("both"), CATALOG)[0].split("\n\n")[0]
    assert "2024-11-04 21:00 UTC" in western and not ARABIC_INDIC.search(western)


def test_the_count_of_a_header_takes_the_chats_digits() -> None:
    many = tuple(DigestItem(i, SUMMARY, digest().items[0].sources, (), NOW) for i in range(1, 12))
    made = Digest(lang="ar", period_start=None, period_end=NOW, items=many, digits="arab")
    [first, *_] = render_telegram(made, CATALOG)
    assert "· ١١ قصة ·" in first.split("\n\n")[0]


@pytest.mark.parametrize("platform", ["telegram", "discord", "console"])
def test_an_alert_counts_in_each_chats_digits(platform: str) -> None:
    registry = Platforms(TelegramPlatform(), DiscordPlatform(), fallback=ConsolePlatform())
    chats = [
        Chat(platform, 1, lang="ar", alerts=True, subscribed=True, digits="arab"),
        Chat(platform, 2, lang="ar", alerts=True, subscribed=True),
    ]
    [item] = digest("ar").items
    messages = alert_messages(item, chats, sources=12, catalog=CATALOG, writer=registry)
    arab, latn = (text for *_, text in messages)
    assert "١٢" in arab and "12" not in arab.split("\n")[0]
    assert "12" in latn and not ARABIC_INDIC.search(latn)
    assert "https://tass.com/politics/1850001" in arab  # the link is never changed


def test_sources_lists_each_feed_with_its_label() -> None:
    lines = sources_lines(FEEDS, builtin_labels(), "en", CATALOG)
    assert lines == [
        "The bot reads 4 feeds:",
        "• TASS (en)",  # tass.example is not TASS's host: no built-in label
        "• المشرق (ar) (public media)",
        "• Pacific Ledger (en)",
        "• RT (en)",
    ]
    state = FeedSource("https://tass.com/rss/v2.xml", "TASS", "en")
    assert sources_lines([state], builtin_labels(), "ar", CATALOG)[1] == "• TASS (en) (إعلام رسمي)"


def test_settings_digits_is_checked_and_saved() -> None:
    chat = Chat("telegram", 1)
    assert chat.digits == "latn"
    change = apply_setting(chat, ["digits", "ARAB"])
    assert change.chat is not None and change.chat.digits == "arab"
    back = apply_setting(change.chat, ["digits", "latn"])
    assert back.chat is not None and back.chat.digits == "latn"
    assert apply_setting(chat, ["digits", "hindi"]).error == "bot.settings_bad_digits"
    assert apply_setting(chat, ["digits"]).error == "bot.settings_usage"


def test_digits_travel_with_an_export_and_an_old_export_still_imports() -> None:
    chat = Chat("telegram", 7, subscribed=True, digits="arab")
    document = export_document([chat], [], {}, NOW)
    assert document["chats"][0]["digits"] == "arab"
    parsed = parse_document(json.dumps(document, default=str).encode(), source="x.json")
    [imported] = plan_import(parsed, {}, {}, NOW).chats
    assert imported.digits == "arab"

    old = {**document, "chats": [{k: v for k, v in document["chats"][0].items() if k != "digits"}]}
    parsed_old = parse_document(json.dumps(old, default=str).encode(), source="old.json")
    [fresh] = plan_import(parsed_old, {}, {}, NOW).chats
    assert fresh.digits == "latn"
    # over a chat that chose Arabic-Indic digits here, an old export leaves the choice alone
    plan = plan_import(parsed_old, {("telegram", 7): chat}, {}, NOW)
    assert plan.chats == () or plan.chats[0].digits == "arab"

    bad = {**document, "chats": [{**document["chats"][0], "digits": "roman"}]}
    with pytest.raises(DigestbotError, match=r"chats\[0\]\.digits"):
        parse_document(json.dumps(bad, default=str).encode(), source="bad.json")


def test_a_feeds_label_is_checked_in_the_config() -> None:
    feed = {"url": "https://tass.com/rss", "name": "TASS"}
    settings = parse_settings(
        {"feeds": [{**feed, "label": "state"}, {**feed, "url": "https://x.example/", "label": ""}]}
    )
    assert [f.label for f in settings.feed_sources()] == ["state", ""]
    assert parse_settings({"feeds": [feed]}).feed_sources()[0].label is None
    with pytest.raises(ConfigError, match=r"\[\[feeds\]\]\[1\] label: not a label: 'goverment'"):
        parse_settings({"feeds": [{**feed, "label": "goverment"}]})
    with pytest.raises(ConfigError, match=r"\[\[feeds\]\]\[1\] label: expected a string"):
        parse_settings({"feeds": [{**feed, "label": 1}]})
