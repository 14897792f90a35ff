"""Where digests go: the ``Channel`` protocol and the errors a channel raises."""

from __future__ import annotations

from typing import Protocol

from bot.errors import DeliveryError


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

    async def send(self, chat_id: int, text: str, *, thread_id: int | None = None) -> int | None:
        """Send ``text``; returns the platform's message id when it has one."""
        ...
