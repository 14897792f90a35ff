"""Search in Telegram: paging buttons that edit the message, expired pages, inline mode with
next_offset, and the per-user rate limit; against the fake Bot API and a real archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from telegram.ext import Application

from bot.app.container import Services
from bot.cli.once import run_cycle
from bot.models import Article, Decision
from bot.platforms.telegram.channel import TelegramChannel
from bot.platforms.telegram.search import PAGE_SIZE, QueryStore, RateLimiter, page_buttons
from tests.fakes.telegram_api import FakeTelegramAPI, parse_telegram_html
from tests.test_e2e_telegram import USER_CHAT, application, svc

__all__ = ["application", "svc"]  # the shared fixtures


def test_rate_limiter_allows_a_burst_then_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_second=0.5, clock=lambda: now[0])
    assert limiter.allow(1) and limiter.allow(1)
    assert not limiter.allow(1)
    assert limiter.allow(2)  # per user
    now[0] = 2.0
    assert limiter.allow(1) and not limiter.allow(1)


def test_query_store_forgets_the_oldest() -> None:
    store = QueryStore(size=2)
    first, second = store.keep("a"), store.keep("b")
    assert store.get(first) == "a"  # touched: now the newest
    third = store.keep("c")
    assert store.get(second) is None and store.get(first) == "a" and store.get(third) == "c"


def test_callback_data_fits_telegram_limit() -> None:
    markup = page_buttons(format(10**12, "x"), 10**6, True)
    assert markup is not None
    for row in markup.inline_keyboard:
        for button in row:
            assert len(str(button.callback_data).encode()) <= 64


async def test_search_pages_edit_the_message(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    await run_cycle(svc, TelegramChannel(application.bot))
    for query, code in (("Korea", "en"), ("كوريا", "ar")):
        total = len(svc.archive.search(query, limit=100, expand=svc.matcher.alias_expander()))
        assert total > PAGE_SIZE, query
        chat_id = USER_CHAT + (1 if code == "ar" else 2)
        telegram_api.user_sends(f"/search {query}", chat_id=chat_id, language_code=code)
        [first] = await telegram_api.wait_for_messages(1, chat_id=chat_id)
        parse_telegram_html(first.text)
        assert first.text.count("<b>") == PAGE_SIZE
        assert first.reply_markup is not None
        [[forward]] = first.reply_markup["inline_keyboard"]
        assert forward["text"] == "▶"

        telegram_api.user_presses(
            forward["callback_data"], message_id=first.message_id, chat_id=chat_id
        )
        [_, second] = await telegram_api.wait_for_messages(2, chat_id=chat_id)
        assert second.method == "editMessageText" and second.message_id == first.message_id
        assert f"{PAGE_SIZE + 1}. <b>" in second.text
        assert second.text.count("<b>") == min(PAGE_SIZE, total - PAGE_SIZE)
        assert second.reply_markup is not None
        assert second.reply_markup["inline_keyboard"][0][0]["text"] == "◀"
        # still one message in the chat: the page was edited, not sent anew
        assert len(telegram_api.messages_to(chat_id, method="sendMessage")) == 1

    # a page whose query the bot no longer knows gets a friendly answer
    telegram_api.user_presses("s:zzzz:1", message_id=first.message_id, chat_id=chat_id)
    await telegram_api.wait_until(lambda: len(telegram_api.callback_answers) == 3)
    assert telegram_api.callback_answers[-1]["text"]


async def test_inline_query_pages_with_next_offset(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    await run_cycle(svc, TelegramChannel(application.bot))
    telegram_api.user_inline_query("Korea")
    await telegram_api.wait_until(lambda: len(telegram_api.inline_answers) == 1)
    [answer] = telegram_api.inline_answers
    results = answer["results"]
    if isinstance(results, str):
        results = json.loads(results)
    assert 1 <= len(results) <= 10
    for result in results:
        assert result["type"] == "article" and result["title"]
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML" and '<a href="https://' in content["message_text"]
    total = len(svc.archive.search("Korea", limit=100, expand=svc.matcher.alias_expander()))
    assert answer["next_offset"] == ("10" if total > 10 else "")
    assert answer["cache_time"] == 60


async def test_search_rate_limit_per_user(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    for _ in range(6):
        telegram_api.user_sends("/search Korea", chat_id=USER_CHAT)
    replies = await telegram_api.wait_for_messages(6, chat_id=USER_CHAT)
    assert "wait" in replies[-1].text
    assert all("wait" not in r.text for r in replies[:5])


async def test_a_bad_filter_gets_a_friendly_reply_in_the_chats_language(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    await run_cycle(svc, TelegramChannel(application.bot))
    telegram_api.user_sends("/search Kursk since:2024-13-45", chat_id=USER_CHAT)
    [english] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert "“since:2024-13-45”" in english.text and "since:YYYY-MM-DD" in english.text
    assert english.reply_markup is None  # no result pages: nothing was searched

    arabic_chat = USER_CHAT + 7
    telegram_api.user_sends(
        '/search كورسك source:"الجزيرة', chat_id=arabic_chat, language_code="ar"
    )
    [arabic] = await telegram_api.wait_for_messages(1, chat_id=arabic_chat)
    assert '«source:"الجزيرة»' in arabic.text and "المصدر" in arabic.text

    # the same query with its filter written right is searched as usual
    telegram_api.user_sends("/search Korea since:2024-01-01", chat_id=USER_CHAT)
    [_, results] = await telegram_api.wait_for_messages(2, chat_id=USER_CHAT)
    assert results.text.count("<b>") == PAGE_SIZE

    # inline mode: the explanation is the one result
    telegram_api.user_inline_query("Kursk lang:fr")
    await telegram_api.wait_until(lambda: len(telegram_api.inline_answers) == 1)
    results = telegram_api.inline_answers[0]["results"]
    if isinstance(results, str):
        results = json.loads(results)
    [only] = results
    assert "“lang:fr”" in only["title"] and "lang:ar or lang:en" in only["description"]
    assert "lang:ar or lang:en" in only["input_message_content"]["message_text"]


async def test_a_9000_character_title_is_found_and_shown_capped(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    """Issue 13: /search, its pages and inline answers stay within Telegram's limits (which the
    fake enforces) and show nothing clickable but the article's link, whatever the archive
    holds."""
    when = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
    words = "Zanzibarovich meets Kim, verify at evil-news.ru/verify @evil_bot \u202egnol "
    for n in range(PAGE_SIZE + 1):
        title = (words * 120)[: 9000 - n]
        svc.archive.add_article(
            Article(
                id=f"long{n}",
                feed_url="https://feeds.example/rss.xml",
                source="Outlet\u202e t.me/evil " * 40,
                url=f"https://news.example/long/{n}",
                title=title,
                summary=title,
                lang="en",
                published=when,
                seen_at=when,
            ),
            Decision(True, 1.0, (), ""),
            announce=False,
        )
    telegram_api.user_sends("/search Zanzibarovich", chat_id=USER_CHAT)
    [first] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    visible = parse_telegram_html(first.text)
    assert visible.count("Zanzibarovich") >= PAGE_SIZE and "…" in visible
    assert "\u202e" not in visible and "evil-news[.]ru" in visible
    assert "evil-news.ru" not in visible and "@evil" not in visible and "t.me" not in visible
    assert first.reply_markup is not None
    [[forward]] = first.reply_markup["inline_keyboard"]
    telegram_api.user_presses(
        forward["callback_data"], message_id=first.message_id, chat_id=USER_CHAT
    )
    [_, second] = await telegram_api.wait_for_messages(2, chat_id=USER_CHAT)
    assert second.method == "editMessageText" and "Zanzibarovich" in second.text

    telegram_api.user_inline_query("Zanzibarovich")
    await telegram_api.wait_until(lambda: len(telegram_api.inline_answers) == 1)
    results = telegram_api.inline_answers[0]["results"]
    results = json.loads(results) if isinstance(results, str) else results
    assert len(results) == PAGE_SIZE + 1
    for result in results:
        assert len(result["title"]) <= 256 and result["title"].endswith("…")
        assert "evil-news.ru" not in result["title"] + result["description"]
        text = parse_telegram_html(result["input_message_content"]["message_text"])
        assert "…" in text and "\u202e" not in text
