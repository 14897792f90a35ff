"""The fast reader (bot.ingest.reader): what it reads itself, with feedparser's meaning, and
every case where it hands the body to feedparser. Each body is parsed both ways in one run
(tests/reader_support.py): the entries must be those of the feedparser path either way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ingest import links, mimic, parse, reader, shape
from bot.ingest.dates import UNSURE, feed_date
from bot.models import Entry
from tests.reader_support import both_ways

NS = (
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:atom="http://www.w3.org/2005/Atom"'
)
BASE = "https://news.example/feeds/rss"


def rss(items: str, head: str = "", ns: str = NS, root: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{ns}{root}><channel>'
        f"<title>t</title>{head}{items}</channel></rss>"
    ).encode()


def atom(entries: str, root: str = "") -> bytes:
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{root}><title>t</title>{entries}</feed>'.encode()
    )


def fast(body: bytes, **kwargs: Any) -> list[Entry]:
    """The entries, read by the fast reader, which must equal the feedparser path's."""
    got, expected, read_fast = both_ways(body, **kwargs)
    assert read_fast, "the fast reader handed over"
    assert got == expected
    assert isinstance(got, list)
    return got


def handed_over(body: bytes, **kwargs: Any) -> list[Entry] | tuple[str, str]:
    """The outcome when the fast reader must hand over, which must equal the feedparser path's."""
    got, expected, read_fast = both_ways(body, **kwargs)
    assert not read_fast, "the fast reader read a body it must hand to feedparser"
    assert got == expected
    return got


# --- what it reads, as feedparser reads it -------------------------------------------------------


def test_a_permalink_guid_is_the_link_when_there_is_none() -> None:
    (first, second, third) = fast(
        rss(
            "<item><title>a</title><guid>https://news.example/1</guid></item>"
            '<item><title>b</title><guid isPermaLink="false">https://news.example/2</guid></item>'
            "<item><title>c</title><guid>https://news.example/3</guid>"
            "<link>https://news.example/c</link></item>"
        )
    )
    assert (first.guid, first.link) == ("https://news.example/1", "https://news.example/1")
    assert (second.guid, second.link) == ("https://news.example/2", None)
    assert third.link == "https://news.example/c"


def test_a_relative_permalink_guid_is_resolved_against_the_feeds_url() -> None:
    (entry,) = fast(rss("<item><title>a</title><guid>1559</guid></item>"), base_url=BASE)
    assert (entry.guid, entry.link) == ("https://news.example/feeds/1559",) * 2
    (entry,) = fast(
        rss('<item><title>a</title><guid isPermaLink="True">7</guid></item>'), base_url=BASE
    )
    assert (entry.guid, entry.link) == ("7", None)  # only "true" as written is a permalink


def test_texts_are_stripped_and_keep_their_html() -> None:
    (entry,) = fast(
        rss(
            "<item><title>\n  Kim &amp; Putin  \n</title><link> https://x.example/1 </link>"
            "<description>&lt;p&gt;Talks&lt;/p&gt;</description></item>"
        )
    )
    assert (entry.title, entry.link, entry.summary) == (
        "Kim & Putin",
        "https://x.example/1",
        "<p>Talks</p>",
    )
    (entry,) = fast(
        rss(
            "<item><title>x</title><description><![CDATA[<b>bold</b> & more]]></description></item>"
        )
    )
    assert entry.summary == "<b>bold</b> & more"


def test_atom_takes_the_last_alternate_link() -> None:
    (entry,) = fast(
        atom(
            '<entry><title>a</title><link rel="enclosure" href="https://x.example/a.jpg"/>'
            '<link href="https://x.example/first"/><link rel="self" href="https://x.example/self"/>'
            '<link rel="alternate" type="text/html" href="https://x.example/second"/>'
            '<link rel="alternate" type="application/pdf" href="https://x.example/pdf"/></entry>'
        )
    )
    assert entry.link == "https://x.example/second"


