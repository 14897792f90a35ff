"""The terminal as a platform: ``digestbot once`` and ``run`` print digests when no chat
platform is configured, and ``demo`` prints its digest. Plain text, with every URL written out.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from bot.delivery.pacing import RateLimits
from bot.digest.alerts import alert_layout
from bot.digest.render import Part, plain_parts, write_plain
from bot.digest.watch_alerts import WatchAlert, watch_layout
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem, Digits

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.delivery.channel import Channel
    from bot.platforms.base import Services

CONSOLE = "console"
"""The platform name of the terminal's chat."""


class ConsoleChannel:
    """Writes each message part to a stream; chat ids and replies are ignored."""

    platform = CONSOLE
    limits = RateLimits()

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._count = 0

    @staticmethod
    def is_group(chat_id: int) -> bool:
        return False

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        markup: str | None = None,
    ) -> int | None:
        self._stream.write(text.rstrip() + "\n\n")
        self._stream.flush()
        self._count += 1
        return self._count


@dataclass
class ConsoleRuntime:
    channels: Sequence[Channel] = field(default_factory=lambda: [ConsoleChannel()])

    async def close(self) -> None:
        return None


class ConsolePlatform:
    """The fallback of the registry: never configured, renders for any unknown chat name."""

    names = (CONSOLE,)

    def render_digest(self, digest: Digest, catalog: Catalog) -> list[Part]:
        return plain_parts(digest, catalog)

    def render_alert(
        self,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str:
        blocks = alert_layout(item, lang, sources, catalog, digits)
        return "\n\n".join(write_plain(block) for block in blocks)

    def render_watch(self, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
        return write_plain(watch_layout(alert, lang, catalog))

    def configured(self, settings: Settings) -> bool:
        return False

    async def start(self, svc: Services, *, commands: bool) -> ConsoleRuntime:
        return ConsoleRuntime()

    async def find_chat(self, target: str, settings: Settings) -> Chat | None:
        return None
