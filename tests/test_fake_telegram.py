"""The fake Telegram Bot API must behave like Telegram for python-telegram-bot, unmodified."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.telegram_api import (
    BOT_ID,
    BOT_USERNAME,
    EntityParseError,
    FakeTelegramAPI,
    parse_telegram_html,
)

TOKEN = "123456:TEST-token_abc"


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
async def bot(telegram_api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=telegram_api.bot_url) as bot:
        yield bot


async def test_get_me_returns_the_test_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        BOT_ID,
        BOT_USERNAME,
        "Digest Test",
        True,
    )


async def test_send_message_with_valid_html_is_recorded(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("more", callback_data="p:2")]])
    text = '<b>كورسك</b> &amp; <a href="https://example.org/?a=1&amp;b=2">Pyongyang</a>'
    first = await bot.send_message(
        -100555, text, parse_mode="HTML", reply_markup=markup, message_thread_id=7
    )
    second = await bot.send_message(-100555, "plain")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == -100555
    assert first.chat.type == "supergroup"
    assert first.from_user is not None
    assert first.from_user.id == BOT_ID
    assert first.text == text
    sent = telegram_api.messages_to(-100555)
    assert [m.text for m in sent] == [text, "plain"]
    assert sent[0].parse_mode == "HTML"
    assert sent[0].message_thread_id == 7
    assert sent[0].method == "sendMessage"
    assert sent[0].reply_markup == {"inline_keyboard": [[{"text": "more", "callback_data": "p:2"}]]}
    assert sent[1].parse_mode is None
    assert sent[1].reply_markup is None


async def test_link_preview_options_are_recorded_as_given(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    await bot.send_message(42, "x", disable_web_page_preview=True)
    [sent] = telegram_api.messages_to(42)
    # PTB 22 turns the old flag into link_preview_options before sending.
    assert sent.link_preview_options == {"is_disabled": True}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("AT&T", 'Character "&" must start an HTML entity at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<a>link</a>", 'Tag "a" must have a non-empty "href"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", 'Unexpected end tag "b" at byte offset 1'),
    ],
)
async def test_invalid_html_is_refused_with_bad_request(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
    text: str,
    reason: str,
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(42, text, parse_mode="HTML")
    assert "can't parse entities" in caught.value.message.lower()
    assert reason.lower() in caught.value.message.lower()
    assert telegram_api.sent == []


@pytest.mark.parametrize(
    ("html", "visible"),
    [
        ("a &lt;b&gt; &quot;c&quot; &#1603; &#x643;", 'a <b> "c" ك ك'),
        ('<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span>', "st"),
        (
            '<blockquote expandable>q</blockquote><pre><code class="language-py">p</code></pre>',
            "qp",
        ),
        ("<B>up</B> 3 > 2", "up 3 > 2"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ],
)
def test_valid_html_yields_visible_text(html: str, visible: str) -> None:
    assert parse_telegram_html(html) == visible


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(EntityParseError, match="byte offset 11"):
        parse_telegram_html("كورسك <x>")


async def test_length_is_measured_after_entity_parsing(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    fits = "<b>" + "&amp;" * 4096 + "</b>"
    await bot.send_message(1, fits, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1, "<b> </b>", parse_mode="HTML")
    assert len(telegram_api.sent) == 1


# PTB 22 warns that retry_after will become a timedelta; _seconds() accepts both.
@pytest.mark.filterwarnings("ignore:.*retry_after.*")
async def test_flood_control_raises_retry_after_then_recovers(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.fail_next("sendMessage", status=429, retry_after=3, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(5, "hi")
        assert _seconds(caught.value.retry_after) == 3
    await bot.send_message(5, "hi")
    assert [m.text for m in telegram_api.messages_to(5)] == ["hi"]
    assert len(telegram_api.calls_to("sendMessage")) == 3


@pytest.mark.filterwarnings("ignore:.*retry_after.*")
async def test_a_seeded_share_of_sends_is_refused_with_429() -> None:
    async def outcomes(seed: int) -> tuple[list[float], FakeTelegramAPI]:
        api = FakeTelegramAPI(flood_share=0.3, flood_seed=seed, flood_retry_after=(2, 4))
        seen: list[float] = []
        async with api, Bot(TOKEN, base_url=api.bot_url) as bot:
            for n in range(60):
                try:
                    await bot.send_message(n, "hi")
                    seen.append(0)
                except RetryAfter as exc:
                    seen.append(_seconds(exc.retry_after))
        return seen, api

    first, api = await outcomes(5)
    again, _ = await outcomes(5)
    assert first == again
    refused = [s for s in first if s]
    assert 5 <= len(refused) <= 35 and set(refused) <= {2, 3, 4}
    assert len(api.sent) == first.count(0)  # a refused message is not delivered
    assert [r.retry_after for r in api.flood_refusals] == refused


async def test_blocked_bot_raises_forbidden_only_for_that_chat(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user", chat_id=9
    )
    await bot.send_message(8, "to eight")
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(9, "to nine")
    await bot.send_message(9, "again")
    assert [m.chat_id for m in telegram_api.sent] == [8, 9]


async def test_migrated_group_raises_chat_migrated(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.fail_next("sendMessage", status=400, migrate_to_chat_id=-100123, chat_id=-55)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-55, "hello group")
    assert caught.value.new_chat_id == -100123


async def test_bad_token_and_unknown_method(telegram_api: FakeTelegramAPI) -> None:
    bad = Bot("not-a-token", base_url=telegram_api.bot_url)
    with pytest.raises(InvalidToken):
        await bad.initialize()
    await bad.shutdown()
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{telegram_api.bot_url}{TOKEN}/noSuchMethod")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_commands_are_kept_per_scope_and_language(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    await bot.set_my_commands([("search", "Search the archive")])
    await bot.set_my_commands([("search", "ابحث في الأرشيف")], language_code="ar")
    assert telegram_api.get_commands() == [
        {"command": "search", "description": "Search the archive"}
    ]
    assert [c.description for c in await bot.get_my_commands(language_code="ar")] == [
        "ابحث في الأرشيف"
    ]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Search", "capital letters are refused")])


async def test_edit_and_delete_follow_telegram_rules(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    message = await bot.send_message(3, "page 1")
    edited = await bot.edit_message_text("page 2", chat_id=3, message_id=message.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "page 2"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("page 2", chat_id=3, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("page 3", chat_id=3, message_id=99)
    assert await bot.delete_message(3, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(3, message.message_id)
    assert [(m.method, m.text) for m in telegram_api.messages_to(3)] == [
        ("sendMessage", "page 1"),
        ("editMessageText", "page 2"),
    ]


async def test_chat_member_status_comes_from_the_map(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    telegram_api.chat_member_status[-77] = {5: "administrator", 6: "creator", 7: "kicked"}
    statuses = [(await bot.get_chat_member(-77, uid)).status for uid in (5, 6, 7, 8)]
    assert statuses == ["administrator", "creator", "kicked", "member"]
    assert (await bot.get_chat_member(12, 12)).status == "member"
    chat = await bot.get_chat(-77)
    assert chat.type == "group"


async def test_get_updates_honours_offset_and_limit(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    for word in ("one", "two", "three"):
        telegram_api.user_sends(word)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert telegram_api.pending_updates == 1
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
    assert telegram_api.pending_updates == 0


async def test_long_poll_returns_when_an_update_arrives(
    bot: Bot,
    telegram_api: FakeTelegramAPI,
) -> None:
    poll = asyncio.ensure_future(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    telegram_api.user_sends("/help@digest_test_bot", chat_type="group", chat_id=300)
    [update] = await poll
    assert update.message is not None
    assert update.message.chat.id == -300
    assert update.message.chat.type == "group"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/help@digest_test_bot")


async def test_application_answers_start_over_long_polling(
    telegram_api: FakeTelegramAPI,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_user is not None
        await update.effective_chat.send_message(
            f"أهلا {update.effective_user.first_name}", parse_mode="HTML"
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer(f"got {update.callback_query.data}")

    builder = ApplicationBuilder().token(TOKEN).base_url(telegram_api.bot_url)
    app = builder.base_file_url(telegram_api.file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(press))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.05)
    try:
        telegram_api.user_sends("/start", user_id=4242, first_name="Mina")
        [reply] = await telegram_api.wait_for_messages(1, chat_id=4242)
        assert reply.text == "أهلا Mina"
        telegram_api.user_presses("p:1", message_id=reply.message_id, chat_id=4242)
        await telegram_api.wait_until(lambda: bool(telegram_api.callback_answers), "an answer")
        assert [a["text"] for a in telegram_api.callback_answers] == ["got p:1"]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert telegram_api.pending_updates == 0


async def test_wait_for_messages_reports_what_arrived(
    telegram_api: FakeTelegramAPI,
) -> None:
    with pytest.raises(AssertionError, match="expected 1 message"):
        await telegram_api.wait_for_messages(1, chat_id=1, timeout=0.05)


def test_runs_in_a_thread_for_synchronous_callers() -> None:
    with FakeTelegramAPI().run_in_thread() as api:
        response = httpx.post(
            f"{api.bot_url}{TOKEN}/sendMessage", data={"chat_id": "11", "text": "sync"}
        )
        assert response.json()["result"]["text"] == "sync"
        assert [m.text for m in api.wait_for_messages_blocking(1, chat_id=11)] == ["sync"]


async def test_inline_answers_are_refused_as_telegram_does(
    bot: Bot, telegram_api: FakeTelegramAPI
) -> None:
    from telegram import InlineQueryResultArticle, InputTextMessageContent

    def result(title: str, text: str) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(
            id="1", title=title, input_message_content=InputTextMessageContent(text, "HTML")
        )

    for title, text, error in (
        ("t", "<b>" + "x" * 4097 + "</b>", "MESSAGE_TOO_LONG"),
        ("t", "<b>x", "can't parse entities"),
        (" ", "x", "RESULT_TITLE_EMPTY"),
    ):
        query_id = telegram_api.user_inline_query("q")["inline_query"]["id"]
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.answer_inline_query(query_id, [result(title, text)])
    query_id = telegram_api.user_inline_query("q")["inline_query"]["id"]
    assert await bot.answer_inline_query(query_id, [result("t", "&amp;" * 4096)])
    assert len(telegram_api.inline_answers) == 1
