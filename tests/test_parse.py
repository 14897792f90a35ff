"""parse_feed: RSS 2.0, Atom, RSS 1.0 and JSON Feed bytes to Entry values, safely."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.ingest.parse import parse_feed, parse_feed_async
from bot.models import Entry

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Example</title><link>https://news.example/</link><description>d</description>
  <item>
    <title>Kim and Putin sign a pact</title>
    <link>/world/kim-putin?id=1</link>
    <guid isPermaLink="false">urn:example:1</guid>
    <description>Short &lt;b&gt;teaser&lt;/b&gt;</description>
    <content:encoded><![CDATA[<p>The full text of the story, longer than the teaser.</p>]]>
    </content:encoded>
    <pubDate>Tue, 18 Jun 2024 23:15:00 +0300</pubDate>
  </item>
  <item>
    <title>No date, no guid</title>
    <link>https://news.example/2</link>
    <description>Second</description>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom example</title>
  <id>urn:feed</id>
  <updated>2024-06-19T08:00:00Z</updated>
  <entry>
    <title type="html">بوتين &lt;i&gt;في&lt;/i&gt; بيونغ يانغ</title>
    <id>tag:example.org,2024:1</id>
    <link rel="alternate" type="text/html" href="https://ar.example/1"/>
    <link rel="enclosure" href="https://ar.example/1.jpg"/>
    <updated>2024-06-19T05:30:00+05:00</updated>
    <summary>ملخص</summary>
    <content type="html">&lt;p&gt;النص الكامل للخبر أطول من الملخص&lt;/p&gt;</content>
  </entry>
</feed>
""".encode()

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://dw.example/">
    <title>RDF</title><link>https://dw.example/</link><description>d</description>
    <items><rdf:Seq><rdf:li rdf:resource="https://dw.example/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://dw.example/a">
    <title>Russia and North Korea</title>
    <link>https://dw.example/a</link>
    <description>Talks in Moscow.</description>
    <dc:date>2024-06-19T10:00:00+02:00</dc:date>
  </item>
</rdf:RDF>
"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON example",
        "home_page_url": "https://json.example/",
        "items": [
            {
                "id": 1001,
                "url": "/posts/1",
                "title": "Kim visits Vladivostok",
                "content_text": "Plain text body.",
                "content_html": "<p>The HTML body, which is the longer one.</p>",
                "date_published": "2024-06-19T12:00:00+03:00",
            },
            {"id": "2", "url": "https://json.example/2", "summary": "Only a summary"},
            {"id": "3", "url": "javascript:alert(1)", "title": "Bad link"},
            "not an item",
        ],
    }
).encode()


def test_rss2() -> None:
    first, second = parse_feed(RSS2, base_url="https://news.example/feed.xml")
    assert first == Entry(
        guid="urn:example:1",
        link="https://news.example/world/kim-putin?id=1",
        title="Kim and Putin sign a pact",
        summary="<p>The full text of the story, longer than the teaser.</p>",
        published=datetime(2024, 6, 18, 20, 15, tzinfo=UTC),
    )
    assert second.guid is None
    assert second.link == "https://news.example/2"
    assert second.summary == "Second"
    assert second.published is None


def test_atom() -> None:
    (entry,) = parse_feed(ATOM, headers={"Content-Type": "application/atom+xml"})
    assert entry.guid == "tag:example.org,2024:1"
    assert entry.link == "https://ar.example/1"
    # HTML is kept for the cleaning step.
    assert entry.title == "بوتين <i>في</i> بيونغ يانغ"
    assert entry.summary == "<p>النص الكامل للخبر أطول من الملخص</p>"
    # No <published>: the <updated> date, in UTC.
    assert entry.published == datetime(2024, 6, 19, 0, 30, tzinfo=UTC)


def test_rss1() -> None:
    (entry,) = parse_feed(RSS1)
    assert entry.title == "Russia and North Korea"
    assert entry.link == "https://dw.example/a"
    assert entry.summary == "Talks in Moscow."
    assert entry.published == datetime(2024, 6, 19, 8, 0, tzinfo=UTC)


def test_json_feed() -> None:
    entries = parse_feed(JSON_FEED)
    assert [e.guid for e in entries] == ["1001", "2", "3"]
    first, second, third = entries
    assert first.link == "https://json.example/posts/1"
    assert first.title == "Kim visits Vladivostok"
    assert first.summary == "<p>The HTML body, which is the longer one.</p>"
    assert first.published == datetime(2024, 6, 19, 9, 0, tzinfo=UTC)
    assert second.summary == "Only a summary"
    assert second.title == ""
    assert third.link is None


def test_a_feed_without_items_is_empty_not_an_error() -> None:
    body = b'<rss version="2.0"><channel><title>quiet</title></channel></rss>'
    assert parse_feed(body) == []


def test_json_feed_without_items_is_empty() -> None:
    assert parse_feed(b'{"version": "https://jsonfeed.org/version/1", "title": "x"}') == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"just some text",
        b'{"version": 2, "items": []}',
        b"[1, 2, 3]",
        b"<!DOCTYPE html><html><head><title>Not found</title></head><body>404</body></html>",
        b"\x00\x01\x02\xff\xfe",
    ],
)
def test_a_body_without_a_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body)


