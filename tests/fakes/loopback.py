"""Running a fake server on its own event loop in a background thread, for synchronous callers
(a CLI entry point, a subprocess test)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager


@contextmanager
def serve_in_thread(
    start: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[object]], name: str
) -> Iterator[None]:
    """Run ``start()`` on a fresh loop in a thread, yield, then ``stop()`` and end the thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_await(start), loop).result(timeout=10)
        yield
    finally:
        asyncio.run_coroutine_threadsafe(_await(stop), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _await(call: Callable[[], Awaitable[object]]) -> None:
    await call()
