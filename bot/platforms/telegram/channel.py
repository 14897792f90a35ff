"""Telegram delivery through python-telegram-bot: the ``Channel`` and the Application factory."""

from __future__ import annotations

import datetime as dt
import json
import warnings

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config.sections import DEFAULT_REPLY_SHARE
from bot.delivery.channel import (
    ChatGoneError,
    ChatMovedError,
    RetryLaterError,
    TransientDeliveryError,
)
from bot.delivery.pacing import (
    TELEGRAM_OVERALL,
    RateLimits,
    digest_rate,
    telegram_group,
)
from bot.errors import DeliveryError
from bot.platforms.telegram.platform import TELEGRAM
from bot.platforms.telegram.request import JsonRequest


def telegram_limits(
    reply_share: float = DEFAULT_REPLY_SHARE, overall: int = TELEGRAM_OVERALL
) -> RateLimits:
    """Telegram's limits for the sender of a bot that keeps ``reply_share`` of its ``overall``
    messages a second for replies (``overall`` is higher with paid broadcasts)."""
    return RateLimits(overall=digest_rate(overall, reply_share))


TELEGRAM_LIMITS = telegram_limits()
"""Telegram's limits for a bot that also answers commands, with the default reply share."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_application(token: str, base_url: str) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot Application with the global and per-group flood limits.

    AIORateLimiter keeps the overall (~30/s) and per-group (20/min) limits for every call,
    command replies included. Its leaky buckets let a burst of a full second's worth through
    on top of the steady rate, it has no per-chat limit, and without retries it does not pause
    the bot on flood control; so digests go through ``bot.delivery.sender``, whose pacer keeps
    all three limits in every window and pauses every chat when Telegram says RetryAfter.
    Calls go as JSON bodies over one client (``bot.platforms.telegram.request``); getUpdates keeps
    the library's own.
    """
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.replace("/bot", "/file/bot", 1))
        .request(JsonRequest())
        .rate_limiter(AIORateLimiter())
        .build()
    )


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns while it moves from int to timedelta
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def keyboard(markup: str | None) -> InlineKeyboardMarkup | None:
    """An outbox part's markup (``{"inline_keyboard": …}`` as JSON) as PTB's keyboard."""
    if not markup:
        return None
    try:
        return InlineKeyboardMarkup.de_json(json.loads(markup), None)
    except (ValueError, TypeError, KeyError) as exc:
        raise DeliveryError(f"not an inline keyboard: {exc}") from None


class TelegramChannel:
    """Sends HTML message parts with link previews off."""

    platform = TELEGRAM
    limits = TELEGRAM_LIMITS

    def __init__(self, bot: Bot, limits: RateLimits = TELEGRAM_LIMITS) -> None:
        self._bot = bot
        self.limits = limits

    is_group = staticmethod(telegram_group)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        try:
            message = await self._bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
                message_thread_id=thread_id,
                # an update follows up the message that first carried its story; a message
                # deleted since must not stop the update
                reply_parameters=(
                    ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
                reply_markup=keyboard(markup),
            )
        except RetryAfter as exc:
            raise RetryLaterError(str(exc), retry_seconds(exc)) from exc
        except ChatMigrated as exc:
            raise ChatMovedError(str(exc), exc.new_chat_id) from exc
        except Forbidden as exc:
            raise ChatGoneError(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise ChatGoneError(str(exc)) from exc
            raise DeliveryError(str(exc)) from exc
        except InvalidToken as exc:
            # Every part would fail the same way: keep them all pending until the token is fixed.
            raise TransientDeliveryError(f"the Bot API refused the token: {exc}") from exc
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise TransientDeliveryError(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryError(str(exc)) from exc
        return message.message_id