def test_an_rss_link_after_an_atom_link_wins() -> None:
    (entry,) = fast(
        rss(
            '<item><title>a</title><atom:link href="https://x.example/a"/>'
            "<link>https://x.example/b</link></item>"
        )
    )
    assert entry.link == "https://x.example/b"


def test_the_longest_of_summary_and_content_is_kept() -> None:
    long_text = "<p>The full text, longer than the teaser.</p>"
    (first, second) = fast(
        rss(
            f"<item><title>a</title><description>teaser</description>"
            f"<content:encoded><![CDATA[{long_text}]]></content:encoded></item>"
            f"<item><title>b</title><content:encoded>short</content:encoded>"
            f"<description>a description longer than it</description></item>"
        )
    )
    assert first.summary == long_text
    assert second.summary == "a description longer than it"


def test_a_second_description_is_content() -> None:
    (entry,) = fast(
        rss(
            "<item><title>a</title><description>one</description>"
            "<description>the second, longer</description></item>"
        )
    )
    assert entry.summary == "the second, longer"


def test_media_descriptions_in_media_content_count_as_content() -> None:
    (entry,) = fast(
        rss(
            "<item><title>a</title><description>short</description>"
            '<media:content url="https://x.example/v.mp4"><media:title>other</media:title>'
            "<media:description>the media's own, longer description</media:description>"
            "</media:content></item>"
        )
    )
    assert (entry.title, entry.summary) == ("a", "the media's own, longer description")


def test_the_first_title_wins_over_a_deeper_media_title() -> None:
    (first, second) = fast(
        rss(
            '<item><media:content url="u"><media:title>media</media:title></media:content>'
            "<title>own</title></item>"
            "<item><title>own</title><title>second</title></item>"
        )
    )
    assert (first.title, second.title) == ("own", "own")


def test_published_dates_win_over_updated_ones() -> None:
    (first, second, third) = fast(
        rss(
            "<item><title>a</title><dc:date>2024-06-19T10:00:00+02:00</dc:date>"
            "<pubDate>Tue, 18 Jun 2024 23:15:00 +0300</pubDate></item>"
            "<item><title>b</title><dc:date>2024-06-19T10:00:00+02:00</dc:date></item>"
            "<item><title>c</title><pubDate>Tue, 18 Jun 2024 23:15:00 +0300</pubDate>"
            "<pubDate></pubDate><dc:date>2024-06-19T10:00:00Z</dc:date></item>"
        )
    )
    assert first.published == datetime(2024, 6, 18, 20, 15, tzinfo=UTC)
    assert second.published == datetime(2024, 6, 19, 8, 0, tzinfo=UTC)
    assert third.published == datetime(2024, 6, 19, 10, 0, tzinfo=UTC)  # the last pubDate was empty


def test_relative_links_are_resolved_against_the_feeds_url() -> None:
    (entry,) = fast(
        rss("<item><title>a</title><link>../a/1?x=1&amp;y=2</link></item>"), base_url=BASE
    )
    assert entry.link == "https://news.example/a/1?x=1&y=2"
    (entry,) = fast(
        rss("<item><title>a</title><link>a/1</link></item>"), headers={"Content-Location": BASE}
    )
    assert entry.link == "https://news.example/feeds/a/1"


