"""The "Show 20 more" button under a digest on Telegram: a press sends the next page of the
digest's rest as new messages (``bot.pipeline.pages``), with its own button while more remain,
and edits nothing already sent. A stale or unknown token, or a page sent before, is answered
with a short note in the chat's language."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.digest.more import PREFIX
from bot.i18n import Catalog
from bot.models import Chat
from bot.pipeline.digests import DigestQueue
from bot.pipeline.pages import give_back, next_page
from bot.platforms.telegram.channel import keyboard
from bot.platforms.telegram.platform import TELEGRAM
from bot.store.state import StateStore

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramMore:
    """The handler of ``more:TOKEN:OFFSET`` presses."""

    def __init__(self, *, state: StateStore, digests: DigestQueue, catalog: Catalog) -> None:
        self.state = state
        self.digests = digests
        self.catalog = catalog

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CallbackQueryHandler(self.on_more, pattern=rf"^{PREFIX}:"))

    async def on_more(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        press, tg_chat = update.callback_query, update.effective_chat
        if press is None or tg_chat is None:
            return
        chat = self.state.chat(TELEGRAM, tg_chat.id) or Chat(platform=TELEGRAM, chat_id=tg_chat.id)
        page = next_page(self.digests, chat, press.data)
        if isinstance(page, str):  # "stale" or "sent": a note, never an error
            await press.answer(self.catalog.t(chat.ui_lang, f"bot.more.{page}"), show_alert=True)
            return
        await press.answer()
        message = press.message  # the page goes to the forum topic the digest is in
        topic = isinstance(message, Message) and message.is_topic_message
        thread = message.message_thread_id if isinstance(message, Message) and topic else None
        sent = 0
        try:
            for text, markup in zip(page.parts, page.markups, strict=True):
                await context.bot.send_message(
                    chat_id=tg_chat.id,
                    text=text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=_NO_PREVIEW,
                    message_thread_id=thread,
                    reply_markup=keyboard(markup),
                )
                sent += 1
        except TelegramError as exc:
            # nothing of the page went out: the next press sends it (once something did, a
            # second press would repeat it, so the rest is dropped and said so in the log)
            if not sent:
                give_back(self.digests, page)
            log.warning("telegram: a page of more stories could not be sent: %s", exc)
