"""Telegram commands: /start, /help, /subscribe, /unsubscribe, /search, /watch, /unwatch,
/settings, /latest, /sources, /about.

Handlers read and write the state and the archive on the event loop's thread, like the rest of
the bot. Every reply goes through the message catalog in the chat's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import Catalog
from bot.models import Chat, ChatLang, FeedSource
from bot.platforms.telegram.browse import (
    LATEST_DAYS,
    format_latest,
    format_sources,
    language_keyboard,
    latest_count,
    settings_keyboard,
)
from bot.platforms.telegram.presses import managed_press
from bot.platforms.telegram.search import TelegramSearch
from bot.platforms.telegram.settings import apply_setting
from bot.platforms.telegram.watch import TelegramWatch
from bot.search.query import AliasExpander
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.subscriptions import ui_lang_for

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "help",
    "subscribe",
    "unsubscribe",
    "settings",
    "latest",
    "search",
    "watch",
    "unwatch",
    "sources",
    "about",
)
_ADMINS = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def lang_from_code(code: str | None) -> Literal["ar", "en"]:
    return "ar" if code and code.lower().startswith("ar") else "en"


class TelegramCommands:
    """The command handlers, bound to the stores they use."""

    def __init__(
        self,
        *,
        state: StateStore,
        archive: Archive,
        catalog: Catalog,
        expand: AliasExpander,
        digest_times: str,
        now: Callable[[], datetime],
        timezone: str = "UTC",
        sources: list[FeedSource] | None = None,
    ) -> None:
        self.state = state
        self.archive = archive
        self.catalog = catalog
        self.expand = expand
        self.digest_times = digest_times
        self.now = now
        self.timezone = timezone
        self.sources = sources or []
        self.search = TelegramSearch(
            archive=archive, catalog=catalog, expand=expand, ui_lang=self._update_lang
        )
        self.watch = TelegramWatch(
            state=state,
            catalog=catalog,
            expand=expand,
            chat=self._chat,
            may_manage=self._may_manage,
        )

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        self.search.install(application)
        self.watch.install(application)
        application.add_handler(CallbackQueryHandler(self.on_language, pattern=r"^lang:"))
        application.add_handler(CallbackQueryHandler(self.on_settings_button, pattern=r"^set:"))
        for name in COMMANDS:
            application.add_handler(CommandHandler(name, getattr(self, f"cmd_{name}")))
        application.add_handler(MessageHandler(filters.COMMAND, self.cmd_unknown))
        application.add_handler(
            MessageHandler(filters.TEXT & filters.ChatType.PRIVATE, self.cmd_unknown)
        )
        application.add_error_handler(self.on_error)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command that failed (a store that cannot be written, a full disk): the cause is
        logged, and the user is told in their language instead of hearing nothing."""
        log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)
        if not isinstance(update, Update):
            return
        lang = "en"
        try:  # the state itself may be what failed: read it, never write it here
            tg_chat, user = update.effective_chat, update.effective_user
            chat = self.state.chat("telegram", tg_chat.id) if tg_chat else None
            lang = chat.ui_lang if chat else lang_from_code(user.language_code if user else None)
        except Exception:
            log.debug("no language for the error reply", exc_info=True)
        text = self.catalog.t(lang, "bot.error")
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(text)
        except TelegramError as exc:
            log.warning("telegram: the error reply failed too: %s", exc)

    async def register_menus(self, application: Application) -> None:  # type: ignore[type-arg]
        """The command menu in English (default) and Arabic (users with Arabic Telegram)."""
        for lang, code in (("en", None), ("ar", "ar")):
            commands = [BotCommand(n, self.catalog.t(lang, f"commands.{n}")) for n in COMMANDS]
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )

    # helpers

    def _chat(self, update: Update) -> Chat:
        tg_chat = update.effective_chat
        assert tg_chat is not None
        chat = self.state.chat("telegram", tg_chat.id)
        if chat is None:
            user = update.effective_user
            lang = lang_from_code(user.language_code if user else None)
            chat = Chat(
                platform="telegram",
                chat_id=tg_chat.id,
                lang=lang,
                ui_lang=lang,
                title=tg_chat.title or tg_chat.full_name or "",
            )
            self.state.save_chat(chat)
        return chat

    def _update_lang(self, update: Update) -> str:
        """The reply language: the chat's, or the user's own in inline mode (no chat)."""
        if update.effective_chat is None:
            user = update.effective_user
            return lang_from_code(user.language_code if user else None)
        return self._lang(self._chat(update))

    def _lang(self, chat: Chat) -> str:
        return chat.ui_lang

    def _help(self, lang: str) -> str:
        return self.catalog.t(lang, "bot.help", times=self.digest_times)

    async def _reply(
        self,
        update: Update,
        text: str,
        *,
        html_mode: bool = False,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        message = update.effective_message
        if message is None:
            return
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML if html_mode else None,
            do_quote=False,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=markup,
        )

    async def _may_manage(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return False
        if chat.type == ChatType.PRIVATE:
            return True
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in _ADMINS

    async def _managed_press(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> tuple[CallbackQuery, str, Chat] | None:
        return await managed_press(
            update, context, chat_of=self._chat, may_manage=self._may_manage, catalog=self.catalog
        )

    # commands

    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self._lang(self._chat(update))
        await self._reply(
            update,
            self.catalog.t(lang, "bot.start", help=self._help(lang)),
            markup=language_keyboard(self.catalog, lang),
        )

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on the /start language keyboard: the digest language, and the replies'."""
        pressed = await self._managed_press(update, context)
        if pressed is None:
            return
        press, data, chat = pressed
        change = apply_setting(chat, ["lang", data.removeprefix("lang:")])
        if change.chat is None:
            await press.answer()
            return
        self.state.save_chat(change.chat)
        lang = self._lang(change.chat)
        language = self.catalog.t(lang, f"bot.lang_{change.chat.lang}")
        await press.answer(self.catalog.t(lang, "bot.lang_set", language=language))
        await self._reply(update, self._help(lang))

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, self._help(self._lang(self._chat(update))))

    async def cmd_subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = self._lang(chat)
        if not await self._may_manage(update, context):
            await self._reply(update, self.catalog.t(lang, "bot.admins_only"))
            return
        choice = (context.args or [""])[0].lower()
        new_lang: ChatLang = chat.lang
        if choice in ("ar", "en", "both"):
            new_lang = choice  # type: ignore[assignment]
        if chat.subscribed and new_lang == chat.lang:
            await self._reply(update, self.catalog.t(lang, "bot.already_subscribed"))
            return
        message = update.effective_message
        thread_id = message.message_thread_id if message and message.is_topic_message else None
        chat = replace(
            chat,
            subscribed=True,
            lang=new_lang,
            ui_lang=ui_lang_for(new_lang, chat.ui_lang),
            thread_id=thread_id,
            subscribed_at=chat.subscribed_at if chat.subscribed else self.now(),
        )
        self.state.save_chat(chat)
        lang = self._lang(chat)
        await self._reply(
            update,
            self.catalog.t(
                lang,
                "bot.subscribed",
                times=self.digest_times,
                language=self.catalog.t(lang, f"bot.lang_{chat.lang}"),
            ),
        )

    async def cmd_unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = self._lang(chat)
        if not await self._may_manage(update, context):
            await self._reply(update, self.catalog.t(lang, "bot.admins_only"))
            return
        if not chat.subscribed:
            await self._reply(update, self.catalog.t(lang, "bot.not_subscribed"))
            return
        self.state.save_chat(replace(chat, subscribed=False))
        await self._reply(update, self.catalog.t(lang, "bot.unsubscribed"))

    async def cmd_search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.search.cmd_search(update, context)

    async def cmd_watch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.watch.cmd_watch(update, context)

    async def cmd_unwatch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.watch.cmd_unwatch(update, context)

    async def cmd_unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self._lang(self._chat(update))
        await self._reply(update, self.catalog.t(lang, "bot.unknown", help=self._help(lang)))

    async def cmd_settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = self._lang(chat)
        args = context.args or []
        if args:
            if not await self._may_manage(update, context):
                await self._reply(update, self.catalog.t(lang, "bot.admins_only"))
                return
            change = apply_setting(chat, list(args))
            if change.chat is None:
                await self._reply(update, self.catalog.t(lang, change.error))
                return
            chat = change.chat
            self.state.save_chat(chat)
            lang = self._lang(chat)
        await self._reply(
            update,
            self._settings_text(chat, lang),
            markup=settings_keyboard(self.catalog, lang, chat.alerts),
        )

    async def on_settings_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on the /settings keyboard: apply the change and redraw the same message."""
        pressed = await self._managed_press(update, context)
        if pressed is None:
            return
        press, data, chat = pressed
        _, key, value = [*data.split(":", 2), "", ""][:3]
        change = apply_setting(chat, [key, value])
        if change.chat is None:
            await press.answer(self.catalog.t(self._lang(chat), change.error), show_alert=True)
            return
        self.state.save_chat(change.chat)
        lang = self._lang(change.chat)
        await press.answer()
        await press.edit_message_text(
            self._settings_text(change.chat, lang),
            reply_markup=settings_keyboard(self.catalog, lang, change.chat.alerts),
        )

    def _settings_text(self, chat: Chat, lang: str) -> str:
        t = self.catalog.t
        return (
            t(
                lang,
                "bot.settings",
                language=t(lang, f"bot.lang_{chat.lang}"),
                times=", ".join(chat.digest_times) or self.digest_times,
                timezone=chat.timezone or self.timezone,
                alerts=t(lang, "bot.on" if chat.alerts else "bot.off"),
                numerals=t(lang, f"bot.digits_{chat.digits}"),
            )
            + "\n\n"
            + t(lang, "bot.settings_usage")
        )

    async def cmd_about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, self.catalog.t(self._lang(self._chat(update)), "bot.about"))

    async def cmd_latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = self._lang(chat)
        now = self.now()
        stories = self.archive.announced_stories(now - timedelta(days=LATEST_DAYS), now)
        stories.sort(key=lambda story: story.updated_at, reverse=True)
        newest = stories[: latest_count(list(context.args or []))]
        if not newest:
            await self._reply(update, self.catalog.t(lang, "bot.latest_none"))
            return
        pairs = [(story, self.archive.summary(story.id)) for story in newest]
        await self._reply(
            update, format_latest(pairs, lang, self.catalog, chat.digits), html_mode=True
        )

    async def cmd_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self._lang(self._chat(update))
        await self._reply(update, format_sources(self.sources, lang, self.catalog))
