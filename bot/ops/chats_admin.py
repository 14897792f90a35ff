"""Operator commands for chats: `digestbot subscribe @channel|ID [--lang]`, `unsubscribe`,
`chats list`.

Channels cannot type /subscribe, so the operator subscribes them here. A numeric ID needs no
network; an @username is resolved with getChat through the Bot API and the configured token.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TextIO

from telegram import Bot
from telegram.error import TelegramError

from bot.errors import DigestbotError
from bot.models import Chat, ChatLang
from bot.store.state import StateStore

_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


def parse_target(target: str) -> int | str:
    """A numeric chat ID, or an @username to resolve; anything else is refused."""
    text = target.strip()
    if re.fullmatch(r"-?\d{1,20}", text):
        return int(text)
    if _USERNAME.match(text):
        return text
    raise DigestbotError(f"{target!r} is neither a chat ID nor an @username")


async def resolve(target: str, token: str | None, base_url: str) -> tuple[int, str]:
    """The chat ID and title of ``target``; @usernames ask Telegram (getChat)."""
    parsed = parse_target(target)
    if isinstance(parsed, int):
        return parsed, ""
    if token is None:
        raise DigestbotError("resolving an @username needs [telegram] token")
    try:
        async with Bot(token, base_url=base_url) as bot:
            chat = await bot.get_chat(parsed)
    except TelegramError as exc:
        raise DigestbotError(f"{parsed}: Telegram says: {exc.message}") from None
    return chat.id, chat.title or chat.username or ""


def subscribe(
    state: StateStore, chat_id: int, title: str, lang: ChatLang | None, now: datetime
) -> Chat:
    chat = state.chat("telegram", chat_id) or Chat(platform="telegram", chat_id=chat_id)
    new_lang: ChatLang = lang or chat.lang
    chat = replace(
        chat,
        subscribed=True,
        lang=new_lang,
        ui_lang=chat.ui_lang if new_lang == "both" else new_lang,
        title=title or chat.title,
        subscribed_at=chat.subscribed_at if chat.subscribed else now,
    )
    state.save_chat(chat)
    return chat


def unsubscribe(state: StateStore, chat_id: int) -> Chat:
    chat = state.chat("telegram", chat_id)
    if chat is None or not chat.subscribed:
        raise DigestbotError(f"chat {chat_id} is not subscribed")
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
