"""Discord delivery through discord.py: to channels with a bot token, or through webhooks.

An outbox row for Discord holds one message as JSON (``{"content": …, "embeds": […]}``, see
``bot.platforms.discord.render``). Mentions are never allowed: a feed's ``@everyone`` stays text.

Rate limits: discord.py waits out a 429 itself (its ``Retry-After``) up to the client's
``max_ratelimit_timeout`` and retries; a longer wait comes back as ``RetryLaterError`` and the
delivery loop waits, so nothing is dropped. 403 and "Unknown Channel" (404, code 10003) mean the
bot lost the channel: ``ChatGoneError``, which unsubscribes it. For a webhook, 404 or 401 means
it was deleted or its token changed.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.delivery.channel import ChatGoneError, RetryLaterError, TransientDeliveryError
from bot.delivery.pacing import RateLimits
from bot.errors import DeliveryError
from bot.platforms.discord.platform import BOT_PLATFORM, WEBHOOK_PLATFORM

if TYPE_CHECKING:
    from discord.types.message import MessageReference as MessageReferencePayload

UNKNOWN_CHANNEL = 10003
UNKNOWN_WEBHOOK = 10015
NO_MENTIONS = discord.AllowedMentions.none()

DISCORD_LIMITS = RateLimits(overall=40, chat_interval=0.0, group=5, group_period=5.0)
"""A Discord bot: 50 requests a second globally (40 for digests, the rest for slash commands);
about 5 messages per 5 seconds in one channel. discord.py also waits out any 429 itself."""

DISCORD_WEBHOOK_LIMITS = RateLimits(overall=40, chat_interval=0.4, group=30, group_period=60.0)
"""A Discord webhook: 5 requests per 2 seconds and about 30 messages a minute per channel."""


def every_chat(chat_id: int) -> bool:
    """Discord counts every channel (and webhook) alike: each has its own message bucket, which
    the group pace keeps."""
    return True


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    content: str | None
    embeds: list[discord.Embed]


def parse_payload(text: str) -> DiscordMessage:
    """An outbox row's JSON as what discord.py sends; ``DeliveryError`` when it is not one."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        embeds = [discord.Embed.from_dict(embed) for embed in data.get("embeds") or []]
        content = data.get("content") or None
        if content is not None and not isinstance(content, str):
            raise TypeError("content is not a string")
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise DeliveryError(f"not a Discord message payload: {exc}") from None
    if content is None and not embeds:
        raise DeliveryError("an empty Discord message")
    return DiscordMessage(content=content, embeds=embeds)


def retry_after(exc: discord.HTTPException) -> float:
    """Seconds to wait after a 429 that discord.py handed back."""
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else 1.0
    except ValueError:
        return 1.0


