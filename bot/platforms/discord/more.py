"""The "Show 20 more" button under a digest in a channel the bot posts to: a press sends the
next page of the digest's rest as new messages (``bot.pipeline.pages``), with its own button
while more remain; the press is acknowledged without editing the message it is under. A stale
or unknown token, or a page sent before, is answered with a short note only the member sees.
Webhooks get no button (they cannot receive its interaction): their digests hint ``/latest``.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.delivery.channel import Channel
from bot.digest.more import PREFIX
from bot.errors import DeliveryError
from bot.i18n import Catalog
from bot.models import Chat
from bot.pipeline.digests import DigestQueue
from bot.pipeline.pages import give_back, next_page
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.store.state import StateStore

log = logging.getLogger(__name__)


def pressed_more(interaction: discord.Interaction[Any]) -> str | None:
    """The ``custom_id`` of a press on a "more" button, or None for any other interaction."""
    if interaction.type is not discord.InteractionType.component:
        return None
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    if isinstance(custom_id, str) and custom_id.startswith(f"{PREFIX}:"):
        return custom_id
    return None


class DiscordMore:
    """Answers the presses of ``more:TOKEN:OFFSET`` buttons; sends the pages through
    ``channel`` (the bot's ``DiscordChannel``)."""

    def __init__(
        self, *, state: StateStore, digests: DigestQueue, catalog: Catalog, channel: Channel
    ) -> None:
        self.state = state
        self.digests = digests
        self.catalog = catalog
        self.channel = channel

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        custom_id = pressed_more(interaction)
        channel_id = interaction.channel_id
        if custom_id is None or channel_id is None:
            return
        chat = self.state.chat(BOT_PLATFORM, channel_id) or Chat(
            platform=BOT_PLATFORM, chat_id=channel_id
        )
        page = next_page(self.digests, chat, custom_id)
        if isinstance(page, str):  # "stale" or "sent": a note, never an error
            note = self.catalog.t(chat.ui_lang, f"bot.more.{page}")
            await interaction.response.send_message(note, ephemeral=True)
            return
        await interaction.response.defer()  # acknowledged; the message pressed stays as it is
        for sent, (text, markup) in enumerate(zip(page.parts, page.markups, strict=True)):
            try:
                await self.channel.send(channel_id, text, markup=markup)
            except DeliveryError as exc:
                # nothing of the page went out: the next press sends it (once something did,
                # a second press would repeat it)
                if not sent:
                    give_back(self.digests, page)
                log.warning("discord: a page of more stories was refused: %s", exc)
                return
