"""Telegram as a platform of the registry (``bot.platforms.base.Platform``).

Light on purpose: rendering is pure (``bot.platforms.telegram.render``), and python-telegram-bot
is loaded only when Telegram starts or resolves an @username (``bot.platforms.telegram.runtime``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.digest.render import Part
from bot.digest.watch_alerts import WatchAlert
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem, Digits
from bot.platforms.telegram.render import (
    render_telegram_alert,
    render_telegram_watch,
    telegram_parts,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.digest.more import MoreOffer
    from bot.platforms.base import Runtime, Services

TELEGRAM = "telegram"
"""The platform name of Telegram's chats (users, groups and channels)."""


def more_keyboard(offer: MoreOffer, catalog: Catalog) -> str:
    """The "Show 20 more" inline keyboard as Bot API JSON (what the outbox keeps)."""
    button = {"text": offer.label(catalog), "callback_data": offer.data}
    return json.dumps({"inline_keyboard": [[button]]}, ensure_ascii=False)


class TelegramPlatform:
    names = (TELEGRAM,)

    def render_digest(self, digest: Digest, catalog: Catalog) -> list[Part]:
        return telegram_parts(digest, catalog)

    def offer_more(
        self, name: str, parts: list[str], offer: MoreOffer, catalog: Catalog
    ) -> tuple[list[str], list[str | None]]:
        """An inline button under the last part; its callback data is ``more:TOKEN:OFFSET``."""
        return parts, [None] * (len(parts) - 1) + [more_keyboard(offer, catalog)]

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
