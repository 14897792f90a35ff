"""A channel that prints to a terminal (``digestbot once`` without Telegram, ``demo``)."""

from __future__ import annotations

import sys
from typing import TextIO


class ConsoleChannel:
    """Writes each message part to a stream; chat ids are ignored."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._count = 0

    async def send(self, chat_id: int, text: str, *, thread_id: int | None = None) -> int | None:
        self._stream.write(text.rstrip() + "\n\n")
        self._stream.flush()
        self._count += 1
        return self._count
