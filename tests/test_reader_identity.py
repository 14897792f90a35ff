"""The fast reader gives exactly the entries of the feedparser path: on every real feed of the
shared corpus, on the feed bodies the other tests use, and on random feed-like documents.

Each body is parsed twice in one run, with the fast reader and with it switched off (the
feedparser path alone, as before it existed), and the outcomes (entries, or the ParseError)
must be equal."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.fakes import feed_server
from tests.reader_support import altered_feed, both_ways, random_feed
from tests.test_identity import rss as identity_rss
from tests.test_parse import ATOM, RSS1, RSS2
from tests.test_parse_bounds import HEAD, TAIL, arabic_feed, item
from tests.test_pipeline import rss as pipeline_rss

ROOT = Path(__file__).parents[1]
CORPUS = ROOT.parent / "shared" / "feeds"
CORPUS_FILES = sorted(p for p in CORPUS.glob("*") if p.suffix != ".md") if CORPUS.is_dir() else []
DEMO_FEEDS = sorted((ROOT / "bot" / "data" / "demo").glob("*.xml"))
# Real feeds the fast reader reads itself (the others: XHTML content, dates it does not read,
# items nested in items, malformed XML, no items, JSON): a change that sends one of them to
# feedparser again shows here.
FAST_REAL = {
    "ar-aawsat-via-aggregator-2026.xml", "ar-abarrak-blog-empty-titles-rss2.xml",
    "ar-nabdsharqi-2015-atom.xml", "ar-nabdsharqi-2015-rss2.xml",
    "ar-skynewsarabia-via-aggregator-2026.xml", "en-aljazeera-english-2026-no-xmldecl.xml",
    "en-bbc-world-2026.xml", "en-dw-english-2026-rss10.rdf", "en-economist-asia-2026-korea.xml",
    "en-foreignpolicy-2026.xml", "en-guardian-us-2018.rss", "en-iraqinews-2025-mixed-arabic.rss",
    "en-jpost-homepage-2023-russia.xml", "en-livemint-news-leading-ws.xml",
    "en-nyt-world-2026.xml", "en-time-world-2026-large.xml", "fa-hoder-persian-tagged-en-rss2.xml",
    "pt-jn-iso-8859-1-crlf.rss", "ru-orenburg-news-windows-1251.xml",
    "snippet-undeclared-windows-1255-hebrew.xml", "stress-atom-css-regex-backtracking-ru.xml",
    "stress-blank-lines-before-xmldecl.xml", "stress-bogus-phpxml-pi.rss",
    "stress-declares-utf16-actually-utf8.xml", "stress-gzipped-body-nshipster.xml.gz",
    "stress-iso-8859-2-internal-dtd-rss092.xml", "stress-rss090-rdf-heise.xml",
    "ur-bbc-urdu-arabic-script-rss2.xml",
}  # fmt: skip
VARIANTS: list[dict[str, Any]] = [
    {},
    {"base_url": "https://corpus.example/feeds/rss"},
    {"max_items": 3, "headers": {"content-type": "text/xml; charset=utf-8"}},
    {"headers": {"Content-Type": "application/rss+xml", "Content-Location": "https://c.example/"}},
]
corpus = pytest.mark.skipif(not CORPUS_FILES, reason="the shared feed corpus is not present")


def _body(path: Path) -> bytes:
    body = path.read_bytes()
    return gzip.decompress(body) if path.suffix == ".gz" else body


@corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_real_feeds_give_the_same_entries(path: Path) -> None:
    for kwargs in VARIANTS:
        fast, slow, read_fast = both_ways(_body(path), **kwargs)
        assert fast == slow, kwargs
        if kwargs == {}:
            assert read_fast == (path.name in FAST_REAL)


@corpus
def test_most_real_feeds_take_the_fast_path() -> None:
    xml_files = [p for p in CORPUS_FILES if p.suffix != ".json"]
    fast = [p.name for p in xml_files if both_ways(_body(p))[2]]
    assert set(fast) == FAST_REAL
    assert len(fast) >= 0.7 * len(xml_files)


NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
FIXTURES = {
    "parse RSS 2.0": RSS2,
    "parse Atom": ATOM,
    "parse RSS 1.0": RSS1,
    "bounds items": HEAD + b"".join(item(n) for n in range(30)) + TAIL,
    "bounds Arabic": arabic_feed(),
    "bounds bad byte": arabic_feed().replace(b" 0</title>", b" 0\xff</title>"),
    "pipeline": pipeline_rss(("k1", "Kim Jong Un meets Putin", NOW), ("k2", "Football", NOW)),
    "identity": identity_rss(("12345", "https://a.example/summit", "Summit"), (None, None, "x")),
    "feed server huge": (
        feed_server._HUGE_HEAD + feed_server._HUGE_ITEM * 50 + feed_server._HUGE_TAIL
    ),
    **{f"demo {p.name}": p.read_bytes() for p in DEMO_FEEDS},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_tests_feed_bodies_give_the_same_entries(name: str) -> None:
    for kwargs in VARIANTS:
        fast, slow, read_fast = both_ways(FIXTURES[name], **kwargs)
        assert fast == slow, kwargs
        assert read_fast, kwargs  # all of them are plain well-formed feeds


def test_dates_of_every_zone_and_second_give_the_same_entries() -> None:
    dates = [NOW + timedelta(minutes=37 * k, seconds=k) for k in range(45)]
    items = "".join(
        f"<item><title>t{k}</title><pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S')} {zone}"
        f"</pubDate><dc:date>{when.isoformat()}</dc:date></item>"
        for k, when in enumerate(dates)
        for zone in ("+0300", "-0930", "GMT", "UT", "EST", "PDT", "CEST", "Z", "A", "M")
    )
    body = (
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"{items}</channel></rss>"
    ).encode()
    fast, slow, read_fast = both_ways(body)
    assert read_fast and fast == slow and len(fast) == 450


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32))
def test_random_feed_like_documents_give_the_same_entries(seed: int) -> None:
    body, kwargs = random_feed(seed)
    fast, slow, _ = both_ways(body, **kwargs)
    assert fast == slow


@corpus
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FAST_REAL)), st.integers(min_value=0, max_value=2**32))
def test_altered_real_feeds_give_the_same_entries(name: str, seed: int) -> None:
    try:
        body = altered_feed(_body(CORPUS / name), seed)
    except ExpatError:  # minidom reads fewer encodings than feedparser
        assume(False)
    kwargs = [{}, {"base_url": "https://corpus.example/feeds/rss"}, {"max_items": 4}][seed % 3]
    fast, slow, _ = both_ways(body, **kwargs)
    assert fast == slow
