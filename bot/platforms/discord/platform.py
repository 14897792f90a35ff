"""Discord as a platform of the registry (``bot.platforms.base.Platform``): a bot posting to
channels (and taking slash commands), and the webhooks the operator configured.

Light on purpose: rendering is pure (``bot.platforms.discord.render``), and discord.py is loaded
only when Discord starts (``bot.platforms.discord.runtime``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.digest.render import Part
from bot.digest.watch_alerts import WatchAlert
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem, Digits
from bot.platforms.discord.render import (
    add_more_hint,
    discord_parts,
    more_components,
    render_discord_alert,
    render_discord_watch,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.digest.more import MoreOffer
    from bot.platforms.base import Runtime, Services

BOT_PLATFORM = "discord"
"""The platform name of the channels the bot posts to with its token."""
WEBHOOK_PLATFORM = "discord-webhook"
"""The platform name of the configured webhooks (one chat each)."""


class DiscordPlatform:
    names = (BOT_PLATFORM, WEBHOOK_PLATFORM)

    def render_digest(self, digest: Digest, catalog: Catalog) -> list[Part]:
        return discord_parts(digest, catalog)

    def offer_more(
        self, name: str, parts: list[str], offer: MoreOffer, catalog: Catalog
    ) -> tuple[list[str], list[str | None]]:
        """A component button under the last message in the bot's channels; a webhook cannot
        receive a button's interaction, so its last message hints ``/latest`` instead."""
        if name == WEBHOOK_PLATFORM:
            return [*parts[:-1], add_more_hint(parts[-1], offer.lang, catalog)], [None] * len(parts)
        components = json.dumps(more_components(offer, catalog), ensure_ascii=False)
        return parts, [None] * (len(parts) - 1) + [components]

    def render_alert(
        self,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str:
        return render_discord_alert(
            item, lang=lang, sources=sources, catalog=catalog, digits=digits
        )

    def render_watch(self, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
        return render_discord_watch(alert, lang=lang, catalog=catalog)

    def configured(self, settings: Settings) -> bool:
        return settings.discord.enabled or bool(settings.discord.webhooks)

    async def start(self, svc: Services, *, commands: bool) -> Runtime:
        """The bot over REST, with the gateway for slash commands when ``commands``; the
        webhooks."""
        from bot.platforms.discord.runtime import start_discord

        return await start_discord(svc, gateway=commands)

    async def find_chat(self, target: str, settings: Settings) -> Chat | None:
        return None  # channels subscribe with /subscribe, webhooks in the config