def test_a_bytes_body_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    # feedparser.parse(bytes) opens the bytes as a path when such a file exists.
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes(RSS2)
    with pytest.raises(ParseError):
        parse_feed(str(feed_file).encode())


def test_a_malformed_feed_with_entries_is_kept() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Unclosed &nbsp; entity and tags</title><link>https://x/1</link>"
        b"<description><p>para</description></item>"
    )
    (entry,) = parse_feed(body)
    assert entry.link == "https://x/1"
    assert "Unclosed" in entry.title


def test_empty_nested_items_are_skipped() -> None:
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>https://x/a</link><item /></item>"
        b"<item><title>b</title><link>https://x/b</link><item /></item>"
        b"</channel></rss>"
    )
    assert [e.title for e in parse_feed(body)] == ["a", "b"]


def test_max_items_caps_the_entries() -> None:
    items = b"".join(
        b"<item><title>t%d</title><link>https://x/%d</link></item>" % (i, i) for i in range(50)
    )
    body = b'<rss version="2.0"><channel><title>t</title>' + items + b"</channel></rss>"
    entries = parse_feed(body, max_items=7)
    assert [e.title for e in entries] == [f"t{i}" for i in range(7)]


def test_only_http_links_are_kept() -> None:
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>javascript:alert(1)</link></item>"
        b"<item><title>b</title><link>data:text/html,x</link></item>"
        b"<item><title>c</title><link>HTTPS://x.example/c</link></item>"
        b"</channel></rss>"
    )
    assert [e.link for e in parse_feed(body)] == [None, None, "HTTPS://x.example/c"]


def test_bom_and_blank_lines_before_the_xml_declaration() -> None:
    body = b"\xef\xbb\xbf\n\n  \r\n" + RSS2
    assert parse_feed(body)[0].title == "Kim and Putin sign a pact"


def test_utf8_without_declaration_or_content_type_is_utf8() -> None:
    body = '<rss version="2.0"><channel><title>t</title><item><title>كوريا</title></item>'
    body += "</channel></rss>"
    assert parse_feed(body.encode())[0].title == "كوريا"


def test_utf16_feed() -> None:
    body = ATOM.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    (entry,) = parse_feed(body)
    assert entry.title == "بوتين <i>في</i> بيونغ يانغ"


def test_the_charset_in_the_content_type_is_honoured() -> None:
    body = '<rss version="2.0"><channel><title>t</title><item><title>Résumé</title></item>'
    body += "</channel></rss>"
    headers = {"content-type": "application/rss+xml; charset=iso-8859-1"}
    assert parse_feed(body.encode("latin-1"), headers=headers)[0].title == "Résumé"


def test_content_location_header_resolves_relative_links() -> None:
    headers = {"Content-Location": "https://cl.example/feeds/rss"}
    body = (
        b'<rss version="2.0"><channel><item><title>a</title><link>a/1</link></item></channel></rss>'
    )
    assert parse_feed(body, headers=headers)[0].link == "https://cl.example/feeds/a/1"


# --- entity expansion ---------------------------------------------------------------------------

_BIG_VALUE = "x" * 10_000
_REFERENCES = "&big;" * 9_000  # about 45 KB; expanded it would be 90 MB


def _feed_with_prolog(prolog: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n{prolog}\n<rss version="2.0"><channel><title>t</title>'
        f"<item><title>laughs</title><link>https://x/1</link>"
        f"<description>{_REFERENCES}</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "prolog",
    [
        # The internal subset feedparser 6.0.14 keeps and expands.
        f'<!DOCTYPE rss [\n<!ENTITY big "{_BIG_VALUE}">\n]>',
        # Nested references, as in "billion laughs".
        '<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY big "&a;&a;&a;&a;&a;&a;&a;&a;">\n]>',
        # Declarations hidden in a comment next to a DOCTYPE without a subset: feedparser looks
        # for ENTITY declarations anywhere before the root and re-inserts them.
        f'<!DOCTYPE rss SYSTEM "http://x/rss.dtd">\n<!--\n<!ENTITY big "{_BIG_VALUE}">\n-->',
        # The same inside a processing instruction.
        f'<?pi\n<!ENTITY big "{_BIG_VALUE}">\n?>\n<!DOCTYPE rss SYSTEM "x">',
        # A quoted "]>" must not end the internal subset early.
        f'<!DOCTYPE rss [\n<!ENTITY q "]>">\n<!ENTITY big "{_BIG_VALUE}">\n]>',
    ],
)
def test_entity_expansion_is_not_performed(prolog: str) -> None:
    body = _feed_with_prolog(prolog)
    assert 40_000 < len(body) < 150_000
    entries = parse_feed(body)
    assert [e.title for e in entries] == ["laughs"]
    assert sum(len(e.title) + len(e.summary) for e in entries) < 2 * len(body)


