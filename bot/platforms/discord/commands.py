"""Discord slash commands: /subscribe, /unsubscribe, /settings, /search, /watch, /unwatch,
/latest, /sources (watch lists in ``bot.platforms.discord.watch``).

A Discord chat is a channel (``Chat(platform="discord", chat_id=<channel id>)``). Changing a
channel's subscription or settings takes the Manage Channel permission: Discord hides those
commands from other members (``default_permissions``) and the handlers check it again, since a
server can override what Discord shows. Search results and /latest are ephemeral (only the
member who asked sees them); search pages turn with buttons.

Discord has no Arabic client locale, so the names and descriptions Discord shows by default are
bilingual (English · Arabic), and English clients get the English text alone through a
``Translator``. Replies follow the channel's language, from the message catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import discord

from bot.digest.labels import Labels, builtin_labels
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, FeedSource, SearchHit
from bot.platforms.discord.platform import BOT_PLATFORM
from bot.platforms.discord.render import (
    MAX_CONTENT,
    clip,
    escape_markdown,
    render_discord_messages,
)
from bot.platforms.discord.search import MAX_QUERY, SearchView, search_embed
from bot.platforms.discord.settings import (
    SettingError,
    parse_digits,
    parse_lang,
    parse_times,
    parse_timezone,
)
from bot.platforms.discord.watch import DiscordWatch
from bot.platforms.sources import sources_lines
from bot.search.help import bad_filters, bad_filters_message
from bot.search.query import AliasExpander
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.subscriptions import ui_lang_for

log = logging.getLogger(__name__)

COMMANDS = (
    "subscribe",
    "unsubscribe",
    "settings",
    "search",
    "watch",
    "unwatch",
    "latest",
    "sources",
)


LatestDigest = Callable[[ChatLang], Digest]
"""The stories of the last hours in the given language(s), as a digest."""


class DiscordCommands:
    """The command handlers, bound to the stores they use."""

    def __init__(
        self,
        *,
        state: StateStore,
        archive: Archive,
        catalog: Catalog,
        expand: AliasExpander,
        latest: LatestDigest,
        latest_hours: int,
        default_lang: ChatLang,
        digest_times: Sequence[str],
        timezone: str,
        now: Callable[[], datetime],
        sources: Sequence[FeedSource] = (),
        labels: Labels | None = None,
    ) -> None:
        self.state = state
        self.archive = archive
        self.catalog = catalog
        self.expand = expand
        self.latest_digest = latest
        self.latest_hours = latest_hours
        self.default_lang = default_lang
        self.digest_times = tuple(digest_times)
        self.timezone = timezone
        self.now = now
        self.feeds = tuple(sources)
        self.labels = labels or builtin_labels()
        self.watching = DiscordWatch(self)

    # helpers

    def chat(self, interaction: discord.Interaction[Any]) -> Chat:
        channel_id = interaction.channel_id
        assert channel_id is not None
        chat = self.state.chat(BOT_PLATFORM, channel_id)
        if chat is None:
            channel = interaction.channel
            chat = Chat(
                platform=BOT_PLATFORM,
                chat_id=channel_id,
                lang=self.default_lang,
                ui_lang=ui_lang_for(self.default_lang),
                title=str(getattr(channel, "name", "") or ""),
            )
        return chat

    def _schedule(self, chat: Chat) -> str:
        times = ", ".join(chat.digest_times or self.digest_times)
        return f"{times} ({chat.timezone or self.timezone})"

    def _language(self, chat: Chat) -> str:
        return self.catalog.t(chat.ui_lang, f"bot.lang_{chat.lang}")

    def _digits(self, chat: Chat) -> str:
        return self.catalog.t(chat.ui_lang, f"bot.digits_{chat.digits}")

    async def _reply(
        self, interaction: discord.Interaction[Any], text: str, *, ephemeral: bool = False
    ) -> None:
        await interaction.response.send_message(
            text, ephemeral=ephemeral, allowed_mentions=discord.AllowedMentions.none()
        )

    async def _may_manage(self, interaction: discord.Interaction[Any], chat: Chat) -> bool:
        if interaction.guild_id is None or interaction.permissions.manage_channels:
            return True
        await self._reply(
            interaction, self.catalog.t(chat.ui_lang, "discord.manage_only"), ephemeral=True
        )
        return False

    # commands

    async def subscribe(self, interaction: discord.Interaction[Any], language: str | None) -> None:
        chat = self.chat(interaction)
        if not await self._may_manage(interaction, chat):
            return
        lang = parse_lang(language) if language else chat.lang
        if chat.subscribed and lang == chat.lang:
            await self._reply(interaction, self.catalog.t(chat.ui_lang, "bot.already_subscribed"))
            return
        chat = replace(
            chat,
            subscribed=True,
            lang=lang,
            ui_lang=ui_lang_for(lang, chat.ui_lang),
            subscribed_at=chat.subscribed_at if chat.subscribed else self.now(),
        )
        self.state.save_chat(chat)
        log.info("discord channel %s subscribed (%s)", chat.chat_id, chat.lang)
        times, language = self._schedule(chat), self._language(chat)
        text = self.catalog.t(chat.ui_lang, "bot.subscribed", times=times, language=language)
        await self._reply(interaction, text)

    async def unsubscribe(self, interaction: discord.Interaction[Any]) -> None:
        chat = self.chat(interaction)
        if not await self._may_manage(interaction, chat):
            return
        if not chat.subscribed:
            await self._reply(interaction, self.catalog.t(chat.ui_lang, "bot.not_subscribed"))
            return
        self.state.save_chat(replace(chat, subscribed=False))
        log.info("discord channel %s unsubscribed", chat.chat_id)
        await self._reply(interaction, self.catalog.t(chat.ui_lang, "bot.unsubscribed"))

    async def settings(
        self,
        interaction: discord.Interaction[Any],
        language: str | None = None,
        times: str | None = None,
        timezone: str | None = None,
        digits: str | None = None,
    ) -> None:
        """Show the channel's settings, or change those given; nothing changes when any given
        value is invalid."""
        chat = self.chat(interaction)
        if language is None and times is None and timezone is None and digits is None:
            text = self.catalog.t(
                chat.ui_lang,
                "discord.settings_current",
                language=self._language(chat),
                times=self._schedule(chat),
                numerals=self._digits(chat),
            )
            await self._reply(interaction, text, ephemeral=True)
            return
        if not await self._may_manage(interaction, chat):
            return
        try:
            new = chat
            if language is not None:
                lang = parse_lang(language)
                new = replace(new, lang=lang, ui_lang=ui_lang_for(lang, chat.ui_lang))
            if times is not None:
                new = replace(new, digest_times=parse_times(times))
            if timezone is not None:
                new = replace(new, timezone=parse_timezone(timezone))
            if digits is not None:
                new = replace(new, digits=parse_digits(digits))
        except SettingError as exc:
            text = self.catalog.t(chat.ui_lang, exc.key, value=exc.value[:100])
            await self._reply(interaction, text, ephemeral=True)
            return
        self.state.save_chat(new)
        text = self.catalog.t(
            new.ui_lang,
            "discord.settings_saved",
            language=self._language(new),
            times=self._schedule(new),
            numerals=self._digits(new),
        )
        await self._reply(interaction, text)

    async def _search(self, query: str, limit: int, offset: int) -> list[SearchHit]:
        # off the event loop: a slow query must not hold the gateway's heartbeat
        return await self.archive.search_off_loop(
            query, limit=limit, offset=offset, expand=self.expand
        )

    async def search(self, interaction: discord.Interaction[Any], query: str) -> None:
        chat = self.chat(interaction)
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            await self._reply(
                interaction, self.catalog.t(chat.ui_lang, "bot.search_usage"), ephemeral=True
            )
            return
        bad = bad_filters(query)
        if bad:
            text = bad_filters_message(self.catalog, chat.ui_lang, bad)
            await self._reply(interaction, text, ephemeral=True)
            return
        view = SearchView(search=self._search, query=query, lang=chat.ui_lang, catalog=self.catalog)
        hits, has_next = await view.fetch(0)
        if not hits:
            view.stop()
            text = self.catalog.t(chat.ui_lang, "bot.search_none", query=query)
            await self._reply(interaction, text, ephemeral=True)
            return
        view.enable(has_next)
        await interaction.response.send_message(
            embed=search_embed(hits, query, 0, chat.ui_lang, self.catalog),
            view=view,
            ephemeral=True,
        )

    async def latest(self, interaction: discord.Interaction[Any]) -> None:
        chat = self.chat(interaction)
        digest = replace(self.latest_digest(chat.lang), digits=chat.digits)
        if not digest.items:
            text = self.catalog.t(chat.ui_lang, "discord.latest_none", hours=self.latest_hours)
            await self._reply(interaction, text, ephemeral=True)
            return
        messages = render_discord_messages(digest, self.catalog)
        for index, message in enumerate(messages):
            embeds = [discord.Embed.from_dict(embed) for embed in message["embeds"]]
            content = message.get("content") or discord.utils.MISSING
            if index == 0:
                await interaction.response.send_message(
                    content,
                    embeds=embeds,
                    ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            else:
                await interaction.followup.send(
                    content,
                    embeds=embeds,
                    ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none(),
                )

    async def sources(self, interaction: discord.Interaction[Any]) -> None:
        """The configured feeds, each with its outlet's label; only the member who asked sees
        it."""
        chat = self.chat(interaction)
        lines = sources_lines(self.feeds, self.labels, chat.ui_lang, self.catalog)
        text = "\n".join(escape_markdown(line) for line in lines)
        await self._reply(interaction, clip(text, MAX_CONTENT), ephemeral=True)
