"""Undo a response's content-coding with a bound on the bytes it produces.

httpx decodes a body through every coding the server lists, each chunk at once and without an
output limit: a 6.8 KB body sent as ``Content-Encoding: gzip, gzip`` inflates a single chunk to
gigabytes before any size check can run. So the fetcher reads the raw bytes and decodes them
here, where every ``decompress`` call is told how many bytes it may still produce::

    Content-Encoding   →  one compression at most (gzip, x-gzip or deflate); identity, and
                          tokens that name no compression (servers send "utf-8"), are ignored
                          as httpx ignored them
    raw chunk          →  decompress(chunk, max_length = what is left of the limit + 1)
    output past limit  →  BodyTooLarge, before more than limit + 1 bytes are held

``ACCEPT_ENCODING`` is the request header that offers exactly what this module decodes.
"""

from __future__ import annotations

import zlib

from bot.errors import FetchError

ACCEPT_ENCODING = "gzip, deflate"
"""The ``Accept-Encoding`` the fetcher sends: only what ``BoundedDecoder`` can decode."""

_GZIP = frozenset({"gzip", "x-gzip"})
_DEFLATE = frozenset({"deflate"})
_COMPRESSIONS = _GZIP | _DEFLATE | {"br", "zstd", "compress", "x-compress"}
"""The registered codings that compress (RFC 9110 and the IANA registry); others are ignored."""


class BodyTooLarge(FetchError):
    """The (decoded) body went past the byte limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body exceeds the limit of {limit} bytes")
        self.limit = limit


def content_codings(header: str) -> list[str]:
    """The compressions a ``Content-Encoding`` header lists, lower-case, in order."""
    codings = (part.strip().lower() for part in header.split(","))
    return [c for c in codings if c in _COMPRESSIONS]


class BoundedDecoder:
    """Decodes one response body chunk by chunk and refuses to produce more than ``limit``
    bytes in all. Raises ``FetchError`` for a coding it does not decode, for more than one
    coding, and for a corrupt stream; ``BodyTooLarge`` past the limit."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = content_codings(content_encoding)
        if len(codings) > 1:
            # No server needs two layers, and each layer multiplies what a few bytes can become.
            raise FetchError(f"more than one content-coding ({', '.join(codings)}) is refused")
        self._coding = codings[0] if codings else ""
        if self._coding and self._coding not in _GZIP | _DEFLATE:
            raise FetchError(f"unsupported content-coding {self._coding!r}")
        self._limit = limit
        self._produced = 0
        self._inflater: zlib._Decompress | None = None
        self._head = b""  # the first bytes of a deflate body, until its format is known

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` gives, never more than what is left of the limit."""
        if not self._coding:
            return self._count(raw)
        if self._inflater is None:
            if self._coding in _GZIP:
                self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                self._head += raw
                if len(self._head) < 2:
                    return b""
                raw, self._head = self._head, b""
                self._inflater = zlib.decompressobj(_deflate_wbits(raw))
        if not raw:
            return b""
        try:
            out = self._inflater.decompress(raw, self._room())
        except zlib.error as exc:
            raise FetchError(f"the {self._coding} body is corrupt: {exc}") from None
        # A non-empty unconsumed tail means max_length stopped the inflater: the limit is past.
        return self._count(out)

    def finish(self) -> bytes:
        """What the inflater still holds once the raw body has ended."""
        if self._inflater is None:
            return b""
        try:
            return self._count(self._inflater.flush())
        except zlib.error as exc:
            raise FetchError(f"the {self._coding} body is corrupt: {exc}") from None

    def _room(self) -> int:
        # One byte more than what is left, so that going past the limit is seen; never 0,
        # which zlib reads as "no limit".
        return max(1, self._limit - self._produced + 1)

    def _count(self, out: bytes) -> bytes:
        self._produced += len(out)
        if self._produced > self._limit:
            raise BodyTooLarge(self._limit)
        return out


def _deflate_wbits(head: bytes) -> int:
    """zlib format when the first two bytes are a zlib header (RFC 1950: method 8, and the
    pair a multiple of 31); raw deflate otherwise, which some servers send for "deflate"."""
    if head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0:
        return zlib.MAX_WBITS
    return -zlib.MAX_WBITS
