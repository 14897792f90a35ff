"""A loopback HTTP server that serves feeds the way real web servers do, and misbehaves on cue.

Each path has a body and a set of behaviours a test switches on::

    server.add("/rss", body)                 # 200 with a strong ETag and Last-Modified,
                                             # 304 to a matching conditional GET
    server.set_status("/rss", 503, count=2)  # two 503s, then normal again
    server.set_delay("/rss", 5)              # headers only after 5 s
    server.set_slow_body("/rss", 10, 0.5)    # 10 bytes every 0.5 s
    server.add_huge("/big", 50_000_000)      # streamed, never held in memory
    server.redirect("/old", "/rss", 301)
    server.set_gzip("/rss", True)            # Content-Encoding: gzip when the client accepts it
    server.set_headers("/rss", {"Retry-After": "120"})

Per request, in order: record it; the path's forced status (if any, with its extra headers);
redirect; delay; conditional GET (If-None-Match wins over If-Modified-Since, as RFC 9110 says);
then the body, gzipped and/or trickled.

State is guarded by a lock so a test thread may configure a server that runs in another thread
(``run_in_thread``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import pytest_asyncio
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.fakes.loopback import serve_in_thread

DEFAULT_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
DEFAULT_LAST_MODIFIED = datetime(2024, 1, 15, 8, 30, 0, tzinfo=UTC)
_HUGE_CHUNK = 64 * 1024
_HUGE_HEAD = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    b"<title>huge</title><link>http://127.0.0.1/</link><description>huge</description>\n"
)
_HUGE_ITEM = (
    b"<item><title>filler</title><link>http://127.0.0.1/item</link>"
    b"<description>" + b"x" * 400 + b"</description></item>\n"
)
_HUGE_TAIL = b"</channel></rss>\n"


@dataclass
class _Route:
    body: bytes = b""
    content_type: str = DEFAULT_CONTENT_TYPE
    exists: bool = False
    etag: str | None = None
    last_modified: datetime | None = DEFAULT_LAST_MODIFIED
    status: int | None = None
    status_count: int | None = None
    delay: float = 0.0
    chunk_size: int | None = None
    chunk_delay: float = 0.0
    huge_size: int | None = None
    declare_length: bool = True
    redirect_to: str | None = None
    redirect_status: int = 301
    gzip: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: ``W/"x"`` matches ``"x"``."""
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as servers do
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since >= last_modified.replace(microsecond=0)


