"""Telegram as a platform of the registry (``bot.platforms.base.Platform``).

Light on purpose: rendering is pure (``bot.platforms.telegram.render``), and python-telegram-bot
is loaded only when Telegram starts or resolves an @username (``bot.platforms.telegram.runtime``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.digest.watch_alerts import WatchAlert
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem, Digits
from bot.platforms.telegram.render import (
    render_telegram,
    render_telegram_alert,
    render_telegram_watch,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.platforms.base import Runtime, Services

TELEGRAM = "telegram"
"""The platform name of Telegram's chats (users, groups and channels)."""


class TelegramPlatform:
    names = (TELEGRAM,)

    def render_digest(self, digest: Digest, catalog: Catalog) -> list[str]:
        return render_telegram(digest, catalog)

    def render_alert(
        self,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str:
        return render_telegram_alert(
            item, lang=lang, sources=sources, catalog=catalog, digits=digits
        )

    def render_watch(self, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
        return render_telegram_watch(alert, lang=lang, catalog=catalog)

    def configured(self, settings: Settings) -> bool:
        return settings.telegram.enabled

    async def start(self, svc: Services, *, commands: bool) -> Runtime:
        from bot.platforms.telegram.runtime import start_telegram

        return await start_telegram(svc, commands=commands)

    async def find_chat(self, target: str, settings: Settings) -> Chat | None:
        """A numeric chat id, or an @username resolved with getChat (channels cannot type
        /subscribe, so the operator subscribes them by name)."""
        from bot.platforms.telegram.runtime import find_chat

        return await find_chat(target, settings)
