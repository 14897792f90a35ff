"""Where the outbox's messages go: the ``Channel`` protocol that each platform implements, and the
errors a channel raises for the sender (``bot.delivery.sender``) to act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.errors import DeliveryError

if TYPE_CHECKING:
    from bot.delivery.pacing import RateLimits


class ChatGoneError(DeliveryError):
    """The chat blocked or removed the bot; it is unsubscribed."""


class ChatMovedError(DeliveryError):
    """The chat has a new id (a Telegram group became a supergroup)."""

    def __init__(self, message: str, new_chat_id: int) -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class RetryLaterError(DeliveryError):
    """The platform asked us to wait ``seconds`` before sending again."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class TransientDeliveryError(DeliveryError):
    """A network problem; the message stays in the outbox for the next attempt."""


class Channel(Protocol):
    """Sends one rendered message part to one chat.

    Raises ``RetryLaterError`` (flood control), ``ChatGoneError`` (blocked, kicked, deleted),
    ``ChatMovedError`` (new chat id), ``TransientDeliveryError`` (network) or ``DeliveryError``
    (this message was refused, e.g. malformed; the rest go on).
    """

    platform: str
    """The ``Chat.platform`` of the chats it sends to."""

    limits: RateLimits
    """How fast the sender may send through it (the platform's flood limits)."""

    def is_group(self, chat_id: int) -> bool:
        """Whether ``chat_id`` is held to the group pace of ``limits``."""
        ...

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        """Send ``text``; returns the platform's message id when it has one. ``reply_to`` is
        an earlier message of the chat this one follows up (an update of a story): a platform
        that can shows the reply, and sends anyway when that message is gone; one that
        cannot sends without it. ``markup`` is the part's button in the platform's own markup
        (JSON, made by its ``offer_more``), given only to parts that have one."""
        ...
