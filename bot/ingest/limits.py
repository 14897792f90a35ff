"""How many fetches may run at once: overall, and against any one host.

Many feeds often live on one host (a news site's sections, a blog platform); fetching them all at
once looks like an attack to that host and gets the bot rate-limited. ``HostLimits.slot(url)``
waits for the host's slot first and only then for an overall one, so tasks queued behind a busy
host never hold overall slots that feeds on other hosts could use::

    async with limits.slot(feed.url):     # per host (host:port), then overall
        await fetcher.fetch(feed.url)

Per-host semaphores are made on demand and dropped when nobody holds or awaits them, so the
table only holds the hosts being fetched right now.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The lower-cased ``host:port`` a URL connects to; the whole URL when it cannot be parsed
    (the fetch will refuse it anyway, and it must not share a slot with anything)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url.lower()
    host = parsed.raw_host.decode("ascii", "replace").lower()
    if not host:
        return url.lower()
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme.lower(), 0)
    return f"{host}:{port}"


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    users: int = 0
    """Tasks holding or awaiting the semaphore; the entry is dropped when this returns to 0."""


class HostLimits:
    """At most ``per_host`` concurrent slots per host and ``overall`` in total.

    Use from one event loop. Cancelling a task that waits for a slot releases what it held.
    """

    def __init__(self, overall: int = 16, per_host: int = 2) -> None:
        if overall < 1 or per_host < 1:
            raise ValueError("limits must be at least 1")
        self.overall = overall
        self.per_host = per_host
        self._overall = asyncio.Semaphore(overall)
        self._hosts: dict[str, _Host] = {}

    @property
    def active_hosts(self) -> int:
        """How many hosts have a task in or waiting for a slot."""
        return len(self._hosts)

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold a slot for a fetch of ``url`` for the duration of the ``async with``."""
        key = host_key(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(asyncio.Semaphore(self.per_host))
        host.users += 1
        try:
            async with host.semaphore, self._overall:
                yield
        finally:
            host.users -= 1
            if host.users == 0 and self._hosts.get(key) is host:
                del self._hosts[key]