def _huge_chunks(size: int) -> Iterator[bytes]:
    """``size`` bytes of an RSS-looking document, produced a chunk at a time."""
    remaining = size
    head = _HUGE_HEAD[:remaining]
    remaining -= len(head)
    tail = _HUGE_TAIL[: max(0, remaining)]
    remaining -= len(tail)
    yield head
    items_per_chunk = max(1, _HUGE_CHUNK // len(_HUGE_ITEM))
    block = _HUGE_ITEM * items_per_chunk
    while remaining > 0:
        piece = block[:remaining]
        remaining -= len(piece)
        yield piece
    yield tail


class FeedServer:
    """The feed server. Start it with ``await start()`` (or the ``feed_server`` fixture, or
    ``run_in_thread()``); ``url(path)`` is valid once started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.requests: list[tuple[str, CIMultiDictProxy[str]]] = []

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FeedServer is not started")
        return f"http://127.0.0.1:{self._port}"

    def url(self, path: str) -> str:
        return self.base_url + _norm(path)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A slow or delayed handler must not hold up the end of a test for long.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.contextmanager
    def run_in_thread(self) -> Iterator[FeedServer]:
        """Serve from a background thread with its own event loop, for synchronous callers."""
        with serve_in_thread(self.start, self.close, "feed-server"):
            yield self

    # -- configuration -----------------------------------------------------------------------

    def _route(self, path: str) -> _Route:
        return self._routes.setdefault(_norm(path), _Route())

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str = DEFAULT_CONTENT_TYPE,
        *,
        etag: bool | str = True,
        last_modified: datetime | None = DEFAULT_LAST_MODIFIED,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing any earlier body); return its URL if started.

        ``etag=True`` derives a strong ETag from the body, a string is sent as given, ``False``
        sends none; ``last_modified=None`` sends no Last-Modified.
        """
        with self._lock:
            route = self._route(path)
            route.body = body
            route.content_type = content_type
            route.exists = True
            route.huge_size = None
            route.etag = _strong_etag(body) if etag is True else (etag or None)
            route.last_modified = last_modified
        return self.url(path) if self._port is not None else _norm(path)

    def add_huge(
        self,
        path: str,
        size_bytes: int,
        *,
        declare_length: bool = False,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> None:
        """Stream ``size_bytes`` of an RSS-looking body, chunked unless ``declare_length``
        (then with a Content-Length up front). No ETag or Last-Modified."""
        with self._lock:
            route = self._route(path)
            route.exists = True
            route.body = b""
            route.content_type = content_type
            route.huge_size = size_bytes
            route.declare_length = declare_length
            route.etag = None
            route.last_modified = None

    def set_last_modified(self, path: str, when: datetime | None) -> None:
        with self._lock:
            self._route(path).last_modified = when

    def set_status(self, path: str, status: int, count: int | None = None) -> None:
        """Answer ``status`` for the next ``count`` requests (every request if None)."""
        with self._lock:
            route = self._route(path)
            route.status = status
            route.status_count = count

    def set_delay(self, path: str, seconds: float) -> None:
        """Wait ``seconds`` before sending the response headers."""
        with self._lock:
            self._route(path).delay = seconds

    def set_slow_body(self, path: str, bytes_per_chunk: int, delay: float) -> None:
        """Send the body ``bytes_per_chunk`` at a time, sleeping ``delay`` before each chunk."""
        with self._lock:
            route = self._route(path)
            route.chunk_size = max(1, bytes_per_chunk)
            route.chunk_delay = delay

    def redirect(self, path: str, target_path: str, status: int = 301) -> None:
        """Redirect ``path`` to ``target_path`` (a path on this server, or an absolute URL)."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"not a redirect status: {status}")
        with self._lock:
            route = self._route(path)
            route.redirect_to = target_path
            route.redirect_status = status

    def set_gzip(self, path: str, enabled: bool = True) -> None:
        with self._lock:
            self._route(path).gzip = enabled

    def set_headers(self, path: str, headers: Mapping[str, str]) -> None:
        """Extra headers on every response for ``path`` (errors and 304s included)."""
        with self._lock:
            self._route(path).headers.update(headers)

    # -- inspection --------------------------------------------------------------------------

    def count(self, path: str) -> int:
        """How many requests reached ``path``."""
        wanted = _norm(path)
        with self._lock:
            return sum(1 for seen, _ in self.requests if seen == wanted)

    def headers_of(self, path: str) -> list[CIMultiDictProxy[str]]:
        """The request headers of every request to ``path``, oldest first."""
        wanted = _norm(path)
        with self._lock:
            return [headers for seen, headers in self.requests if seen == wanted]

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        with self._lock:
            key = request.path_qs if request.path_qs in self._routes else request.path
            self.requests.append((key, headers))
            live = self._routes.get(key)
            if live is None:
                return web.Response(status=404, text="not found")
            # A snapshot, so a test re-configuring the path mid-response cannot tear it.
            route = replace(live, headers=dict(live.headers))
            if live.status is not None and live.status_count is not None:
                live.status_count -= 1
                if live.status_count <= 0:
                    live.status = live.status_count = None
        extra = dict(route.headers)
        if route.status is not None:
            return web.Response(status=route.status, text=f"status {route.status}", headers=extra)
        if route.redirect_to is not None:
            extra["Location"] = route.redirect_to
            return web.Response(status=route.redirect_status, headers=extra)
        if route.delay:
            await asyncio.sleep(route.delay)
        if not route.exists:
            return web.Response(status=404, text="not found", headers=extra)

        validators: dict[str, str] = {}
        if route.etag is not None:
            validators["ETag"] = route.etag
        if route.last_modified is not None:
            validators["Last-Modified"] = format_datetime(route.last_modified, usegmt=True)
        if self._not_modified(request, route):
            return web.Response(status=304, headers={**validators, **extra})

        response = web.StreamResponse(headers={**validators, **extra})
        response.content_type = route.content_type.split(";")[0].strip()
        if "charset=" in route.content_type:
            response.charset = route.content_type.split("charset=")[1].strip()
        with contextlib.suppress(ConnectionError):
            await self._send_body(request, response, route)
        return response

    @staticmethod
    def _not_modified(request: web.Request, route: _Route) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            return route.etag is not None and _etag_matches(if_none_match, route.etag)
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_modified_since is not None and route.last_modified is not None:
            return _not_modified_since(if_modified_since, route.last_modified)
        return False

    @staticmethod
    async def _send_body(request: web.Request, response: web.StreamResponse, route: _Route) -> None:
        if route.huge_size is not None:
            if route.declare_length:
                response.content_length = route.huge_size
            await response.prepare(request)
            for chunk in _huge_chunks(route.huge_size):
                await response.write(chunk)
                await asyncio.sleep(0)  # let a client that gave up close the connection
            await response.write_eof()
            return
        body = route.body
        if route.gzip and "gzip" in request.headers.get("Accept-Encoding", ""):
            # mtime=0 keeps the bytes, and so the tests, reproducible.
            body = gzip.compress(body, mtime=0)
            response.headers["Content-Encoding"] = "gzip"
            response.headers["Vary"] = "Accept-Encoding"
        response.content_length = len(body)
        await response.prepare(request)
        if request.method == "HEAD":
            return
        step = route.chunk_size or len(body) or 1
        for start in range(0, len(body), step):
            if route.chunk_size is not None:
                await asyncio.sleep(route.chunk_delay)
            await response.write(body[start : start + step])
        await response.write_eof()


def _norm(path: str) -> str:
    return path if path.startswith("/") else "/" + path


@pytest_asyncio.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A started FeedServer on a free loopback port, closed after the test."""
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