def test_the_feeds_url_is_given_only_where_it_changes_a_link_or_an_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As on the feedparser path: a first read without the feed's URL, a second with it only
    when some link or id would change (tests/test_parse_base.py)."""
    runs: list[str] = []
    original = reader.read_entries

    def recording(data: bytes, headers: dict[str, str], max_items: int) -> Any:
        runs.append(headers.get("content-location", ""))
        return original(data, headers, max_items)

    monkeypatch.setattr(parse, "read_entries", recording)
    absolute = rss(
        "<item><title>a</title><link>https://news.example/1</link>"
        "<guid>https://news.example/1</guid></item>"
    )
    assert parse.parse_feed(absolute, base_url=BASE)[0].link == "https://news.example/1"
    assert runs == [""]
    relative = rss(
        '<item><title>a</title><link>../a/1</link><guid isPermaLink="false">x1</guid></item>'
    )
    assert parse.parse_feed(relative, base_url=BASE)[0].link == "https://news.example/a/1"
    assert runs == ["", "", BASE]


def test_xml_base_is_followed_as_feedparser_follows_it() -> None:
    body = atom(
        '<entry xml:base="https://b.example/posts/"><title>a</title><link href="one"/>'
        "<id>x1</id></entry>"
        '<entry><title>b</title><content type="html" xml:base="https://c.example/">c</content>'
        '<link href="two"/></entry>',
        root=' xml:base="https://b.example/"',
    )
    first, second = fast(body)
    assert (first.link, first.guid) == ("https://b.example/posts/one", "https://b.example/posts/x1")
    assert second.link == "https://b.example/two"
    fast(body, base_url=BASE)


def test_utf8_read_as_latin1_and_c1_controls_are_repaired_as_feedparser_does() -> None:
    (first, second) = fast(
        rss("<item><title>CafÃ© crÃ¨me</title></item><item><title>a&#133; b&#150;</title></item>")
    )
    assert (first.title, second.title) == ("Café crème", "a… b–")


def test_rdf_about_is_the_id_and_declared_legacy_encodings_are_read() -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1256"?>'
        ""
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
        '<channel><title>t</title></channel><item rdf:about="https://dw.example/a">'
        "<title>روسيا وكوريا</title><link>https://dw.example/a</link></item></rdf:RDF>"
    ).encode("cp1256")
    (entry,) = fast(body)
    assert (entry.guid, entry.title) == ("https://dw.example/a", "روسيا وكوريا")


def test_a_wordpress_namespace_below_the_root_is_read() -> None:
    (entry,) = fast(
        rss(
            '<item><title>a</title><post-id xmlns="com-wordpress:feed-additions:1">7'
            "</post-id></item>"
        )
    )
    assert entry.title == "a"


def test_items_past_max_items_are_never_read() -> None:
    # what follows the cut is not even well-formed: the bounds cut it off before feedparser
    body = rss("".join(f"<item><title>t{n}</title></item>" for n in range(5))).replace(
        b"</channel>", b"<oops></channel>"
    )
    assert [e.title for e in fast(body, max_items=3)] == ["t0", "t1", "t2"]


def test_a_source_or_an_image_in_an_item_is_passed_over() -> None:
    (entry,) = fast(
        rss(
            '<item><title>a</title><source url="https://s.example/">S</source><image>i'
            "</image></item>"
        )
    )
    assert entry.title == "a"


# --- what it hands to feedparser ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        rss(
            "<item><title>Unclosed &nbsp; entity</title></item>"
        ),  # malformed: feedparser's loose parser
        rss("<item><title>a</title></item>").replace(b"</channel>", b""),
        b"<opml><body><item><title>x</title></item></body></opml>",  # an unknown root
        atom(
            '<entry><title>a</title><content type="xhtml">'
            '<div xmlns="http://www.w3.org/1999/xhtml">x</div></content></entry>'
        ),
        rss("<item><title>a <b>bold</b> title</title></item>"),  # a title with child elements
        rss("<item><title>a</title><description>x<br/>y</description></item>"),
        rss("<item><title>a</title><pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate></item>"),
        rss("<item><title>a</title><pubDate>Mon, 31 Jun 2024 10:00:00 GMT</pubDate></item>"),
        rss('<item><title type="image/png">YQ==</title></item>'),  # base64 to feedparser
        atom('<entry><title>a</title><content type="text/html" mode="escaped">x</content></entry>'),
        rss('<item><title>a</title><dc:x xmlns:dc="urn:other">y</dc:x></item>'),  # renames dc
        rss("<item><title>a</title><item><title>b</title></item></item>"),  # an item in an item
        rss("<item><title>a</title><textinput>t</textinput></item>"),
        rss('<item href="https://x.example/" ><title>a</title></item>'),  # an item link, CDF-style
        rss("<foo><item><title>a</title></item></foo>"),  # an item where no format puts one
        rss("", head="<content:encoded>feed-level content</content:encoded>"),
        rss("<item><title>a</title><links>l</links></item>"),  # a name feedparser keeps
        rss("<title>no items</title>"),
    ],
)
def test_what_it_cannot_be_sure_of_goes_to_feedparser(body: bytes) -> None:
    handed_over(body)


def test_a_base_that_changes_when_joined_to_itself_goes_to_feedparser() -> None:
    handed_over(
        rss("<item><title>a</title><link>/x</link></item>"), base_url="https:///news.example/feed"
    )


def test_an_encoding_feedparser_would_guess_goes_to_feedparser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = "<rss version='2.0'><channel><item><title>كوريا</title></item></channel></rss>".encode()
    headers = {"content-type": "text/xml"}  # us-ascii to feedparser, then chardet if installed
    assert fast(body, headers=headers)[0].title == "كوريا"
    monkeypatch.setattr(mimic, "_chardet_installed", lambda: True)
    handed_over(body, headers=headers)


def test_nesting_past_the_bounds_goes_to_the_bounds() -> None:
    body = rss(
        "<item><title>x</title>"
        + "<a>" * (shape.MAX_DEPTH + 5)
        + "</a>" * (shape.MAX_DEPTH + 5)
        + "</item>"
    )
    outcome = handed_over(body)
    assert outcome[0] == "ParseError" and "deeper" in outcome[1]


def test_namespaces_past_the_bounds_go_to_the_bounds() -> None:
    """feedparser looks for every name in a namespace without a known prefix among all the
    namespaces declared so far: a body declaring a new one on each of its tags costs it (and
    a reader that does the same) the square of their number."""
    many = "".join(f'<a xmlns:p{k}="urn:n{k}"/>' for k in range(shape.MAX_NAMESPACES))
    body = rss("<item><title>x</title></item>" + many, ns=' xmlns="urn:zz"')  # and the default
    outcome = handed_over(body)
    assert outcome[0] == "ParseError" and "namespaces" in outcome[1]
    # one fewer: read
    assert fast(body.replace(b'<a xmlns:p0="urn:n0"/>', b""))[0].title == "x"


def test_markup_past_the_budget_goes_to_the_bounds() -> None:
    outcome = handed_over(rss("<item><title>x</title>" + "<x/>" * 5_000 + "</item>"), max_items=10)
    assert outcome[0] == "ParseError" and "tags" in outcome[1]
    # more "<" than the budget, but in a CDATA section: the bounds let it through, then the
    # fast reader reads what they give feedparser
    text = "<![CDATA[" + "<p>x</p>" * 3_000 + "]]>"
    body = rss(f"<item><title>x</title><description>{text}</description></item>" * 12)
    assert len(fast(body, max_items=10)) == 10


def test_a_value_too_long_for_the_bounds_scan_goes_to_feedparser() -> None:
    # 250 characters, 2,500 bytes: the bounds' scan does not see this item, feedparser does
    value = "&#x10FFFF;" * 250
    body = rss(f'<item a="{value}"><title>a</title></item><item><title>b</title></item>')
    handed_over(body, max_items=1)
    handed_over(rss(f'<item><title>a</title><x:y xmlns:x="urn:x" v="{"v" * 3000}"/></item>'))
    # long in characters but read whole: read
    url = "https://cdn.example/" + "a" * 600
    (entry,) = fast(rss(f'<item><title>a</title><media:content url="{url}"/></item>'))
    assert entry.title == "a"


def test_a_short_value_long_in_bytes_through_leading_zeros_goes_to_feedparser() -> None:
    # one character, 3,000 bytes: a character reference may have any number of leading zeros,
    # so no count of characters bounds a value's bytes; the bounds' scan does not see this item
    value = "&#x" + "0" * 3_000 + "41;"
    body = rss(
        f'<item/><item a="{value}"><title>hidden</title></item>'
        "<item><title>three</title></item><item><title>four</title></item>"
    )
    assert [e.title for e in handed_over(body, max_items=2)] == ["hidden", "three"]


def test_a_feedparser_of_another_version_is_not_second_guessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reader, "_REPRODUCED", False)
    handed_over(rss("<item><title>a</title></item>"))


def test_a_reader_failure_it_does_not_foresee_leaves_the_body_to_feedparser(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the fast reader costs its speed on that body, never the feed's items."""
    body = rss("<item><title>a</title><link>https://news.example/a</link></item>")
    expected = parse.parse_feed(body, base_url=BASE)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise LookupError("unforeseen")

    monkeypatch.setattr(parse, "read_entries", broken)
    assert parse.parse_feed(body, base_url=BASE) == expected
    assert expected and expected[0].title == "a"
    assert "LookupError" in caplog.text and "unforeseen" not in caplog.text


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 18 Jun 2024 23:15:00 +0300", datetime(2024, 6, 18, 20, 15, tzinfo=UTC)),
        ("18 Jun 2024 23:15 GMT", datetime(2024, 6, 18, 23, 15, tzinfo=UTC)),
        ("Wednesday, 2 Oct 2024 08:00:00 EST", datetime(2024, 10, 2, 13, 0, tzinfo=UTC)),
        ("Sat, 05 Oct 2024 08:00:00 CEST", datetime(2024, 10, 5, 8, 0, tzinfo=UTC)),  # unknown: UTC
        ("Tue, 05 Nov 2024 07:00:00 -0000", datetime(2024, 11, 5, 7, 0, tzinfo=UTC)),
        ("2024-06-19T05:30:00+05:00", datetime(2024, 6, 19, 0, 30, tzinfo=UTC)),
        ("2024-06-19T05:30:59.75Z", datetime(2024, 6, 19, 5, 30, 59, tzinfo=UTC)),
        ("2024-06-19t05:30-01:30", datetime(2024, 6, 19, 7, 0, tzinfo=UTC)),
        ("", None),
        ("Tue, 18 Jun 24 23:15:00 +0300", UNSURE),  # two-digit years
        ("2024-06-19", UNSURE),
        ("2024-06-19 05:30:00", UNSURE),
        ("Tue, 18 Jun 2024 24:00:00 GMT", UNSURE),
        ("Tue, 18 Jun 2024 23:15:00 GMT+3", UNSURE),
        ("2024/1/10 14:33:00", UNSURE),
    ],
)
def test_feed_dates(text: str, expected: object) -> None:
    assert feed_date(text) == expected


