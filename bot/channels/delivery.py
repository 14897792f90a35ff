"""Sending the outbox through a channel.

Rows are sent in the order they were queued. A part is marked sent right after the platform
accepts it; the only window for a duplicate is a crash between the platform's answer and that
one-row UPDATE. Per chat, parts go out at most one per ``per_chat_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.channels import (
    Channel,
    ChatGoneError,
    ChatMovedError,
    RetryLaterError,
    TransientDeliveryError,
)
from bot.errors import DeliveryError
from bot.store.archive import Archive
from bot.store.state import StateStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_RETRY_WAIT_S = 120.0


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    chats_gone: int = 0


async def deliver(
    *,
    archive: Archive,
    state: StateStore,
    channel: Channel,
    now: Callable[[], datetime],
    monotonic: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    per_chat_interval: float = 1.0,
) -> DeliveryReport:
    """Send every pending outbox row of ``channel.platform``."""
    clock = monotonic or asyncio.get_running_loop().time
    report = DeliveryReport()
    last_sent: dict[int, float] = {}
    moved: dict[int, int] = {}
    gone: set[int] = set()
    for item in archive.pending(channel.platform):
        chat_id = moved.get(item.chat_id, item.chat_id)
        if chat_id in gone:
            continue
        while True:
            wait = last_sent.get(chat_id, -1e9) + per_chat_interval - clock()
            if wait > 0:
                await sleep(wait)
            try:
                message_id = await channel.send(chat_id, item.text, thread_id=item.thread_id)
            except RetryLaterError as exc:
                log.info("flood control: waiting %.1f s before chat %s", exc.seconds, chat_id)
                await sleep(min(max(exc.seconds, 0.0), MAX_RETRY_WAIT_S))
                continue
            except ChatMovedError as exc:
                log.info("chat %s moved to %s", chat_id, exc.new_chat_id)
                _move(archive, state, channel.platform, chat_id, exc.new_chat_id)
                moved[item.chat_id] = chat_id = exc.new_chat_id
                continue
            except ChatGoneError as exc:
                log.warning("chat %s is gone (%s): unsubscribed", chat_id, exc)
                _unsubscribe(state, channel.platform, chat_id)
                archive.drop_chat_pending(channel.platform, chat_id, str(exc))
                gone.add(chat_id)
                report.chats_gone += 1
                break
            except TransientDeliveryError as exc:
                final = item.attempts + 1 >= MAX_ATTEMPTS
                archive.mark_failed(item.id, str(exc), final=final)
                report.failed += final
                report.deferred += not final
                log.warning("delivery to %s deferred: %s", chat_id, exc)
                break
            except DeliveryError as exc:
                archive.mark_failed(item.id, str(exc), final=True)
                report.failed += 1
                log.warning("message to chat %s refused: %s", chat_id, exc)
                break
            archive.mark_sent(item.id, message_id, now())
            last_sent[chat_id] = clock()
            report.sent += 1
            break
    return report


def _unsubscribe(state: StateStore, platform: str, chat_id: int) -> None:
    chat = state.chat(platform, chat_id)
    if chat is not None:
        state.save_chat(replace(chat, subscribed=False))


def _move(archive: Archive, state: StateStore, platform: str, old: int, new: int) -> None:
    chat = state.chat(platform, old)
    if chat is not None:
        state.move_chat(chat, new)
    archive.move_chat(platform, old, new)
