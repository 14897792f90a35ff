"""Fetch a feed's bytes over HTTP, within limits, with every hop checked by the guard.

feedparser's own fetching has no timeout and no size limit, so the bot fetches itself and hands
the bytes to ``bot.ingest.parse``. One fetch::

    with deadline(2 × client timeout):              # a slow-drip body cannot hang a poll
        url = requested URL
        repeat at most max_redirects + 1 times:
            check_url(url); check_host(host of url)  # scheme, credentials, private addresses
            GET url (If-None-Match / If-Modified-Since), not following redirects
            3xx with Location -> url = Location resolved against url; next hop
            304               -> FetchResult with an empty body
            >= 400            -> FetchStatusError (with the response headers, for Retry-After)
            2xx               -> stream the raw body, decode it (bot.ingest.decode),
                                 abort past max_bytes raw or decoded -> FetchResult

``FetchResult.permanent_url`` is the final URL when there was at least one redirect and every
one was permanent (301/308): the caller may then move the feed there. A single temporary hop
(302/303/307) anywhere on the way leaves it ``None``.

Fetches of different feeds run concurrently on one shared ``httpx.AsyncClient``.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import replace

import httpx

import bot
from bot.errors import FetchError
from bot.ingest.decode import ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder
from bot.ingest.guard import Resolver, check_host, redact_url, system_resolver, url_target
from bot.ingest.pinned import GuardedTransport
from bot.models import FetchResult

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"digestbot/{bot.__version__} (+https://github.com/digestbot/digestbot)"

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_FALLBACK_DEADLINE_S = 60.0


class FetchStatusError(FetchError):
    """The server answered with an HTTP error status (400 and above, or a stray 3xx)."""

    def __init__(
        self, status: int, reason: str = "", headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.status = status
        self.headers: Mapping[str, str] = dict(headers or {})
        """The response headers, lower-case keys."""

    @property
    def retry_after(self) -> str | None:
        """The raw ``Retry-After`` header a 429 or 503 may carry; see ``parse_retry_after``."""
        return self.headers.get("retry-after")


def make_client(
    *,
    timeout_s: float = 20.0,
    user_agent: str = DEFAULT_USER_AGENT,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private_networks: bool = False,
) -> httpx.AsyncClient:
    """The HTTP client for feeds. Redirects are off: ``FeedFetcher`` follows them itself so that
    the guard sees every hop.

    Unless private networks are allowed, connections go through ``GuardedTransport``, which
    judges the addresses it connects to (DNS rebinding). Not when ``HTTP_PROXY``, ``HTTPS_PROXY``
    or ``ALL_PROXY`` is set: connections then go through httpx's own proxy handling, and only
    the check before each hop applies."""
    if transport is None and not allow_private_networks and not _proxied():
        transport = GuardedTransport()
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=timeout_s, read=timeout_s, write=timeout_s, pool=timeout_s),
        follow_redirects=False,
        # Only the codings bot.ingest.decode undoes within the size limit; httpx's own decoders
        # have no output limit, so the body is read raw.
        headers={"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        transport=transport,
    )


def _proxied() -> bool:
    """Whether the environment sends feed requests through a proxy (``NO_PROXY`` alone, or an
    FTP proxy, does not)."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def _deadline_for(timeout: httpx.Timeout) -> float:
    parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return 2 * max(parts) if parts else _FALLBACK_DEADLINE_S


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text[:160]}" if text else name


class FeedFetcher:
    """Fetches feeds through a shared client. Raises ``FetchError`` (``BlockedURLError`` for
    refused URLs, ``FetchStatusError`` for HTTP error statuses) and nothing else on purpose."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private_networks: bool = False,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        resolver: Resolver | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self._client = client
        self._allow_private = allow_private_networks
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolve: Resolver = resolver or system_resolver
        self._deadline_s = deadline_s if deadline_s is not None else _deadline_for(client.timeout)

    @property
    def deadline_s(self) -> float:
        """The most one ``fetch`` may take, redirects and body included."""
        return self._deadline_s

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally. A 304 gives a ``FetchResult`` with an empty body."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._follow(url, headers)
        except TimeoutError:
            raise FetchError(f"no complete answer within {self._deadline_s:g} s") from None

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        current = url
        redirected = False
        all_permanent = True
        for _ in range(self._max_redirects + 1):
            host, port = url_target(current)
            await check_host(host, port, allow_private=self._allow_private, resolve=self._resolve)
            try:
                outcome = await self._get(url, current, headers)
            except httpx.HTTPError as exc:
                raise FetchError(_short(exc)) from None
            if isinstance(outcome, FetchResult):
                if redirected and all_permanent and outcome.final_url != url:
                    return replace(outcome, permanent_url=outcome.final_url)
                return outcome
            status, target = outcome
            redirected = True
            all_permanent = all_permanent and status in _PERMANENT_REDIRECTS
            log.debug("redirect %d %s -> %s", status, redact_url(current), redact_url(target))
            current = target
        raise FetchError(f"more than {self._max_redirects} redirects")

    async def _get(
        self, url: str, current: str, headers: dict[str, str]
    ) -> FetchResult | tuple[int, str]:
        """One hop: a result, or a redirect's status and the absolute URL it points to."""
        async with self._client.stream(
            "GET", current, headers=headers, follow_redirects=False
        ) as resp:
            status = resp.status_code
            if status in _REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location header")
                try:
                    return status, str(resp.url.join(location))
                except httpx.InvalidURL as exc:
                    raise FetchError(f"HTTP {status} redirect to an invalid URL: {exc}") from None
            response_headers = {k.lower(): v for k, v in resp.headers.items()}
            if status == 304:
                # A 304 has no body (h11 reads none), but the response must be read to its end
                # for the connection to go back to the pool instead of being closed.
                await resp.aread()
                return FetchResult(url, current, status, b"", response_headers)
            if status >= 300:
                raise FetchStatusError(status, resp.reason_phrase, response_headers)
            body = await self._read_capped(resp)
            return FetchResult(url, current, status, body, response_headers)

    async def _read_capped(self, resp: httpx.Response) -> bytes:
        """The body, decoded by ``BoundedDecoder``: past ``max_bytes``, raw or decoded, the
        read stops before the excess is held in memory."""
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(f"body of {declared} bytes exceeds the limit of {self._max_bytes}")
        decoder = BoundedDecoder(resp.headers.get("content-encoding", ""), self._max_bytes)
        body = bytearray()
        raw_bytes = 0
        # Leaving the stream's context on an error closes the connection: the rest is never read.
        async for chunk in resp.aiter_raw():
            raw_bytes += len(chunk)
            if raw_bytes > self._max_bytes:
                raise BodyTooLarge(self._max_bytes)
            body += decoder.feed(chunk)
        body += decoder.finish()
        return bytes(body)
