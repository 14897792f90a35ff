"""A 304 gives its connection back to the pool, as a 200 does: polling the feeds of one host
that did not change opens one connection, not one per feed (a TLS handshake each, in the wild)."""

from __future__ import annotations

import asyncio

from bot.ingest.fetch import FeedFetcher, make_client

NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 0\r\n\r\n'


async def test_304s_reuse_one_connection() -> None:
    connections = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):  # every request on this connection
                writer.write(NOT_MODIFIED)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_client(allow_private_networks=True)
    fetcher = FeedFetcher(client, allow_private_networks=True)
    try:
        for feed in range(3):
            result = await fetcher.fetch(f"http://127.0.0.1:{port}/{feed}.xml", etag='"v1"')
            assert result.not_modified
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert connections == 1