def test_entity_expansion_in_a_utf16_feed_is_not_performed() -> None:
    body = _feed_with_prolog(f'<!DOCTYPE rss [\n<!ENTITY big "{_BIG_VALUE}">\n]>')
    wide = body.decode().replace('<?xml version="1.0"?>', "").encode("utf-16")
    entries = parse_feed(wide)
    assert sum(len(e.summary) for e in entries) < 2 * len(body)


def test_an_unterminated_internal_subset_yields_no_feed() -> None:
    with pytest.raises(ParseError):
        parse_feed(b'<!DOCTYPE rss [ <!ENTITY a "x"> <rss><channel></channel></rss>')


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_give_entries_or_parse_error(body: bytes) -> None:
    try:
        entries = parse_feed(body)
    except ParseError:
        return
    assert all(isinstance(e, Entry) for e in entries)


_FRAGMENTS = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<rss version="2.0">',
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>https://x/1</link>",
    "<guid>g</guid>",
    "<pubDate>Tue, 18 Jun 2024 23:15:00 +0300</pubDate>",
    "<description>",
    "</description>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE rss [",
    '<!ENTITY e "v">',
    "]>",
    "&e;",
    "&amp;",
    "<!--",
    "-->",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "<entry>",
    "</entry>",
    "كوريا",
    "text",
    "<",
    ">",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
def test_feed_like_garbage_gives_entries_or_parse_error(pieces: list[str]) -> None:
    try:
        entries = parse_feed("".join(pieces).encode())
    except ParseError:
        return
    assert all(isinstance(e, Entry) for e in entries)


async def test_parse_feed_async_matches_parse_feed() -> None:
    assert await parse_feed_async(RSS2, base_url="https://news.example/") == parse_feed(
        RSS2, base_url="https://news.example/"
    )


# --- the shared corpus of real feeds -------------------------------------------------------------

CORPUS = Path(__file__).parents[2] / "shared" / "feeds"
CORPUS_FILES = sorted(p for p in CORPUS.glob("*") if p.suffix != ".md") if CORPUS.is_dir() else []
# Files that hold no feed parse_feed can read; ParseError is allowed for these only.
NOT_FEEDS: frozenset[str] = frozenset()
# Item counts from the corpus's SOURCES.md, for files that are well-formed.
EXPECTED_COUNTS = {
    "ar-nabdsharqi-2015-atom.xml": 10,
    "ar-nabdsharqi-2015-rss2.xml": 10,
    "ar-skynewsarabia-via-aggregator-2026.xml": 15,
    "ar-aawsat-via-aggregator-2026.xml": 15,
    "ur-bbc-urdu-arabic-script-rss2.xml": 26,
    "en-economist-asia-2026-korea.xml": 300,
    "en-bbc-world-2026.xml": 32,
    "en-nyt-world-2026.xml": 56,
    "en-dw-english-2026-rss10.rdf": 141,
    "en-guardian-us-2018.rss": 55,
    "en-time-world-2026-large.xml": 100,
    "stress-atom-xmlbase-relative-links-ongoing.atom": 20,
    "stress-rss090-rdf-heise.xml": 60,
    "stress-jsonfeed-not-xml.json": 10,
    "stress-gzipped-body-nshipster.xml.gz": 25,
    "stress-declares-utf16-actually-utf8.xml": 59,
    "pt-jn-iso-8859-1-crlf.rss": 40,
}
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")

corpus = pytest.mark.skipif(not CORPUS_FILES, reason="the shared feed corpus is not present")


def _corpus_body(path: Path) -> bytes:
    body = path.read_bytes()
    return gzip.decompress(body) if path.suffix == ".gz" else body


@corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_parses(path: Path) -> None:
    try:
        entries = parse_feed(_corpus_body(path), base_url="https://corpus.example/feed")
    except ParseError:
        assert path.name in NOT_FEEDS
        return
    if path.name in EXPECTED_COUNTS:
        assert len(entries) == EXPECTED_COUNTS[path.name]
    for entry in entries:
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.tzinfo is UTC
    if path.name.startswith("ar-"):
        assert entries
        titled = [e.title for e in entries if e.title]
        assert all(_ARABIC_LETTER.search(t) for t in titled)
        assert all(_ARABIC_LETTER.search(e.title or e.summary) for e in entries)


@corpus
def test_corpus_relative_links_resolve_against_xml_base() -> None:
    entries = parse_feed(_corpus_body(CORPUS / "stress-atom-xmlbase-relative-links-ongoing.atom"))
    assert entries[0].link is not None
    assert entries[0].link.startswith("http://www.tbray.org/ongoing/")


@corpus
def test_corpus_undeclared_utf8_is_not_garbled() -> None:
    entries = parse_feed(_corpus_body(CORPUS / "en-aljazeera-english-2026-no-xmldecl.xml"))
    text = " ".join(e.title for e in entries)
    assert "’" in text
    assert "â€" not in text


@corpus
def test_corpus_windows_1251_feed_decodes_to_cyrillic() -> None:
    entries = parse_feed(_corpus_body(CORPUS / "ru-orenburg-news-windows-1251.xml"))
    assert len(entries) == 10
    assert re.search("[а-яА-Я]", entries[0].title)