def _translate(exc: Exception, *, gone_codes: frozenset[int]) -> Exception:
    """A discord.py or network error as one of the ``Channel`` errors."""
    if isinstance(exc, discord.RateLimited):
        return RetryLaterError(str(exc), exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        return ChatGoneError(f"403 {exc.text or 'Forbidden'}")
    if isinstance(exc, discord.NotFound):
        if exc.code in gone_codes:
            return ChatGoneError(f"404 {exc.text or 'Not Found'} (code {exc.code})")
        return DeliveryError(f"404 {exc.text} (code {exc.code})")
    if isinstance(exc, discord.DiscordServerError):
        return TransientDeliveryError(f"{exc.status} {exc.text}")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return RetryLaterError(f"429 {exc.text}", retry_after(exc))
        return DeliveryError(f"{exc.status} {exc.text} (code {exc.code})")
    return TransientDeliveryError(f"network: {redact(repr(exc))}")


_WEBHOOK_TOKEN = re.compile(r"(/webhooks/\d+/)[^/?\s'\"]+")


def redact(text: str) -> str:
    """``text`` without any webhook token (a webhook URL is a secret)."""
    return _WEBHOOK_TOKEN.sub(r"\1…", text)


_NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


class _Reply(discord.MessageReference):
    """A reply's ``message_reference`` with its ids as strings, as Discord's API spec types a
    snowflake (discord.py writes JSON numbers, which JavaScript-based readers round above 2^53)."""

    def to_message_reference_dict(self) -> MessageReferencePayload:
        payload = self.to_dict()
        for key in ("message_id", "channel_id", "guild_id"):
            if payload.get(key) is not None:
                payload[key] = str(payload[key])
        return payload


def buttons(markup: str | None) -> discord.ui.View | None:
    """An outbox part's components (action rows of buttons, as JSON) as a discord.py view.

    The view is stopped before it is sent: discord.py then keeps no copy of it in memory per
    message (one per digest, for ever); the client answers the presses itself
    (``bot.platforms.discord.more``), after a restart too."""
    if not markup:
        return None
    try:
        view = discord.ui.View(timeout=None)
        for row, action_row in enumerate(json.loads(markup)):
            for component in action_row["components"]:
                view.add_item(
                    discord.ui.Button(
                        style=discord.ButtonStyle(component.get("style", 2)),
                        label=component["label"],
                        custom_id=component["custom_id"],
                        row=row,
                    )
                )
    except (ValueError, TypeError, KeyError) as exc:
        raise DeliveryError(f"not Discord components: {exc}") from None
    view.stop()
    return view


class DiscordChannel:
    """Posts to Discord channels by id with the bot's token (REST only: no gateway needed)."""

    platform = BOT_PLATFORM
    limits = DISCORD_LIMITS

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    is_group = staticmethod(every_chat)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        message = parse_payload(text)
        target = self._client.get_partial_messageable(thread_id or chat_id)
        view = buttons(markup)
        try:
            options: dict[str, Any] = {}
            if reply_to is not None:
                # an update references the message that first carried its story; a message
                # deleted since must not stop the update
                options["reference"] = _Reply(
                    message_id=reply_to, channel_id=thread_id or chat_id, fail_if_not_exists=False
                )
            if view is not None:
                options["view"] = view
            sent = await target.send(
                content=message.content,
                embeds=message.embeds,
                allowed_mentions=NO_MENTIONS,
                **options,
            )
        except (discord.DiscordException, *_NETWORK_ERRORS) as exc:
            raise _translate(exc, gone_codes=frozenset({UNKNOWN_CHANNEL})) from exc
        return sent.id


class DiscordWebhookChannel:
    """Posts through the channel webhooks the operator configured; ``chat_id`` is the webhook's
    id. Needs neither a bot token nor the gateway. A webhook cannot reply to a message: an
    update is sent without ``reply_to``."""

    platform = WEBHOOK_PLATFORM
    limits = DISCORD_WEBHOOK_LIMITS

    def __init__(self, webhooks: Mapping[int, discord.Webhook]) -> None:
        self._webhooks = dict(webhooks)

    is_group = staticmethod(every_chat)

    @classmethod
    def from_urls(
        cls, urls: Mapping[int, str], session: aiohttp.ClientSession
    ) -> DiscordWebhookChannel:
        return cls(
            {
                webhook_id: discord.Webhook.from_url(url, session=session)
                for webhook_id, url in urls.items()
            }
        )

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        webhook = self._webhooks.get(chat_id)
        if webhook is None:
            raise ChatGoneError("this webhook is no longer in the config")
        message = parse_payload(text)
        try:
            sent = await webhook.send(
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds,
                allowed_mentions=NO_MENTIONS,
                thread=discord.Object(thread_id) if thread_id else discord.utils.MISSING,
                wait=True,
            )
        except discord.HTTPException as exc:
            if exc.status == 401:  # the webhook's token was reset
                raise ChatGoneError(f"401 {exc.text} (code {exc.code})") from exc
            raise _translate(exc, gone_codes=frozenset({UNKNOWN_WEBHOOK})) from exc
        except (discord.DiscordException, *_NETWORK_ERRORS) as exc:
            raise _translate(exc, gone_codes=frozenset({UNKNOWN_WEBHOOK})) from exc
        return sent.id
