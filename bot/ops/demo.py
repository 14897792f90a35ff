"""``digestbot demo``: the whole pipeline on bundled sample feeds, with no token and no internet.

The demo feeds (``data/demo``) are served by a small HTTP server on loopback, so the real fetch
path (httpx, conditional GET, the address guard with private networks allowed) runs as it would
against a publisher. The clock is the manifest's ``now``, so the output is the same every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class DemoFeed:
    path: str
    name: str
    lang: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class DemoManifest:
    now: datetime
    feeds: tuple[DemoFeed, ...]
    expected: Mapping[str, Any]


def load_manifest() -> DemoManifest:
    folder = resources.files("bot") / "data" / "demo"
    data = tomllib.loads((folder / "feeds.toml").read_text(encoding="utf-8"))
    feeds = tuple(
        DemoFeed(
            path=feed["path"],
            name=feed["name"],
            lang=feed["lang"],
            content_type=feed["content_type"],
            body=(folder / feed["file"]).read_bytes(),
        )
        for feed in data["feeds"]
    )
    now = datetime.fromisoformat(data["now"].replace("Z", "+00:00"))
    return DemoManifest(now=now, feeds=feeds, expected=data.get("expected", {}))


def _handler(feeds: Mapping[str, DemoFeed]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed = feeds.get(self.path)
            if feed is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(feed.body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", feed.content_type)
            self.send_header("Content-Length", str(len(feed.body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the demo prints the digest, not an access log

    return Handler


@contextlib.contextmanager
def serve(manifest: DemoManifest) -> Iterator[str]:
    """Serve the demo feeds on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler({f.path: f for f in manifest.feeds}))
    thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