# --- links that need no joining ---------------------------------------------------------------

_URL_PIECES = [
    "http://", "https://", "HTTP://", "x.example", "/", "//", "a", ";", "?", "#", "=", "&", "[",
    "]", ":", "@", "80", " ", "\t", "é", "..", ".", "%20", "~", "", "javascript:", "//h.example",
]  # fmt: skip
_BASES = ["", "https://news.example/feeds/rss", "http://n.example/a/b?q#f", "feed:x", "ftp://f/"]


_TRAPS = [
    "https://x.example/a;", "https://x.example/a;b", "https://x.example/a?", "https://x.example/a#",
    "https://x.example?", "http://x.example/a\tb", "https://x.example/\u00e9", "HTTPS://x.example/",
    "https://[::1/", "https:///x.example/", "https://x.example/a b", "https://x.example\n/a",
]  # fmt: skip
_PLAIN = ["https://x.example", "http://x.example/a/b?c=1&d=2#e", "https://x.example//a?b?c#d#e"]


@pytest.mark.parametrize("link", _TRAPS + _PLAIN)
def test_links_joining_would_change_are_joined(link: str) -> None:
    """links.ABSOLUTE spares urljoin and urlsplit only where they would change nothing."""
    assert bool(links.ABSOLUTE.match(link)) == (link in _PLAIN)
    if link in _PLAIN:
        assert all(urljoin(base, link) == link for base in _BASES)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_URL_PIECES), min_size=1, max_size=8))
def test_a_plain_absolute_link_is_what_joining_it_would_give(pieces: list[str]) -> None:
    link = "".join(pieces)
    if links.ABSOLUTE.match(link):
        assert all(urljoin(base, link) == link for base in _BASES)
        assert urlsplit(link).scheme in ("http", "https")
