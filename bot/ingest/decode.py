"""Undo a response's content-coding with a bound on the bytes it produces.

httpx decodes a body through every coding the server lists, each chunk at once and without an
output limit: a 6.8 KB body sent as ``Content-Encoding: gzip, gzip`` inflates a single chunk to
gigabytes before any size check can run. So the fetcher reads the raw bytes and decodes them
here, where every ``decompress`` call is told how many bytes it may still produce::

    Content-Encoding   →  one coding at most (gzip, x-gzip or deflate; identity is no coding)
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


class BodyTooLarge(FetchError):
    """The (decoded) body went past the byte limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body exceeds the limit of {limit} bytes")
        self.limit = limit


def content_codings(header: str) -> list[str]:
    """The codings a ``Content-Encoding`` header lists, lower-case, ``identity`` left out."""
    codings = (part.strip().lower() for part in header.split(","))
    return [c for c in codings if c and c != "identity"]


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
        self._started = False

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` gives, never more than what is left of the limit."""
        if not self._coding:
            return self._count(raw)
        if not raw:
            return b""
        if self._inflater is None:
            self._inflater = self._new_inflater()
        try:
            out = self._inflater.decompress(raw, self._room())
        except zlib.error as exc:
            if self._coding in _DEFLATE and not self._started:
                # Some servers send raw deflate where RFC 9110 means the zlib format.
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(raw)
            raise FetchError(f"the {self._coding} body is corrupt: {exc}") from None
        self._started = True
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

    def _new_inflater(self) -> zlib._Decompress:
        wbits = zlib.MAX_WBITS | 16 if self._coding in _GZIP else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def _room(self) -> int:
        # One byte more than what is left, so that going past the limit is seen; never 0,
        # which zlib reads as "no limit".
        return max(1, self._limit - self._produced + 1)

    def _count(self, out: bytes) -> bytes:
        self._produced += len(out)
        if self._produced > self._limit:
            raise BodyTooLarge(self._limit)
        return out
