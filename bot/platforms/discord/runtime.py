"""Starting and stopping Discord for ``digestbot run``: the bot (REST for posting, the gateway for
slash commands) when a token is configured, and the webhook channels the operator listed.

::

    start_discord(svc)
        token     → DigestbotClient.login (REST; syncs the slash commands)
                    connect()                          ── background task: the gateway
                    DiscordChannel(client)             ── platform "discord"
        webhooks  → one chat per webhook, subscribed while it is in the config
                    DiscordWebhookChannel(session)     ── platform "discord-webhook"
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord import app_commands
from discord.app_commands import AppCommandError

from bot.config import DiscordWebhookSettings
from bot.delivery.channel import Channel
from bot.errors import DigestbotError
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest
from bot.platforms.discord.channel import DiscordChannel, DiscordWebhookChannel
from bot.platforms.discord.commands import DiscordCommands
from bot.platforms.discord.more import DiscordMore
from bot.platforms.discord.platform import WEBHOOK_PLATFORM
from bot.platforms.discord.slash import CatalogTranslator, build_commands
from bot.store.state import StateStore
from bot.subscriptions import ui_lang_for

if TYPE_CHECKING:
    from bot.platforms.base import Services

log = logging.getLogger(__name__)


class CommandTree(app_commands.CommandTree["DigestbotClient"]):
    """The slash commands; a handler that fails is logged and its member told so."""

    async def on_error(
        self, interaction: discord.Interaction[DigestbotClient], error: AppCommandError, /
    ) -> None:
        log.error("discord command failed", exc_info=error)
        catalog = self.client.catalog
        text = f"{catalog.t('en', 'bot.error')}\n{catalog.t('ar', 'bot.error')}"
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)


class DigestbotClient(discord.Client):
    """A discord.py client with no gateway intents (slash commands need none) and the
    slash-command tree; mentions are never allowed."""

    def __init__(
        self,
        *,
        commands: DiscordCommands,
        catalog: Catalog,
        sync_commands: bool,
        max_ratelimit_wait_s: float,
    ) -> None:
        super().__init__(
            intents=discord.Intents.none(),
            max_ratelimit_timeout=max_ratelimit_wait_s,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.tree: app_commands.CommandTree[DigestbotClient] = CommandTree(self)
        for command in build_commands(commands):
            self.tree.add_command(command)
        self.catalog = catalog
        self._sync_commands = sync_commands
        self.more: DiscordMore | None = None
        """Answers the digests' "more" buttons (set once the bot's channel exists)."""

    async def on_interaction(self, interaction: discord.Interaction[DigestbotClient]) -> None:
        """Every interaction; the slash commands are the tree's, the "more" buttons here."""
        if self.more is not None:
            await self.more.on_interaction(interaction)

    async def setup_hook(self) -> None:
        """Runs inside ``login``: the translator, then the commands' sync with Discord."""
        await self.tree.set_translator(CatalogTranslator(self.catalog))
        if self._sync_commands:
            synced = await self.tree.sync()
            log.info("discord: %d slash commands synced", len(synced))


def sync_webhook_chats(
    state: StateStore, webhooks: Sequence[DiscordWebhookSettings], now: datetime
) -> None:
    """One subscribed chat per configured webhook (its id, name and language); a webhook that
    left the config is unsubscribed."""
    configured = {webhook.webhook_id: webhook for webhook in webhooks}
    for old in state.chats(platform=WEBHOOK_PLATFORM):
        if old.chat_id not in configured and old.subscribed:
            state.save_chat(replace(old, subscribed=False))
    for webhook_id, webhook in configured.items():
        chat = state.chat(WEBHOOK_PLATFORM, webhook_id)
        lang: ChatLang = webhook.lang
        wanted = Chat(
            platform=WEBHOOK_PLATFORM,
            chat_id=webhook_id,
            lang=lang,
            ui_lang=ui_lang_for(lang),
            subscribed=True,
            title=webhook.name,
            subscribed_at=now,
        )
        if chat is None:
            state.save_chat(wanted)
        elif (chat.subscribed, chat.lang, chat.title) != (True, lang, webhook.name):
            subscribed_at = chat.subscribed_at if chat.subscribed else now
            state.save_chat(
                replace(
                    chat,
                    subscribed=True,
                    lang=lang,
                    ui_lang=wanted.ui_lang,
                    title=webhook.name,
                    subscribed_at=subscribed_at,
                )
            )


def discord_commands(svc: Services) -> DiscordCommands:
    hours = svc.settings.digest.initial_hours

    def latest(lang: ChatLang) -> Digest:
        now = svc.now()
        return svc.digests.digest(lang=lang, since=now - timedelta(hours=hours), until=now)

    return DiscordCommands(
        state=svc.state,
        archive=svc.archive,
        catalog=svc.catalog,
        expand=svc.matcher.alias_expander(),
        latest=latest,
        latest_hours=hours,
        default_lang=svc.settings.digest.default_lang,
        digest_times=svc.settings.schedule.digest_times,
        timezone=svc.settings.schedule.timezone,
        now=svc.now,
        sources=svc.settings.feed_sources(),
    )


@dataclass
class DiscordRuntime:
    """The running Discord parts; ``channels`` is empty when Discord is not configured."""

    channels: list[Channel] = field(default_factory=list)
    client: DigestbotClient | None = None
    session: aiohttp.ClientSession | None = None
    gateway: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.gateway is not None:
            # how the gateway ended is logged by _log_gateway_end
            errors = (TimeoutError, asyncio.CancelledError, discord.DiscordException, OSError)
            with contextlib.suppress(*errors):
                await asyncio.wait_for(self.gateway, timeout=10)
        if self.session is not None:
            await self.session.close()


def _log_gateway_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("discord gateway stopped: %s (slash commands are off; posting goes on)", error)


async def start_discord(svc: Services, *, gateway: bool = True) -> DiscordRuntime:
    """Log in the bot (and connect to the gateway, for slash commands) when a token is set, and
    open the configured webhooks. Raises ``DigestbotError`` for a bad token or no connection."""
    settings = svc.settings.discord
    runtime = DiscordRuntime()
    try:
        if settings.webhooks:
            sync_webhook_chats(svc.state, settings.webhooks, svc.now())
            runtime.session = aiohttp.ClientSession()
            urls = {w.webhook_id: w.url.get_secret_value() for w in settings.webhooks}
            runtime.channels.append(DiscordWebhookChannel.from_urls(urls, runtime.session))
            log.info("discord: %d webhooks", len(urls))
        if settings.enabled:
            assert settings.token is not None
            client = DigestbotClient(
                commands=discord_commands(svc),
                catalog=svc.catalog,
                sync_commands=settings.sync_commands,
                max_ratelimit_wait_s=settings.max_ratelimit_wait_s,
            )
            runtime.client = client
            await client.login(settings.token.get_secret_value())
            channel = DiscordChannel(client)
            client.more = DiscordMore(
                state=svc.state, digests=svc.digests, catalog=svc.catalog, channel=channel
            )
            runtime.channels.append(channel)
            if gateway:
                runtime.gateway = asyncio.create_task(client.connect(reconnect=True))
                runtime.gateway.add_done_callback(_log_gateway_end)
    except discord.LoginFailure:
        await runtime.close()
        raise DigestbotError("Discord: the bot token was refused") from None
    except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
        await runtime.close()
        raise DigestbotError(f"Discord: {exc}") from None
    return runtime
