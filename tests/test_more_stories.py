"""Nothing silently dropped: a period with more stories than ``[digest] max_stories`` shows the
first ones, says how many more there are, and offers them page by page. Against the fake Bot
API (a press is a callback_query through getUpdates) and the fake Discord API: 76 stories with
``max_stories`` 20 → 20 and "+56 more"; a press sends the next 20 as new messages with a button
for the remaining 36; nothing sent is edited; a stale token is answered politely. What the
fakes received is checked by the project's spec checker."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from telegram.ext import Application

from bot.app.container import Services, services
from bot.delivery.sender import deliver
from bot.digest.render import render_plain
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.models import Chat
from bot.platforms.discord.channel import buttons
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.runtime import DigestbotClient, start_discord
from bot.platforms.telegram.channel import TelegramChannel
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI, limit_problems
from tests.fakes.telegram_api import FakeTelegramAPI, SentMessage, parse_telegram_html
from tests.settings_support import settings_for
from tests.spec_support import spec_problems
from tests.telegram_support import polling
from tests.test_jobs import add_story

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
TOKEN = "123456:E2E-more"
CHAT = 7676
CHANNEL = 555555555555555555
WEBHOOK = 333333333333333333
STORIES = 76
PAGE = 20
CATALOG = Catalog.load()


def expected_order() -> list[str]:
    """The digest's order as built below: most sources first, then newest (see the README)."""
    keys = [(1 + n % 4, n) for n in range(STORIES)]  # (outlets, minutes after the first)
    return [f"s{n}" for outlets, n in sorted(keys, key=lambda k: (-k[0], -k[1]))]


def add_stories(svc: Services) -> None:
    base = NOW - timedelta(hours=3)
    for n in range(STORIES):
        add_story(svc.archive, f"s{n}", range(1 + n % 4), base + timedelta(minutes=n))


def subscribe(svc: Services, platform: str, chat_id: int, **changes: Any) -> None:
    svc.state.save_chat(
        Chat(
            platform=platform,
            chat_id=chat_id,
            subscribed=True,
            subscribed_at=NOW - timedelta(days=1),
            last_digest_at=NOW - timedelta(hours=4),
            **{"lang": "en", "ui_lang": "en", **changes},
        )
    )


# the count line, in both languages' plural forms and the chat's digits


@pytest.mark.parametrize(
    ("lang", "count", "digits", "line"),
    [
        ("en", 1, "latn", "+1 more story"),
        ("en", 56, "latn", "+56 more stories"),
        ("ar", 3, "latn", "+3 قصص أخرى"),
        ("ar", 11, "latn", "+11 قصة أخرى"),
        ("ar", 56, "latn", "+56 قصة أخرى"),
        ("ar", 100, "latn", "+100 قصة أخرى"),
        ("ar", 56, "arab", "+٥٦ قصة أخرى"),
    ],
)
def test_the_count_line_takes_the_plural_form_and_digits(
    lang: str, count: int, digits: Any, line: str
) -> None:
    assert CATALOG.t(lang, "digest.more", count=count, digits=digits) == line


def test_both_catalogs_have_every_plural_form_of_the_offer() -> None:
    for key in ("digest.more", "digest.more_button"):
        assert set(CATALOG.forms("ar", key) or ()) == {"zero", "one", "two", "few", "many", "other"}
        assert set(CATALOG.forms("en", key) or ()) == {"one", "other"}


# Telegram


@pytest.fixture
async def telegram_svc(tmp_path: Path, telegram_api: FakeTelegramAPI) -> AsyncIterator[Services]:
    settings = settings_for(
        tmp_path / "data",
        telegram={"token": TOKEN, "base_url": telegram_api.bot_url},
        digest={"max_stories": PAGE, "max_age_hours": 24 * 30},
    )
    async with services(settings, now=lambda: NOW) as built:
        add_stories(built)
        yield built


@pytest.fixture
async def application(telegram_svc: Services) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with polling(telegram_svc) as app:
        yield app


def headlines(messages: list[SentMessage]) -> list[str]:
    text = "\n".join(m.text for m in messages)
    return re.findall(r"<b>Headline (s\d+)</b>", text)


