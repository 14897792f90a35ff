"""Discord's /search and its page buttons search off the event loop, and read a word pasted
with a proclitic (وبوتين) as its bare form; through the command callbacks."""

from __future__ import annotations

import re
import threading

import discord
import pytest

from bot.app.container import Services
from bot.models import Chat
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.runtime import DigestbotClient
from bot.platforms.discord.search import SearchView
from tests.test_discord_commands import CHANNEL, FakeInteraction, client, command, svc
from tests.test_search_telegram import record_threads

__all__ = ["client", "svc"]  # the shared fixtures

LINK = re.compile(r"\]\((https://[^)]+)\)")


async def test_search_runs_off_the_loop_and_strips_a_proclitic(
    client: DigestbotClient, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await svc.poller.poll()
    svc.state.save_chat(Chat(BOT_PLATFORM, CHANNEL, lang="ar", ui_lang="ar"))
    threads = record_threads(monkeypatch)
    links = {}
    views = {}
    for query in ("روسيا", "بروسيا", "بوتين", "فبوتين"):
        asked = FakeInteraction(manage=False)
        await command(client, "search").callback(asked, query)  # type: ignore[call-arg]
        [sent] = asked.response.sent
        links[query] = LINK.findall(sent["embed"].description)
        views[query] = sent["view"]
    assert links["روسيا"] and links["بروسيا"] == links["روسيا"]
    assert links["بوتين"] and links["فبوتين"] == links["بوتين"]
    assert threads and all(thread is not threading.current_thread() for thread in threads)

    view: SearchView = views["بروسيا"]
    _, following = view.children
    assert isinstance(following, discord.ui.Button) and not following.disabled
    before = len(threads)
    click = FakeInteraction(manage=False)
    await following.callback(click)  # type: ignore[arg-type]
    assert click.response.edited
    assert len(threads) > before
    assert all(thread is not threading.current_thread() for thread in threads)
    for each in views.values():
        each.stop()
