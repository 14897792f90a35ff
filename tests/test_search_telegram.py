"""Telegram's /search, its paging buttons and inline mode search off the event loop, and read a
word pasted with a proclitic (وبوتين) as its bare form; against the fake Bot API."""

from __future__ import annotations

import json
import re
import threading

import pytest
from telegram.ext import Application

from bot.app.container import Services
from bot.cli.once import run_cycle
from bot.models import SearchHit
from bot.platforms.telegram.channel import TelegramChannel
from bot.store import search as search_module
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_e2e_telegram import USER_CHAT, application, svc

__all__ = ["application", "svc"]  # the shared fixtures

LINK = re.compile(r'<a href="([^"]+)"')


def record_threads(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The threads the archive's searches run in, from now on."""
    threads: list[threading.Thread] = []
    real = search_module.search_on

    def recording(*args: object, **kwargs: object) -> list[SearchHit]:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "search_on", recording)
    return threads


async def test_search_command_runs_off_the_loop_and_strips_a_proclitic(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_cycle(svc, TelegramChannel(application.bot))
    threads = record_threads(monkeypatch)
    loop_thread = threading.current_thread()
    pages = []
    for query in ("بوتين", "وبوتين", "روسيا", "لروسيا"):
        telegram_api.user_sends(f"/search {query}", chat_id=USER_CHAT, language_code="ar")
        [*_, page] = await telegram_api.wait_for_messages(len(pages) + 1, chat_id=USER_CHAT)
        pages.append(page)
    putin, and_putin, russia, to_russia = (LINK.findall(page.text) for page in pages)
    assert putin and and_putin == putin
    assert russia and to_russia == russia
    assert threads and all(thread is not loop_thread for thread in threads)

    assert pages[2].reply_markup is not None  # more than one page: the button searches too
    [[forward]] = pages[2].reply_markup["inline_keyboard"]
    asked = len(threads)
    telegram_api.user_presses(
        forward["callback_data"], message_id=pages[2].message_id, chat_id=USER_CHAT
    )
    await telegram_api.wait_for_messages(5, chat_id=USER_CHAT)
    assert len(threads) > asked and all(thread is not loop_thread for thread in threads)


async def test_inline_query_runs_off_the_loop_and_strips_a_proclitic(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_cycle(svc, TelegramChannel(application.bot))
    threads = record_threads(monkeypatch)
    titles = []
    for number, query in enumerate(("بوتين", "لبوتين"), start=1):
        telegram_api.user_inline_query(query)
        await telegram_api.wait_until(lambda n=number: len(telegram_api.inline_answers) == n)  # type: ignore[misc]
        results = telegram_api.inline_answers[-1]["results"]
        if isinstance(results, str):
            results = json.loads(results)
        titles.append([result["title"] for result in results])
    assert titles[0] and titles[1] == titles[0]
    assert threads and all(thread is not threading.current_thread() for thread in threads)
