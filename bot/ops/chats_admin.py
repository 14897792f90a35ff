"""Operator commands for chats: `digestbot subscribe TARGET [--lang]`, `unsubscribe`,
`chats list`.

Some chats cannot type /subscribe (Telegram channels), so the operator subscribes them here. The
platforms read the target (``Platforms.find_chat``: a Telegram chat ID or @username); this
module keeps the rules of subscribing, whatever the platform.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TextIO

from bot.errors import DigestbotError
from bot.models import Chat, ChatLang
from bot.store.state import StateStore
from bot.subscriptions import ui_lang_for


def subscribe(state: StateStore, found: Chat, lang: ChatLang | None, now: datetime) -> Chat:
    """Subscribe the chat a platform found (``found``: its platform, id and title), keeping
    what is stored of it."""
    chat = state.chat(found.platform, found.chat_id) or found
    new_lang: ChatLang = lang or chat.lang
    chat = replace(
        chat,
        subscribed=True,
        lang=new_lang,
        ui_lang=ui_lang_for(new_lang, chat.ui_lang),
        title=found.title or chat.title,
        subscribed_at=chat.subscribed_at if chat.subscribed else now,
    )
    state.save_chat(chat)
    return chat


def unsubscribe(state: StateStore, found: Chat) -> Chat:
    chat = state.chat(found.platform, found.chat_id)
    if chat is None or not chat.subscribed:
        raise DigestbotError(f"chat {found.chat_id} is not subscribed")
    chat = replace(chat, subscribed=False)
    state.save_chat(chat)
    return chat


def list_chats(state: StateStore, out: TextIO) -> None:
    for chat in state.chats():
        times = ",".join(chat.digest_times) or "default"
        out.write(
            f"{chat.platform}\t{chat.chat_id}\t"
            f"{'subscribed' if chat.subscribed else 'unsubscribed'}\t{chat.lang}\t"
            f"times={times}\ttz={chat.timezone or 'default'}\t"
            f"alerts={'on' if chat.alerts else 'off'}\t{chat.title}\n"
        )
