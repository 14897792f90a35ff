"""Content-codings are undone within the size limit: one coding at most, and a compression
bomb is stopped while it inflates, not after."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import FetchError
from bot.ingest.decode import BodyTooLarge, BoundedDecoder, content_codings
from bot.ingest.fetch import FeedFetcher, make_client

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Kim meets Putin</title><link>https://news.example/1</link></item>"
    b"</channel></rss>"
)
URL = "https://news.example/rss"


async def public_dns(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def fetcher_serving(body: bytes, headers: dict[str, str], **kwargs: int) -> FeedFetcher:
    def answer(request: httpx.Request) -> httpx.Response:
        # A stream, as from a real server: the fetcher reads the raw bytes itself.
        return httpx.Response(200, stream=httpx.ByteStream(body), headers=headers)

    client = make_client(transport=httpx.MockTransport(answer))
    return FeedFetcher(client, resolver=public_dns, **kwargs)


def zeros_gzip(size: int, layers: int = 1) -> bytes:
    data = bytes(size)
    for _ in range(layers):
        data = gzip.compress(data, mtime=0)
    return data


def test_content_codings_keep_compressions_only() -> None:
    assert content_codings("") == []
    assert content_codings(" GZip , identity") == ["gzip"]
    assert content_codings("gzip, gzip") == ["gzip", "gzip"]
    assert content_codings("UTF-8") == []  # a misconfigured server; httpx ignored it too
    assert content_codings("br, x-compress") == ["br", "x-compress"]


@pytest.mark.parametrize("header", ["gzip, gzip", "deflate, gzip", "x-gzip,gzip"])
async def test_stacked_content_codings_are_refused(header: str) -> None:
    bomb = zeros_gzip(4_000_000, layers=2)
    fetcher = fetcher_serving(bomb, {"Content-Encoding": header}, max_bytes=1_000_000)
    with pytest.raises(FetchError, match="more than one content-coding"):
        await fetcher.fetch(URL)


async def test_an_unknown_content_coding_is_refused() -> None:
    fetcher = fetcher_serving(RSS, {"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported content-coding 'br'"):
        await fetcher.fetch(URL)


async def test_a_gzip_bomb_is_stopped_while_it_inflates() -> None:
    # 40 MB of zeros in about 40 KB; httpx would inflate the whole chunk before any check.
    bomb = zeros_gzip(40_000_000)
    fetcher = fetcher_serving(bomb, {"Content-Encoding": "gzip"}, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="exceeds the limit of 1000000 bytes"):
            await fetcher.fetch(URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the limit plus a few chunks, never the 40 MB


@pytest.mark.parametrize(
    ("header", "packed"),
    [
        ("gzip", gzip.compress(RSS)),
        ("x-gzip", gzip.compress(RSS)),
        ("deflate", zlib.compress(RSS)),
        ("deflate", zlib.compress(RSS, wbits=-zlib.MAX_WBITS)),  # raw deflate, as some send
        ("identity", RSS),
        ("gzip, identity", gzip.compress(RSS)),
        ("UTF-8", RSS),
        ("none", RSS),
    ],
)
async def test_single_codings_are_decoded(header: str, packed: bytes) -> None:
    result = await fetcher_serving(packed, {"Content-Encoding": header}).fetch(URL)
    assert result.body == RSS


async def test_a_corrupt_gzip_body_is_a_fetch_error() -> None:
    fetcher = fetcher_serving(b"\x1f\x8b\x08\x00garbage" * 10, {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="the gzip body is corrupt"):
        await fetcher.fetch(URL)


def test_the_decoder_never_returns_more_than_the_limit_in_all() -> None:
    packed = zeros_gzip(1_000_000)
    decoder = BoundedDecoder("gzip", 10_000)
    produced = 0
    with pytest.raises(BodyTooLarge):
        for start in range(0, len(packed), 100):
            produced += len(decoder.feed(packed[start : start + 100]))
    assert produced <= 10_000


def test_a_body_decoding_to_exactly_the_limit_is_accepted() -> None:
    decoder = BoundedDecoder("gzip", 5_000)
    body = decoder.feed(zeros_gzip(5_000)) + decoder.finish()
    assert body == bytes(5_000)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["gzip", "deflate", ""]),
    st.binary(max_size=2_000),
    st.integers(min_value=1, max_value=64),
)
def test_fuzz_any_raw_body_decodes_within_the_limit_or_fails_cleanly(
    coding: str, payload: bytes, chunk: int
) -> None:
    # Half the examples are valid streams of random data, half corrupt or arbitrary bytes.
    raw = gzip.compress(payload) if coding == "gzip" and len(payload) % 2 else payload
    decoder = BoundedDecoder(coding, 1_000)
    produced = 0
    try:
        for start in range(0, len(raw), chunk):
            produced += len(decoder.feed(raw[start : start + chunk]))
        produced += len(decoder.finish())
    except FetchError:
        pass
    assert produced <= 1_000


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_in_one_byte_chunks_finds_its_format(wbits: int) -> None:
    packed = zlib.compress(RSS, wbits=wbits)
    decoder = BoundedDecoder("deflate", 10_000)
    body = b"".join(decoder.feed(packed[i : i + 1]) for i in range(len(packed)))
    assert body + decoder.finish() == RSS