def button(message: SentMessage) -> dict[str, str]:
    assert message.reply_markup is not None
    [[pressed]] = message.reply_markup["inline_keyboard"]
    return dict(pressed)


async def press(api: FakeTelegramAPI, data: str, message_id: int, shown: int) -> None:
    """Press a button under ``message_id`` and wait until ``shown`` headlines were sent in all
    (the page's last part, which carries its button, is then in)."""
    answers = len(api.callback_answers)
    api.user_presses(data, message_id=message_id, chat_id=CHAT)
    await api.wait_until(lambda: len(api.callback_answers) > answers, "the press answered")
    await api.wait_until(lambda: len(headlines(api.messages_to(CHAT))) >= shown, "the page")


async def test_telegram_offers_the_rest_page_by_page_and_edits_nothing(
    tmp_path: Path,
    telegram_svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    subscribe(telegram_svc, "telegram", CHAT)
    queued = telegram_svc.digests.queue_digests(until=NOW)
    channel = TelegramChannel(application.bot)
    report = await deliver(
        archive=telegram_svc.archive, state=telegram_svc.state, channel=channel, now=lambda: NOW
    )
    assert report.sent == queued >= 1
    digest = telegram_api.messages_to(CHAT)
    order = expected_order()
    assert headlines(digest) == order[:PAGE]
    *first, last = digest
    assert all(m.reply_markup is None for m in first)
    assert parse_telegram_html(last.text).endswith("+56 more stories")
    offer = button(last)
    assert offer["text"] == "Show 20 more"
    assert len(offer["callback_data"].encode()) <= 64

    # the press sends the next 20 as new messages, with a button for the remaining 36
    await press(telegram_api, offer["callback_data"], last.message_id, 2 * PAGE)
    page = telegram_api.messages_to(CHAT)[len(digest) :]
    assert headlines(page) == order[PAGE : 2 * PAGE]
    assert parse_telegram_html(page[-1].text).endswith("+36 more stories")
    second = button(page[-1])
    assert second["text"] == "Show 20 more" and second["callback_data"] != offer["callback_data"]
    assert [m.reply_markup for m in page[:-1]] == [None] * (len(page) - 1)
    assert telegram_api.callback_answers[-1]["text"] is None  # the press, acknowledged

    # the same button again: a note, nothing sent twice; an unknown token: a polite note
    sent = len(telegram_api.messages_to(CHAT))
    telegram_api.user_presses(offer["callback_data"], message_id=last.message_id, chat_id=CHAT)
    await telegram_api.wait_until(lambda: len(telegram_api.callback_answers) >= 2, "answer")
    assert telegram_api.callback_answers[-1]["text"] == "These stories were already sent."
    telegram_api.user_presses("more:NoSuchToken1:0", message_id=last.message_id, chat_id=CHAT)
    await telegram_api.wait_until(lambda: len(telegram_api.callback_answers) >= 3, "answer")
    stale = telegram_api.callback_answers[-1]["text"]
    assert stale == "This list has expired: /latest shows the newest stories."
    assert len(telegram_api.messages_to(CHAT)) == sent

    # the rest, to the end: 20 more, then the last 16 with no button and no count line
    await press(telegram_api, second["callback_data"], page[-1].message_id, 3 * PAGE)
    third = telegram_api.messages_to(CHAT)[sent:]
    assert headlines(third) == order[2 * PAGE : 3 * PAGE]
    assert parse_telegram_html(third[-1].text).endswith("+16 more stories")
    last_offer = button(third[-1])
    assert last_offer["text"] == "Show 16 more"
    sent = len(telegram_api.messages_to(CHAT))
    await press(telegram_api, last_offer["callback_data"], third[-1].message_id, STORIES)
    fourth = telegram_api.messages_to(CHAT)[sent:]
    assert headlines(fourth) == order[3 * PAGE :]
    assert fourth[-1].reply_markup is None and "more stor" not in fourth[-1].text
    assert headlines(telegram_api.messages_to(CHAT)) == order

    # the pages expire with the digest's retention: the button then answers politely
    telegram_svc.archive.prune_pages(NOW + timedelta(days=1))
    telegram_api.user_presses(second["callback_data"], message_id=page[-1].message_id, chat_id=CHAT)
    await telegram_api.wait_until(lambda: len(telegram_api.callback_answers) >= 6, "answer")
    assert telegram_api.callback_answers[-1]["text"] == stale

    # nothing already sent was edited; the Bot API would accept every request
    assert telegram_api.calls_to("editMessageText") == []
    assert telegram_api.calls_to("editMessageReplyMarkup") == []
    records = [{"method": c.method, "params": c.params} for c in telegram_api.calls]
    assert spec_problems(records, tmp_path) == []


async def test_an_arabic_chat_sees_the_offer_in_arabic_and_its_digits(
    telegram_svc: Services,
) -> None:
    subscribe(telegram_svc, "telegram", CHAT, lang="ar", ui_lang="ar", digits="arab")
    telegram_svc.digests.queue_digests(until=NOW)
    parts = telegram_svc.archive.pending("telegram")
    assert parse_telegram_html(parts[-1].text).endswith("+٥٦ قصة أخرى")
    assert parts[-1].markup is not None
    [[offer]] = json.loads(parts[-1].markup)["inline_keyboard"]
    assert offer["text"] == "عرض ٢٠ أخرى"


async def test_the_terminal_shows_the_count_only(telegram_svc: Services) -> None:
    digest = telegram_svc.digests.digest(lang="en", since=NOW - timedelta(hours=4), until=NOW)
    assert len(digest.items) == PAGE and len(digest.rest) == STORIES - PAGE
    text = render_plain(digest, CATALOG)
    assert text.endswith("+56 more stories")
    [plain] = telegram_svc.platforms.render_digest("console", digest, CATALOG)
    assert plain.text == text


# Discord


@pytest.fixture
async def discord_svc(tmp_path: Path, discord_api: FakeDiscordAPI) -> AsyncIterator[Services]:
    webhook = discord_api.add_webhook(WEBHOOK, "w" * 68)
    settings = settings_for(
        tmp_path / "data",
        discord={
            "token": BOT_TOKEN,
            "webhooks": [{"name": "news", "url": webhook, "lang": "en"}],
        },
        digest={"max_stories": PAGE, "max_age_hours": 24 * 30},
    )
    async with services(settings, now=lambda: NOW) as built:
        add_stories(built)
        yield built


@pytest.fixture
async def discord_runtime(discord_svc: Services) -> AsyncIterator[Any]:
    runtime = await start_discord(discord_svc, gateway=False)
    assert runtime.client is not None
    try:
        yield runtime
    finally:
        await runtime.close()


class Response:
    """``interaction.response``: what the handler answered."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.deferred = 0

    async def send_message(self, content: Any = None, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})

    async def defer(self, **kwargs: Any) -> None:
        self.deferred += 1


class Press:
    """A press on a component button, as the client's ``on_interaction`` reads it."""

    type = discord.InteractionType.component

    def __init__(self, custom_id: str) -> None:
        self.channel_id = CHANNEL
        self.data = {"custom_id": custom_id, "component_type": 2}
        self.response = Response()


def discord_titles(messages: list[dict[str, Any]]) -> list[str]:
    return [e["title"].removeprefix("Headline ") for m in messages for e in m["embeds"]]


def custom_id(message: dict[str, Any]) -> tuple[str, str]:
    [row] = message["components"]
    [pressed] = row["components"]
    assert pressed["type"] == 2 and row["type"] == 1
    return pressed["custom_id"], pressed["label"]


async def test_discord_offers_a_button_and_webhooks_a_latest_hint(
    tmp_path: Path, discord_svc: Services, discord_runtime: Any, discord_api: FakeDiscordAPI
) -> None:
    client: DigestbotClient = discord_runtime.client
    subscribe(discord_svc, BOT_PLATFORM, CHANNEL)
    discord_svc.digests.queue_digests(until=NOW)
    for channel in discord_runtime.channels:
        report = await deliver(
            archive=discord_svc.archive, state=discord_svc.state, channel=channel, now=lambda: NOW
        )
        assert report.sent >= 1 and report.failed == 0
    order = expected_order()

    posted = discord_api.sent_to(CHANNEL)
    assert discord_titles(posted) == order[:PAGE]
    assert posted[-1]["content"].endswith("**\\+56 more stories**")  # "+" escaped: no list
    assert all("components" not in m or not m["components"] for m in posted[:-1])
    data, label = custom_id(posted[-1])
    assert label == "Show 20 more" and len(data) <= 100

    hooked = discord_api.sent_to(WEBHOOK)  # a webhook: no button, a hint instead
    assert discord_titles(hooked) == order[:PAGE]
    assert hooked[-1]["content"].endswith("+56 more stories**\n*/latest shows the newest stories.*")
    assert not any(m.get("components") for m in hooked)

    pressed = Press(data)
    await client.on_interaction(pressed)  # type: ignore[arg-type]
    assert pressed.response.deferred == 1 and pressed.response.sent == []
    page = discord_api.sent_to(CHANNEL)[len(posted) :]
    assert discord_titles(page) == order[PAGE : 2 * PAGE]
    assert page[-1]["content"].endswith("**\\+36 more stories**")
    assert custom_id(page[-1])[1] == "Show 20 more"

    again = Press(data)
    await client.on_interaction(again)  # type: ignore[arg-type]
    assert again.response.sent == [
        {"content": "These stories were already sent.", "ephemeral": True}
    ]
    stale = Press("more:NoSuchToken1:0")
    await client.on_interaction(stale)  # type: ignore[arg-type]
    assert stale.response.sent[0]["content"].startswith("This list has expired")
    assert len(discord_api.sent_to(CHANNEL)) == len(posted) + len(page)

    for message in discord_api.sent_to(CHANNEL) + hooked:
        assert limit_problems(message) == []
    records = [
        {
            "method": "POST",
            "path": f"/api/v10/webhooks/{m.webhook_id}/{'w' * 68}"
            if m.webhook_id
            else f"/api/v10/channels/{m.channel_id}/messages",
            "json": m.payload,
            "query": {"wait": "true"} if m.webhook_id else {},
        }
        for m in discord_api.messages
    ]
    assert {r["path"].split("/")[3] for r in records} == {"webhooks", "channels"}
    assert spec_problems(records, tmp_path) == []


async def test_the_channel_turns_components_into_a_view_it_does_not_keep() -> None:
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "more:a:0"}],
    }
    view = buttons(json.dumps([row]))
    assert view is not None and view.is_finished()  # discord.py stores no finished view
    assert view.to_components() == [
        {**row, "components": [{**row["components"][0], "disabled": False}]}
    ]
    assert buttons(None) is None
    with pytest.raises(DeliveryError):
        buttons('[{"type": 1}]')


