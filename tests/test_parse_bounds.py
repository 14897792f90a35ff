"""Hostile feed bodies: what parsing costs is bounded before feedparser starts (items, tags,
nesting), and a UTF-8 feed with one bad byte stays UTF-8."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from unittest import mock

import feedparser.mixin
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.ingest import mimic, shape
from bot.ingest.charset import declared_encoding, repair_utf8
from bot.ingest.parse import parse_feed
from bot.ingest.shape import MAX_DEPTH, bound_markup

HEAD = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
TAIL = b"</channel></rss>"
_END_TAGS = re.compile(rb"(?:</[^\s<>/!?]+>)*")
ARABIC_TITLE = "روسيا وكوريا الشمالية توقعان اتفاقية تعاون عسكري في بيونغ يانغ"


def item(n: int, title: str = "Kim meets Putin") -> bytes:
    return (
        f"<item><title>{title} {n}</title><link>https://news.example/{n}</link>"
        f"<guid>g{n}</guid></item>"
    ).encode()


@contextmanager
def counted_start_tags() -> Iterator[list[int]]:
    """Counts the start tags feedparser handles (strict and loose parser alike)."""
    seen = [0]
    original = feedparser.mixin._FeedParserMixin.unknown_starttag

    def spy(self: object, *args: object, **kwargs: object) -> object:
        seen[0] += 1
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(feedparser.mixin._FeedParserMixin, "unknown_starttag", spy):
        yield seen


# --- item count ---------------------------------------------------------------------------------


def test_many_tiny_items_are_cut_before_parsing_not_after() -> None:
    body = HEAD + b"".join(item(n) for n in range(20_000)) + TAIL
    with counted_start_tags() as seen:
        entries = parse_feed(body, max_items=50)
    assert [e.guid for e in entries] == [f"g{n}" for n in range(50)]
    # rss, channel, title, then 4 per item: feedparser never saw the other 19,950 items
    assert seen[0] <= 3 + 4 * 50


def test_empty_self_closing_items_count_as_items() -> None:
    body = HEAD + b"<item/>" * 100_000 + item(1) + TAIL
    with counted_start_tags() as seen:
        parse_feed(body, max_items=10)
    assert seen[0] <= 20


def test_the_cut_document_is_closed_and_well_formed() -> None:
    body = HEAD + item(1) + item(2) + item(3) + TAIL
    cut = bound_markup(body, 2)
    assert cut == HEAD + item(1) + item(2) + TAIL
    assert bound_markup(cut, 2) == cut


def test_items_nested_in_items_are_not_counted_twice() -> None:
    nested = b"<item><title>a</title><link>https://news.example/a</link><item/></item>"
    body = HEAD + nested * 3 + TAIL
    assert bound_markup(body, 3) == body


def test_atom_entries_with_prefixes_are_items() -> None:
    entry = b"<a:entry><a:title>x</a:title></a:entry>"
    body = b'<a:feed xmlns:a="http://www.w3.org/2005/Atom">' + entry * 5 + b"</a:feed>"
    assert (
        bound_markup(body, 2)
        == b'<a:feed xmlns:a="http://www.w3.org/2005/Atom">' + (entry * 2) + b"</a:feed>"
    )


def test_tags_in_cdata_and_comments_are_not_markup() -> None:
    text = b"<description><![CDATA[" + b"<p><b>x</b></p>" * 5_000 + b"]]></description>"
    body = HEAD + b"<item><title>x</title>" + text + b"<!--" + b"<a>" * 5_000 + b"--></item>" + TAIL
    assert bound_markup(body, 1) == body
    assert len(parse_feed(body, max_items=1)) == 1


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        (b'<x a="<![CDATA["/>', b'<z a="]]>"/>'),  # "]]>" in an attribute value is XML
        (b'<title a="<!--">t</title>', b'<x a="-->"/>'),  # the loose parser reads this
        (b"<?x <![CDATA[ ?>", b'<z a="]]>"/>'),  # "<" in a processing instruction is XML
        (b"<?x <!-- ?>", b'<z a="-->"/>'),
    ],
)
def test_markup_cannot_hide_from_the_bounds(opening: bytes, closing: bytes) -> None:
    """A CDATA or comment opening inside an attribute value or a processing instruction is not
    one: the items and the nesting after it are counted, as the parsers see them."""
    flood = HEAD + opening + b"".join(item(n) for n in range(3_000)) + closing + TAIL
    with counted_start_tags() as seen:
        entries = parse_feed(flood, max_items=50)
    assert len(entries) == 50 and seen[0] <= 10 + 4 * 50
    deep = HEAD + opening + b"<d>" * 5_000 + b"</d>" * 5_000 + closing + TAIL
    with pytest.raises(ParseError, match="deeper"):
        parse_feed(deep, max_items=50)


# --- nesting and markup --------------------------------------------------------------------------


def test_deep_nesting_is_refused_before_parsing() -> None:
    body = HEAD + b"<item><title>x</title>" + b"<a>" * 200_000 + TAIL
    with counted_start_tags() as seen, pytest.raises(ParseError, match="deeper than 100"):
        parse_feed(body)
    assert seen[0] == 0


@pytest.mark.parametrize(
    ("encoding", "opening", "closing"),
    [
        ("utf-7", b"+ADw-a+AD4-", b"+ADw-/a+AD4-"),  # "<" and ">" in UTF-7's base64
        ("unicode-escape", b"\\u003ca\\u003e", b"\\u003c/a\\u003e"),
        ("raw-unicode-escape", b"\\u003ca\\u003e", b"\\u003c/a\\u003e"),
    ],
)
def test_markup_written_in_another_encodings_bytes_is_bounded(
    encoding: str, opening: bytes, closing: bytes
) -> None:
    """The bounds scan bytes: an encoding that writes "<" otherwise than as its ASCII byte is
    decoded (as feedparser would decode it) before they do, so its tags are markup to them."""
    deep = opening * (MAX_DEPTH + 1) + closing * (MAX_DEPTH + 1)
    body = HEAD.replace(b"utf-8", encoding.encode()) + item(0) + deep + TAIL
    with pytest.raises(ParseError, match="deeper"):
        parse_feed(body)
    tiny = HEAD.replace(b"utf-8", encoding.encode()) + (item(1) + opening + closing) * 3 + TAIL
    assert [e.guid for e in parse_feed(tiny, max_items=2)] == ["g1", "g1"]
    # and the same through the HTTP charset
    headers = {"content-type": f"application/rss+xml; charset={encoding}"}
    with pytest.raises(ParseError, match="deeper"):
        parse_feed(HEAD + item(0) + deep + TAIL, headers=headers)


def test_single_byte_and_utf8_encodings_are_scanned_as_they_are() -> None:
    for encoding in ("utf-8", "windows-1256", "iso-8859-6", "koi8-r", "latin-1", "us-ascii"):
        assert not mimic.hides_markup(HEAD.replace(b"utf-8", encoding.encode()), {})
    for encoding in ("utf-7", "shift_jis", "big5", "iso-2022-jp", "cp500", "cp864", "hz"):
        assert mimic.hides_markup(HEAD.replace(b"utf-8", encoding.encode()), {})


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 4  # rss, channel, item, title
    body = HEAD.replace(b"<title>t</title>", b"") + b"<item><title>x"
    body += b"<a>" * depth + b"</a>" * depth + b"</title></item>" + TAIL
    assert bound_markup(body, 10) == body


def test_unclosed_void_html_elements_do_not_nest() -> None:
    body = HEAD + b"<item><title>x</title><description>" + b"<br>" * 500
    body += b"</description></item>" + TAIL
    assert bound_markup(body, 10) == body


def test_flat_markup_past_the_budget_is_refused_before_parsing() -> None:
    body = HEAD + b"<x/>" * 50_000 + item(1) + TAIL
    with counted_start_tags() as seen, pytest.raises(ParseError, match="more than 4000 tags"):
        parse_feed(body, max_items=10)
    assert seen[0] == 0


def test_stray_end_tags_are_markup_too() -> None:
    body = HEAD + b"</x>" * 50_000 + item(1) + TAIL
    with pytest.raises(ParseError, match="more than 4000 tags"):
        bound_markup(body, 10)


def test_a_lone_angle_bracket_never_makes_the_scan_quadratic() -> None:
    # Each "<" without a ">" ends at the next "<": the scan stays linear (no time asserted
    # here; the budget is what stops it after a few thousand).
    with pytest.raises(ParseError, match="tags"):
        bound_markup(b"<rss>" + b"<a " * 200_000, 5)


# --- UTF-8 with a bad byte ------------------------------------------------------------------------


def arabic_feed(n: int = 20) -> bytes:
    return HEAD + b"".join(item(i, ARABIC_TITLE) for i in range(n)) + TAIL


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "application/rss+xml; charset=utf-8"},
        {"content-type": "text/xml; charset=UTF-8"},
    ],
)
def test_one_invalid_byte_keeps_an_arabic_utf8_feed_utf8(headers: dict[str, str]) -> None:
    body = arabic_feed().replace(b" 0</title>", b" 0\xff</title>")
    entries = parse_feed(body, headers=headers)
    assert len(entries) == 20
    assert entries[0].title == f"{ARABIC_TITLE} 0\ufffd"
    assert all(e.title.startswith(ARABIC_TITLE) for e in entries)


def test_one_invalid_byte_after_a_utf8_bom_keeps_the_feed_utf8() -> None:
    body = b"\xef\xbb\xbf" + arabic_feed().replace(b" 0</title>", b" 0\xc3</title>")
    assert all(e.title.startswith(ARABIC_TITLE) for e in parse_feed(body))


def test_a_feed_without_declaration_whose_bytes_are_windows_1256_is_not_forced_to_utf8() -> None:
    body = arabic_feed().decode().encode("cp1256").replace(b' encoding="utf-8"', b"")
    assert repair_utf8(body, {}) is None
    # feedparser's legacy fallback decides, as before; nothing is turned into U+FFFD
    assert not any("\ufffd" in e.title for e in parse_feed(body))


def test_a_declared_legacy_encoding_is_left_alone() -> None:
    body = arabic_feed().replace(b"utf-8", b"windows-1256")
    assert repair_utf8(body + b"\xff", {}) is None
    assert repair_utf8(b"<a>\xd9\x84\xff</a>", {"content-type": "text/xml; charset=cp1256"}) is None


def test_a_valid_body_is_not_copied() -> None:
    assert repair_utf8(arabic_feed(), {}) is None


def test_declared_encoding_prefers_the_http_charset() -> None:
    data = b'<?xml version="1.0" encoding="windows-1256"?><rss/>'
    assert declared_encoding(data, {"content-type": "application/xml; charset=UTF-8"}) == "utf-8"
    assert declared_encoding(data, {}) == "windows-1256"
    assert declared_encoding(b"<rss/>", {"content-type": "text/xml"}) is None


def test_a_declaration_of_utf16_on_ascii_bytes_is_ignored() -> None:
    body = (HEAD + item(1) + item(2) + TAIL).replace(b"utf-8", b"utf-16")
    for extra in (b"", b" "):  # an odd or even length made feedparser decode UTF-16 or not
        assert [e.title for e in parse_feed(body + extra)] == [
            "Kim meets Putin 1",
            "Kim meets Putin 2",
        ]


# --- fuzz ---------------------------------------------------------------------------------------

_PIECES = [
    b"<rss>",
    b"<channel>",
    b"</channel>",
    b"<item>",
    b"</item>",
    b"<item/>",
    b"<entry>",
    b"</entry>",
    b"<title>",
    b"</title>",
    b"<link>https://x.example/1</link>",
    b"<a>",
    b"</a>",
    b"<b/>",
    b"<br>",
    b"<x:y z='>'>",
    b"<![CDATA[<a><item>",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?pi x?>",
    b"&amp;",
    b"&#1603;",
    "كوريا".encode(),
    b"\xff",
    b"\xd9",
    b"text",
    b"<",
    b">",
    b"/",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_PIECES), max_size=300),
    st.integers(min_value=0, max_value=6),
    st.sampled_from([{}, {"content-type": "application/xml; charset=utf-8"}]),
)
def test_fuzz_parse_never_crashes_and_never_exceeds_its_bounds(
    pieces: list[bytes], max_items: int, headers: dict[str, str]
) -> None:
    body = b"".join(pieces)
    # Small bounds, so that a few hundred pieces can reach them.
    with (
        mock.patch.object(shape, "MAX_DEPTH", 6),
        mock.patch.object(shape, "MARKUP_PER_ITEM", 10),
        mock.patch.object(shape, "MARKUP_BASE", 20),
        counted_start_tags() as seen,
    ):
        budget = max_items * 10 + 20
        try:
            cut = bound_markup(body, max_items)
        except ParseError:
            cut = None
        try:
            entries = parse_feed(body, headers=headers, max_items=max_items)
        except ParseError:
            entries = []
    assert len(entries) <= max_items
    # feedparser may read a document twice (strict, then loose): never more than twice the budget
    assert seen[0] <= 2 * budget
    if cut is not None:
        assert bound_markup(cut, max_items) == cut  # what is cut is within the bounds
        assert cut == body or is_cut_of(body, cut)


def is_cut_of(body: bytes, cut: bytes) -> bool:
    """``cut`` is a prefix of ``body`` ending before a tag, then end tags only."""
    return any(
        cut[:k] == body[:k] and body[k : k + 1] == b"<" and _END_TAGS.fullmatch(cut, k)
        for k in range(len(cut) + 1)
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3_000), st.integers(min_value=0, max_value=5))
def test_fuzz_arbitrary_bytes_never_crash_the_bounds(body: bytes, max_items: int) -> None:
    try:
        cut = bound_markup(body, max_items)
    except ParseError:
        return
    assert bound_markup(cut, max_items) == cut
    with suppress(ParseError):
        assert len(parse_feed(body, max_items=max_items)) <= max_items
