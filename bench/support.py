"""What the benchmarks share: fake servers in a child process, the Telegram bot they talk to,
message fingerprints and memory readings.

The fakes run in a separate process (``spawn``) so that the CPU time and the memory a benchmark
measures are the bot's alone: the fakes keep every request and message they receive.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import resource
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any

from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import BaseRequest

from bot.delivery.pacing import RateLimits

STOP = "stop"
"""What the parent sends a child server to end it."""


def fingerprint(text: str) -> str:
    """A short stable hash of a message, to compare what was sent with what was received."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@contextmanager
def child_server(
    target: Callable[..., None], *args: Any, start_timeout: float = 120.0
) -> Iterator[tuple[Connection, Any]]:
    """Run ``target(conn, *args)`` in a spawned process; yield the pipe and the first thing the
    child sent on it (typically its URLs). On exit, send ``STOP`` and wait for the child."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, *args), daemon=True)
    process.start()
    try:
        if not ours.poll(start_timeout):
            raise RuntimeError(f"{getattr(target, '__name__', target)} did not start")
        yield ours, ours.recv()
    finally:
        with suppress(BrokenPipeError, OSError):
            ours.send(STOP)
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


def telegram_bot(
    token: str, bot_url: str, limits: RateLimits, request: BaseRequest | None = None
) -> ExtBot:  # type: ignore[type-arg]
    """python-telegram-bot's ``ExtBot`` on the fake Bot API, with an ``AIORateLimiter`` set to
    ``limits`` (as ``bot.platforms.telegram.channel.build_application`` sets Telegram's own) and
    ``request`` as its network backend (the library's own when None)."""
    rate_limiter = AIORateLimiter(
        overall_max_rate=limits.overall,
        overall_time_period=limits.overall_period,
        group_max_rate=limits.group,
        group_time_period=limits.group_period,
    )
    return ExtBot(token, base_url=bot_url, rate_limiter=rate_limiter, request=request)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def rss_mb() -> float:
    """The process's resident memory now, in MB (``VmRSS``; the peak where there is no
    ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return peak_rss_mb()