# the page tokens in the archive: one per (chat, digest), of that chat only, bounded


async def test_page_tokens_are_per_digest_per_chat_and_expire_with_the_outbox(
    tmp_path: Path,
) -> None:
    from bot.app.housekeeping import housekeep

    settings = settings_for(tmp_path / "data", archive={"outbox_days": 7})
    clock = [NOW]
    async with services(settings, now=lambda: clock[0]) as svc:
        archive = svc.archive

        def save(key: str) -> str:
            return archive.save_pages(
                platform="telegram",
                chat_id=CHAT,
                digest_key=key,
                story_ids=[5, 6, 7],
                offset=0,
                period_start=None,
                period_end=NOW,
                now=clock[0],
            )

        token = save("telegram:7676:a")
        assert save("telegram:7676:a") == token  # queueing the same digest twice
        assert save("telegram:7676:b") != token
        assert len(f"more:{token}:999999".encode()) <= 64
        other = archive.take_page(token=token, platform="telegram", chat_id=1, offset=0, size=2)
        assert other == "stale"  # another chat's token is unknown there
        page = archive.take_page(token=token, platform="telegram", chat_id=CHAT, offset=0, size=2)
        assert not isinstance(page, str) and page.story_ids == (5, 6) and page.rest == (7,)
        again = archive.take_page(token=token, platform="telegram", chat_id=CHAT, offset=0, size=2)
        assert again == "sent"

        clock[0] = NOW + timedelta(days=8)
        fresh = save("telegram:7676:c")
        housekeep(svc)
        for old in (token,):
            taken = archive.take_page(
                token=old, platform="telegram", chat_id=CHAT, offset=2, size=2
            )
            assert taken == "stale"
        kept = archive.take_page(token=fresh, platform="telegram", chat_id=CHAT, offset=0, size=9)
        assert not isinstance(kept, str) and kept.story_ids == (5, 6, 7) and kept.rest == ()


