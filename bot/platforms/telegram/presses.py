"""Button presses that change a chat: only someone who may manage the chat may press them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.i18n import Catalog
from bot.models import Chat

MayManage = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]
"""Whether the sender of an update may change its chat's settings (an admin in a group)."""


async def managed_press(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_of: Callable[[Update], Chat],
    may_manage: MayManage,
    catalog: Catalog,
) -> tuple[CallbackQuery, str, Chat] | None:
    """The press, its data and its chat when whoever pressed may manage the chat; None when
    there is no press to act on, or after telling one who may not that only admins may."""
    press = update.callback_query
    if press is None or press.data is None or update.effective_chat is None:
        return None
    chat = chat_of(update)
    if not await may_manage(update, context):
        await press.answer(catalog.t(chat.ui_lang, "bot.admins_only"))
        return None
    return press, press.data, chat
