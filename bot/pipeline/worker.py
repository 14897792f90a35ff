"""The one worker thread of the CPU-bound stages (parsing, the topic filter, clustering)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_R = TypeVar("_R")


class CpuWorker:
    """Runs CPU-bound work off the event loop, one piece at a time: under the GIL more threads
    only take turns (and cost switches), while the event loop keeps the network busy meanwhile."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digestbot-cpu")

    async def run(self, work: Callable[[], _R]) -> _R:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