def test_an_archive_from_before_pages_keeps_its_pending_parts_without_a_button(
    tmp_path: Path,
) -> None:
    from bot.store.archive import ARCHIVE_FILE, MIGRATIONS, Archive

    path = tmp_path / ARCHIVE_FILE
    Archive(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("ALTER TABLE outbox DROP COLUMN markup")  # as the schema before pages left it
    db.execute("DROP TABLE digest_pages")
    pages = next(n for n, sql in enumerate(MIGRATIONS) if "digest_pages" in sql)
    db.execute(f"PRAGMA user_version = {pages}")  # the migrations from the pages' on run again
    db.execute(
        "INSERT INTO outbox (platform, chat_id, digest_key, period_end, part, text, created_at)"
        " VALUES ('telegram', 1, 'telegram:1:x', '2024-11-05T09:00:00+00:00', 0, 'hi',"
        " '2024-11-05T09:00:00+00:00')"
    )
    db.close()
    archive = Archive(path)
    try:
        [part] = archive.pending("telegram")
        assert part.text == "hi" and part.markup is None
        assert archive.take_page(token="x", platform="telegram", chat_id=1, offset=0, size=1) == (
            "stale"
        )
    finally:
        archive.close()


def story_id(svc: Services, key: str) -> int:
    row = svc.archive._db.execute("SELECT story_id FROM articles WHERE id = ?", (f"{key}-0",))
    return int(row.fetchone()[0])


async def test_a_page_that_failed_is_offered_again_and_one_whose_stories_left_is_passed_over(
    telegram_svc: Services,
    application: Application,  # type: ignore[type-arg]
    telegram_api: FakeTelegramAPI,
) -> None:
    subscribe(telegram_svc, "telegram", CHAT)
    telegram_svc.digests.queue_digests(until=NOW)
    channel = TelegramChannel(application.bot)
    await deliver(
        archive=telegram_svc.archive, state=telegram_svc.state, channel=channel, now=lambda: NOW
    )
    digest = telegram_api.messages_to(CHAT)
    offer = button(digest[-1])
    order = expected_order()

    # Telegram refuses the page's first message: nothing went out, so the next press sends it
    telegram_api.fail_next("sendMessage", status=500, chat_id=CHAT)
    calls = len(telegram_api.calls_to("sendMessage"))
    telegram_api.user_presses(
        offer["callback_data"], message_id=digest[-1].message_id, chat_id=CHAT
    )
    await telegram_api.wait_until(
        lambda: len(telegram_api.calls_to("sendMessage")) > calls, "the refused send"
    )
    await press(telegram_api, offer["callback_data"], digest[-1].message_id, 2 * PAGE)
    page = telegram_api.messages_to(CHAT)[len(digest) :]
    assert headlines(page) == order[PAGE : 2 * PAGE]

    # every story of the next page left the archive since: the press brings the one after
    gone = [story_id(telegram_svc, key) for key in order[2 * PAGE : 3 * PAGE]]
    marks = ",".join("?" * len(gone))
    telegram_svc.archive._db.execute(f"DELETE FROM summaries WHERE story_id IN ({marks})", gone)
    sent = len(telegram_api.messages_to(CHAT))
    await press(telegram_api, button(page[-1])["callback_data"], page[-1].message_id, 3 * PAGE - 4)
    after = telegram_api.messages_to(CHAT)[sent:]
    assert headlines(after) == order[3 * PAGE :]
    assert "No new stories" not in "".join(m.text for m in after)
