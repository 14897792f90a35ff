"""Watch lists in Telegram: ``/watch TERM`` adds a term, ``/watch`` lists the chat's terms with
a button under each to remove it, ``/unwatch TERM`` removes one.

    /watch TERM     → admins only in groups → check_term (the search engine's reading)
                    → saved with the chat, or the reason it cannot be
    /watch          → the list, one ✖ button per term (``uw:<digest of the term>``)
    ✖ pressed       → admins only in groups → removed → the list redrawn in place
    /unwatch TERM   → admins only in groups → removed, or "not watched"

A button carries a digest of the term, not its place in the list, so a press on an old list
removes the term it shows or nothing (callback data stays at 19 bytes whatever the term).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.digest.watch_alerts import term_key
from bot.i18n import Catalog
from bot.models import Chat
from bot.platforms.telegram.presses import MayManage, managed_press
from bot.search.query import AliasExpander
from bot.search.watch import MAX_TERMS, BadWatchTerm, add_term, remove_term
from bot.store.state import StateStore
from bot.text.display import for_chat

CALLBACK_PREFIX = "uw:"
BUTTON_TERM_CAP = 40
"""A term longer than this is cut on its button (the list above shows it whole)."""


def term_digest(term: str) -> str:
    """What a remove button carries for ``term`` (however its letters are written)."""
    return hashlib.sha256(term_key(term).encode()).hexdigest()[:16]


def watch_keyboard(terms: tuple[str, ...], lang: str, catalog: Catalog) -> InlineKeyboardMarkup:
    """One remove button per term, one term a row."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    catalog.t(lang, "watch.remove_button", term=for_chat(term, BUTTON_TERM_CAP)),
                    callback_data=CALLBACK_PREFIX + term_digest(term),
                )
            ]
            for term in terms
        ]
    )


def watch_list(terms: tuple[str, ...], lang: str, catalog: Catalog) -> str:
    """The chat's terms, one a line, or how to add one."""
    if not terms:
        return catalog.t(lang, "watch.none")
    shown = "\n".join(f"• {for_chat(term, 100)}" for term in terms)
    return catalog.t(lang, "watch.list", count=len(terms), limit=MAX_TERMS, terms=shown)


class TelegramWatch:
    """The /watch and /unwatch commands and the remove buttons."""

    def __init__(
        self,
        *,
        state: StateStore,
        catalog: Catalog,
        expand: AliasExpander,
        chat: Callable[[Update], Chat],
        may_manage: MayManage,
    ) -> None:
        self.state = state
        self.catalog = catalog
        self.expand = expand
        self._chat = chat
        self._may_manage = may_manage

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        pattern = rf"^{CALLBACK_PREFIX}"
        application.add_handler(CallbackQueryHandler(self.on_remove, pattern=pattern))

    async def _reply(
        self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        message = update.effective_message
        if message is None:
            return
        await message.reply_text(
            text,
            do_quote=False,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=markup,
        )

    async def _show(self, update: Update, chat: Chat) -> None:
        lang = chat.ui_lang
        markup = watch_keyboard(chat.watch, lang, self.catalog) if chat.watch else None
        await self._reply(update, watch_list(chat.watch, lang, self.catalog), markup)

    async def cmd_watch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = chat.ui_lang
        text = " ".join(context.args or [])
        if not text.strip():
            await self._show(update, chat)
            return
        if not await self._may_manage(update, context):
            await self._reply(update, self.catalog.t(lang, "bot.admins_only"))
            return
        try:
            terms = add_term(chat.watch, text, self.expand)
        except BadWatchTerm as bad:
            await self._reply(update, self.catalog.t(lang, bad.key, value=for_chat(bad.value, 100)))
            return
        if terms == chat.watch:
            kept = next(t for t in chat.watch if term_key(t) == term_key(text))
            await self._reply(
                update, self.catalog.t(lang, "watch.already", term=for_chat(kept, 100))
            )
            return
        self.state.save_chat(replace(chat, watch=terms))
        reply = self.catalog.t(lang, "watch.added", term=for_chat(terms[-1], 100))
        if not chat.subscribed:
            reply = f"{reply}\n{self.catalog.t(lang, 'watch.not_subscribed')}"
        await self._reply(update, reply)

    async def cmd_unwatch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        lang = chat.ui_lang
        text = " ".join(context.args or [])
        if not text.strip():
            await self._reply(update, self.catalog.t(lang, "watch.unwatch_usage"))
            return
        if not await self._may_manage(update, context):
            await self._reply(update, self.catalog.t(lang, "bot.admins_only"))
            return
        try:
            terms = remove_term(chat.watch, text)
        except BadWatchTerm as bad:
            await self._reply(update, self.catalog.t(lang, bad.key, value=for_chat(bad.value, 100)))
            return
        removed = next(t for t in chat.watch if t not in terms)
        self.state.save_chat(replace(chat, watch=terms))
        await self._reply(
            update, self.catalog.t(lang, "watch.removed", term=for_chat(removed, 100))
        )

    async def on_remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on a ✖ button: the term goes, and the list is redrawn in place."""
        pressed = await managed_press(
            update, context, chat_of=self._chat, may_manage=self._may_manage, catalog=self.catalog
        )
        if pressed is None:
            return
        press, data, chat = pressed
        lang = chat.ui_lang
        digest = data.removeprefix(CALLBACK_PREFIX)
        gone = [term for term in chat.watch if term_digest(term) == digest]
        if not gone:
            await press.answer(self.catalog.t(lang, "watch.gone"))
            return
        terms = tuple(term for term in chat.watch if term not in gone)
        self.state.save_chat(replace(chat, watch=terms))
        await press.answer(self.catalog.t(lang, "watch.removed", term=for_chat(gone[0], 100)))
        markup = watch_keyboard(terms, lang, self.catalog) if terms else None
        await press.edit_message_text(watch_list(terms, lang, self.catalog), reply_markup=markup)
