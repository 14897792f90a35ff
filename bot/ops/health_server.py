"""A small local HTTP endpoint for ``/healthz`` and ``/metrics`` (asyncio streams, no extra
dependency). It answers GET only, one request per connection, and reads at most a few KB of
request headers; it is meant for loopback or a private network, never the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 8192
READ_TIMEOUT_S = 5.0
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


Handler = Callable[[str], Response]
"""Called with the request path (query string removed); runs on the event loop's thread."""


class HealthServer:
    def __init__(self, handler: Handler, *, host: str, port: int) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        log.info("health endpoint on http://%s:%d/healthz and /metrics", self._host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        except ConnectionError:
            return
        response = self._respond(head[:MAX_HEADER_BYTES])
        body = response.body.encode("utf-8")
        reason = _REASONS.get(response.status, "Service Unavailable")
        writer.write(
            f"HTTP/1.1 {response.status} {reason}\r\n"
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    def _respond(self, head: bytes) -> Response:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return Response(400, "bad request\n")
        method, target, _ = parts
        if method != "GET":
            return Response(405, "only GET\n")
        try:
            return self._handler(target.split("?", 1)[0])
        except Exception:
            log.exception("health endpoint failed on %s", target)
            return Response(503, "the health check itself failed; see the log\n")
