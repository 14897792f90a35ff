"""Starting and stopping Telegram, and finding a chat the operator names.

::

    start_telegram(svc, commands=False)   initialize (getMe)            ``digestbot once``
    start_telegram(svc, commands=True)    initialize, command menus,
                                          start, long polling           ``digestbot run``
    find_chat("@name")                    getChat with the configured token
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application

from bot.config import Settings
from bot.delivery.channel import Channel
from bot.delivery.pacing import RateLimits
from bot.errors import DigestbotError
from bot.models import Chat
from bot.platforms.telegram.channel import (
    TELEGRAM_LIMITS,
    TelegramChannel,
    build_application,
    telegram_limits,
)
from bot.platforms.telegram.commands import TelegramCommands
from bot.platforms.telegram.more import TelegramMore
from bot.platforms.telegram.platform import TELEGRAM

if TYPE_CHECKING:
    from bot.platforms.base import Services

_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


def telegram_application(svc: Services) -> Application:  # type: ignore[type-arg]
    """The Application with the bot's commands installed (not yet initialized)."""
    token = svc.settings.telegram.token
    assert token is not None
    application = build_application(token.get_secret_value(), svc.settings.telegram.base_url)
    commands = TelegramCommands(
        state=svc.state,
        archive=svc.archive,
        catalog=svc.catalog,
        expand=svc.matcher.alias_expander(),
        digest_times=", ".join(svc.settings.schedule.digest_times),
        now=svc.now,
        timezone=svc.settings.schedule.timezone,
        sources=svc.settings.feed_sources(),
    )
    commands.install(application)
    TelegramMore(state=svc.state, digests=svc.digests, catalog=svc.catalog).install(application)
    application.bot_data["commands"] = commands
    return application


@dataclass
class TelegramRuntime:
    application: Application  # type: ignore[type-arg]
    limits: RateLimits = TELEGRAM_LIMITS
    channels: Sequence[Channel] = field(init=False)

    def __post_init__(self) -> None:
        self.channels = [TelegramChannel(self.application.bot, self.limits)]

    async def close(self) -> None:
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


async def start_telegram(svc: Services, *, commands: bool) -> TelegramRuntime:
    """Initialize the bot (checks the token); with ``commands`` also set the command menus and
    poll for updates. Raises ``DigestbotError`` when Telegram refuses or cannot be reached."""
    application = telegram_application(svc)
    try:
        await application.initialize()
    except TelegramError as exc:
        raise DigestbotError(f"Telegram: {exc}") from None
    # the sender leaves [telegram] reply_share of Telegram's rate for replies to commands
    runtime = TelegramRuntime(application, telegram_limits(svc.settings.telegram.reply_share))
    if commands:
        try:
            await application.bot_data["commands"].register_menus(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(drop_pending_updates=False)
        except BaseException:
            await runtime.close()
            raise
    return runtime


def parse_target(target: str) -> int | str:
    """A numeric chat ID, or an @username to resolve; anything else is refused."""
    text = target.strip()
    if re.fullmatch(r"-?\d{1,20}", text):
        return int(text)
    if _USERNAME.match(text):
        return text
    raise DigestbotError(f"{target!r} is neither a chat ID nor an @username")


async def find_chat(target: str, settings: Settings) -> Chat:
    """The Telegram chat ``target`` names; @usernames ask Telegram (getChat)."""
    parsed = parse_target(target)
    if isinstance(parsed, int):
        return Chat(platform=TELEGRAM, chat_id=parsed)
    token = settings.telegram.token
    if token is None:
        raise DigestbotError("resolving an @username needs [telegram] token")
    try:
        async with Bot(token.get_secret_value(), base_url=settings.telegram.base_url) as bot:
            chat = await bot.get_chat(parsed)
    except TelegramError as exc:
        raise DigestbotError(f"{parsed}: Telegram says: {exc.message}") from None
    return Chat(platform=TELEGRAM, chat_id=chat.id, title=chat.title or chat.username or "")
