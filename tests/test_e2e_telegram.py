"""End to end: the real python-telegram-bot Application against the fake Bot API, the real
fetcher against the loopback feed server with the demo feeds, and the real stores.

A user types /start and /subscribe; one cycle posts a digest of valid Telegram HTML with source
links; /search with an Arabic query answers with results.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app.container import Services, services
from bot.cli.once import run_cycle
from bot.config import Settings
from bot.errors import StoreError
from bot.ops.demo import load_manifest
from bot.platforms.telegram.channel import TelegramChannel
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI, parse_telegram_html
from tests.telegram_support import polling

TOKEN = "123456:E2E-token"
USER_CHAT = 4242


@pytest.fixture
async def svc(
    tmp_path: Path, feed_server: FeedServer, telegram_api: FakeTelegramAPI
) -> AsyncIterator[Services]:
    manifest = load_manifest()
    for feed in manifest.feeds:
        feed_server.add(feed.path, feed.body, feed.content_type)
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path / "data")},
            "telegram": {"token": TOKEN, "base_url": telegram_api.bot_url},
            "ingest": {"allow_private_networks": True, "backlog_hours": 24 * 20},
            "digest": {"initial_hours": 24 * 20, "max_age_hours": 24 * 20},
            "feeds": [
                {"url": feed_server.url(f.path), "name": f.name, "lang": f.lang}
                for f in manifest.feeds
            ],
        }
    )
    async with services(settings, now=lambda: manifest.now) as built:
        yield built


@pytest.fixture
async def application(svc: Services) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with polling(svc, menus=True) as app:
        yield app


async def test_subscribe_digest_and_search(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/start", chat_id=USER_CHAT, language_code="ar")
    [welcome] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert "مرحبًا" in welcome.text and "/subscribe" in welcome.text

    telegram_api.user_sends("/subscribe both", chat_id=USER_CHAT, language_code="ar")
    messages = await telegram_api.wait_for_messages(2, chat_id=USER_CHAT)
    assert "تم الاشتراك" in messages[1].text
    chat = svc.state.chat("telegram", USER_CHAT)
    assert chat is not None and chat.subscribed and chat.lang == "both"

    report = await run_cycle(svc, TelegramChannel(application.bot))
    assert report.poll.feeds_ok == 4 and report.poll.relevant == 18
    assert report.delivery.sent == report.queued >= 1

    digest = telegram_api.messages_to(USER_CHAT)[2:]
    assert len(digest) == report.queued
    text = "\n".join(m.text for m in digest)
    for message in digest:
        assert message.parse_mode == "HTML"
        assert len(parse_telegram_html(message.text)) <= 4096  # valid Telegram HTML
        assert message.link_preview_options == {"is_disabled": True}
    assert "📰" in digest[0].text
    links = re.findall(r'<a href="(https://[^"]+)">([^<]+)</a>', text)
    assert {name for _, name in links} >= {"المشرق", "الرافدين", "Eastern Wire", "Pacific Ledger"}
    assert all(".example." in url for url, _ in links)  # links come from the feeds
    assert "10900" in text or "10,900" in text  # the Kursk story of the seed article
    assert "تومانغانغ" in text or "Tumangang" in text  # the rail story of the seed article

    # a second cycle sends nothing new (same clock, same feeds: 304s and no new stories)
    again = await run_cycle(svc, TelegramChannel(application.bot), force=True)
    assert again.poll.feeds_not_modified == 4 and again.queued == 0
    assert len(telegram_api.messages_to(USER_CHAT)) == 2 + len(digest)

    telegram_api.user_sends("/search كورسك", chat_id=USER_CHAT, language_code="ar")
    found = (await telegram_api.wait_for_messages(3 + len(digest), chat_id=USER_CHAT))[-1]
    assert found.parse_mode == "HTML"
    parse_telegram_html(found.text)
    assert "كورسك" in found.text and "Kursk" in found.text  # cross-lingual via the lexicon

    telegram_api.user_sends("/search", chat_id=USER_CHAT, language_code="ar")
    usage = (await telegram_api.wait_for_messages(4 + len(digest), chat_id=USER_CHAT))[-1]
    assert "/search" in usage.text

    commands = telegram_api.get_commands(language_code="ar")
    assert {c["command"] for c in commands} == {
        "start",
        "help",
        "subscribe",
        "unsubscribe",
        "search",
        "watch",
        "unwatch",
        "settings",
        "latest",
        "sources",
        "about",
    }


async def test_only_admins_subscribe_a_group(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/subscribe", chat_id=77, chat_type="group", user_id=5)
    [refused] = await telegram_api.wait_for_messages(1)
    assert "admins" in refused.text
    group_id = refused.chat_id
    assert not svc.state.chat("telegram", group_id).subscribed  # type: ignore[union-attr]

    telegram_api.chat_member_status[group_id] = {6: "administrator"}
    telegram_api.user_sends("/subscribe", chat_id=77, chat_type="group", user_id=6)
    await telegram_api.wait_for_messages(2)
    assert svc.state.chat("telegram", group_id).subscribed  # type: ignore[union-attr]


async def test_settings_in_private_and_group_chats(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/settings", chat_id=USER_CHAT, language_code="en")
    [shown] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert "08:00, 20:00" in shown.text and "UTC" in shown.text

    telegram_api.user_sends("/settings tz Asia/Riyadh", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings times 7:00,19:00", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings times 25:00", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings tz Mars/Base", chat_id=USER_CHAT, language_code="en")
    telegram_api.user_sends("/settings lang ar", chat_id=USER_CHAT, language_code="en")
    replies = await telegram_api.wait_for_messages(6, chat_id=USER_CHAT)
    assert "Asia/Riyadh" in replies[1].text
    assert "07:00, 19:00" in replies[2].text
    assert "HH:MM" in replies[3].text
    assert "IANA" in replies[4].text
    assert "لغة الموجز: العربية" in replies[5].text  # replies now in Arabic
    chat = svc.state.chat("telegram", USER_CHAT)
    assert chat is not None
    assert (chat.timezone, chat.digest_times, chat.lang, chat.ui_lang) == (
        "Asia/Riyadh",
        ("07:00", "19:00"),
        "ar",
        "ar",
    )

    telegram_api.user_sends("/about", chat_id=USER_CHAT)
    about = (await telegram_api.wait_for_messages(7, chat_id=USER_CHAT))[-1]
    assert "digestbot" in about.text and "كوريا" in about.text

    # in a group, a member may look but only an admin may change
    telegram_api.user_sends("/settings alerts on", chat_id=78, chat_type="group", user_id=5)
    [refused] = await telegram_api.wait_for_messages(1, chat_id=-78)
    assert "admins" in refused.text
    assert not svc.state.chat("telegram", -78).alerts  # type: ignore[union-attr]
    telegram_api.chat_member_status[-78] = {6: "administrator"}
    telegram_api.user_sends("/settings alerts on", chat_id=78, chat_type="group", user_id=6)
    await telegram_api.wait_for_messages(2, chat_id=-78)
    assert svc.state.chat("telegram", -78).alerts  # type: ignore[union-attr]


async def test_start_keyboard_latest_and_sources(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/start", chat_id=USER_CHAT, language_code="en")
    [welcome] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert welcome.reply_markup is not None
    buttons = {b["callback_data"] for b in welcome.reply_markup["inline_keyboard"][0]}
    assert buttons == {"lang:ar", "lang:en", "lang:both"}
    telegram_api.user_presses("lang:ar", message_id=welcome.message_id, chat_id=USER_CHAT)
    [_, help_ar] = await telegram_api.wait_for_messages(2, chat_id=USER_CHAT)
    assert "الأوامر" in help_ar.text
    assert telegram_api.callback_answers[-1]["text"] == "اللغة: العربية"
    chat = svc.state.chat("telegram", USER_CHAT)
    assert chat is not None and (chat.lang, chat.ui_lang) == ("ar", "ar")

    telegram_api.user_sends("/latest", chat_id=USER_CHAT)
    [*_, none_yet] = await telegram_api.wait_for_messages(3, chat_id=USER_CHAT)
    assert "لا قصص" in none_yet.text

    await run_cycle(svc, TelegramChannel(application.bot))
    telegram_api.user_sends("/latest 2", chat_id=USER_CHAT)
    telegram_api.user_sends("/latest 500", chat_id=USER_CHAT)
    telegram_api.user_sends("/sources", chat_id=USER_CHAT)
    [*_, two, capped, sources] = await telegram_api.wait_for_messages(6, chat_id=USER_CHAT)
    parse_telegram_html(two.text)
    assert two.text.count("<b>") == 2 and '<a href="https://' in two.text
    assert 2 < capped.text.count("<b>") <= 10
    assert "4" in sources.text and "Eastern Wire" in sources.text and "المشرق" in sources.text

    # in a group, only an admin's press changes the language
    telegram_api.user_sends("/start", chat_id=79, chat_type="group", user_id=5)
    [group_welcome] = await telegram_api.wait_for_messages(1, chat_id=-79)
    telegram_api.user_presses(
        "lang:ar", message_id=group_welcome.message_id, chat_id=-79, user_id=5
    )
    await telegram_api.wait_until(lambda: "admins" in str(telegram_api.callback_answers[-1]))
    assert svc.state.chat("telegram", -79).lang == "en"  # type: ignore[union-attr]


async def test_forum_topic_unknown_commands_and_stray_text(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    forum = -1_000_000_000_555
    telegram_api.chat_member_status[forum] = {6: "creator"}
    telegram_api.user_sends(
        "/subscribe ar", chat_id=forum, chat_type="supergroup", user_id=6, message_thread_id=42
    )
    [done] = await telegram_api.wait_for_messages(1, chat_id=forum)
    assert "تم الاشتراك" in done.text
    chat = svc.state.chat("telegram", forum)
    assert chat is not None and chat.subscribed and chat.thread_id == 42

    # stray text in a group is ignored; an unknown command gets a short help
    telegram_api.user_sends("hello everyone", chat_id=forum, chat_type="supergroup", user_id=7)
    telegram_api.user_sends("/nonsense", chat_id=forum, chat_type="supergroup", user_id=7)
    [_, unknown] = await telegram_api.wait_for_messages(2, chat_id=forum)
    assert "/subscribe" in unknown.text
    assert len(telegram_api.messages_to(forum)) == 2

    telegram_api.user_sends("hello bot", chat_id=USER_CHAT)
    [stray] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert "/help" in stray.text and "/search" in stray.text


async def test_settings_keyboard_edits_the_message(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.user_sends("/settings", chat_id=USER_CHAT)
    [menu] = await telegram_api.wait_for_messages(1, chat_id=USER_CHAT)
    assert menu.reply_markup is not None
    data = [b["callback_data"] for row in menu.reply_markup["inline_keyboard"] for b in row]
    assert "set:alerts:on" in data and "set:times:07:00,19:00" in data and "set:lang:ar" in data
    assert all(len(d.encode()) <= 64 for d in data)

    for press in ("set:alerts:on", "set:times:07:00,19:00", "set:lang:ar"):
        telegram_api.user_presses(press, message_id=menu.message_id, chat_id=USER_CHAT)
    edits = await telegram_api.wait_for_messages(3, chat_id=USER_CHAT, method="editMessageText")
    assert all(e.message_id == menu.message_id for e in edits)
    assert "07:00, 19:00" in edits[1].text
    assert "لغة الموجز: العربية" in edits[2].text and "مفعّلة" in edits[2].text
    chat = svc.state.chat("telegram", USER_CHAT)
    assert chat is not None and chat.alerts and chat.digest_times == ("07:00", "19:00")
    assert len(telegram_api.messages_to(USER_CHAT, method="sendMessage")) == 1

    # a forged button with a bad value changes nothing
    telegram_api.user_presses("set:tz:Nowhere/Town", message_id=menu.message_id, chat_id=USER_CHAT)
    await telegram_api.wait_until(lambda: "IANA" in str(telegram_api.callback_answers[-1]))
    assert svc.state.chat("telegram", USER_CHAT).timezone == ""  # type: ignore[union-attr]


async def test_every_command_answers_in_private_and_group_chats(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    from bot.platforms.telegram.commands import COMMANDS

    managing = {"subscribe", "unsubscribe"}
    # two groups, so neither passes Telegram's 20 messages a minute per group
    group, admin_group = -80, -81
    telegram_api.chat_member_status[admin_group] = {6: "administrator"}
    sent = {USER_CHAT: 0, group: 0, admin_group: 0}
    for command in COMMANDS:
        text = f"/{command} Kursk" if command == "search" else f"/{command}"
        if command == "settings":
            text = "/settings alerts on"
        for chat_id, user_id in ((USER_CHAT, 111_111), (group, 5), (admin_group, 6)):
            kind = "private" if chat_id > 0 else "group"
            telegram_api.user_sends(text, chat_id=chat_id, chat_type=kind, user_id=user_id)
            sent[chat_id] += 1
            reply = (await telegram_api.wait_for_messages(sent[chat_id], chat_id=chat_id))[-1]
            assert reply.text, (command, chat_id, user_id)
            refused = "Only the group's admins" in reply.text
            assert refused == (user_id == 5 and (command in managing or command == "settings")), (
                command,
                user_id,
                reply.text,
            )
    admin_chat = svc.state.chat("telegram", admin_group)
    assert admin_chat is not None and admin_chat.alerts and not admin_chat.subscribed
    member_chat = svc.state.chat("telegram", group)
    assert member_chat is not None and not member_chat.alerts


async def test_a_command_that_fails_gets_a_reply_in_the_users_language(
    svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def disk_full(chat: object) -> None:
        raise StoreError("state.json: cannot be written: No space left on device")

    monkeypatch.setattr(svc.state, "save_chat", disk_full)
    telegram_api.user_sends("/subscribe", chat_id=777, user_id=777, language_code="ar")
    [reply] = await telegram_api.wait_for_messages(1, chat_id=777)
    assert reply.text == svc.catalog.t("ar", "bot.error")
    assert "No space left on device" in caplog.text  # the operator sees the cause

    monkeypatch.undo()  # space is back: the same command works
    telegram_api.user_sends("/subscribe", chat_id=777, user_id=777, language_code="ar")
    [_, done] = await telegram_api.wait_for_messages(2, chat_id=777)
    assert "تم الاشتراك" in done.text
    chat = svc.state.chat("telegram", 777)
    assert chat is not None and chat.subscribed
