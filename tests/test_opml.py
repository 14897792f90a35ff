"""OPML import and export: nested outlines, refused DTDs, skipped URLs, round trips."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.ingest.opml import export_opml, parse_opml
from bot.models import FeedSource

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="World">
      <outline text="Al Rafidain" title="الرافدين" type="rss" language="ar"
               xmlUrl="https://rafidain.example/rss" htmlUrl="https://rafidain.example/"/>
      <outline text="Deeper">
        <outline text="Pacific Ledger" type="rss" xmlUrl="https://ledger.example/feed.xml"
                 language="en-US"/>
      </outline>
    </outline>
    <outline text="  Eastern &amp; Wire  " xmlurl=" http://wire.example/atom?x=1&amp;y=2 "/>
    <outline text="Local file" xmlUrl="file:///etc/passwd"/>
    <outline text="Script" xmlUrl="javascript:alert(1)"/>
    <outline text="Secret" xmlUrl="https://user:hunter2@private.example/rss"/>
    <outline text="Empty" xmlUrl=""/>
    <outline text="Again" xmlUrl="https://rafidain.example/rss"/>
    <outline text="" xmlUrl="https://nameless.example/rss" language="Klingon-x"/>
  </body>
</opml>
""".encode()
UTF16_WITH_DTD = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY a "x">]><opml/>'
).encode("utf-16")


def test_parse_sample() -> None:
    feeds, skipped = parse_opml(SAMPLE)
    assert feeds == [
        FeedSource("https://rafidain.example/rss", "الرافدين", "ar"),
        FeedSource("https://ledger.example/feed.xml", "Pacific Ledger", "en"),
        FeedSource("http://wire.example/atom?x=1&y=2", "Eastern & Wire", None),
        FeedSource("https://nameless.example/rss", "https://nameless.example/rss", None),
    ]
    assert len(skipped) == 5
    assert skipped[0].startswith("file:///etc/passwd: scheme 'file'")
    assert skipped[1].startswith("javascript:alert(1): scheme 'javascript'")
    assert "credentials" in skipped[2]
    assert skipped[3].startswith("(empty URL): ")
    assert skipped[4] == "https://rafidain.example/rss: listed twice"
    assert not any("hunter2" in line for line in skipped)


def test_an_opml_without_feeds_is_empty_not_an_error() -> None:
    data = b'<opml version="1.0"><head/><body><outline text="folder"/></body></opml>'
    assert parse_opml(data) == ([], [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<opml><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
            "DOCTYPE",
        ),
        (b'<!DOCTYPE opml SYSTEM "http://evil.example/opml.dtd"><opml/>', "DOCTYPE"),
        (b"<!DOCTYPE opml><opml/>", "DOCTYPE"),
        (UTF16_WITH_DTD, "DOCTYPE"),
        (b"<opml><body><outline", "not valid XML"),
        (b"", "not valid XML"),
        (b"   ", "not valid XML"),
        (b"<opml>&undefined;</opml>", "not valid XML"),
        (b"\xff\xfe\x00garbage", "not valid XML"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><opml/>', "not valid XML"),
        (b"<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        (b"<opml/><opml/>", "not valid XML"),
    ],
)
def test_refused_documents(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_opml(data)


def test_other_encodings_are_read() -> None:
    text = '<?xml version="1.0" encoding="{}"?><opml><body>' + (
        '<outline text="كورسك" xmlUrl="https://kursk.example/"/></body></opml>'
    )
    utf16 = codecs.BOM_UTF16_LE + text.format("UTF-16").encode("utf-16-le")
    cp1256 = text.format("windows-1256").encode("cp1256")
    for data in (utf16, cp1256):
        feeds, _ = parse_opml(data)
        assert feeds == [FeedSource("https://kursk.example/", "كورسك")]


def test_export_is_opml_2_in_utf8_and_escaped() -> None:
    feeds = [
        FeedSource("https://a.example/rss?x=1&y=2", 'A "quoted" <name> & co', "en"),
        FeedSource("https://b.example/", "الرافدين", None),
    ]
    data = export_opml(feeds, "digestbot <feeds>")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b'<opml version="2.0">' in data
    assert b"<title>digestbot &lt;feeds&gt;</title>" in data
    assert b"x=1&amp;y=2" in data
    assert "الرافدين".encode() in data
    assert b'language="en"' in data
    assert data.count(b"language=") == 1
    assert parse_opml(data) == (feeds, [])


def test_export_drops_characters_xml_cannot_carry() -> None:
    data = export_opml([FeedSource("https://a.example/", "bell\x07 and \ud800 nul\x00")], "t\x1b")
    assert parse_opml(data) == ([FeedSource("https://a.example/", "bell and  nul")], [])


_XML_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\ufffe\uffff",
        max_codepoint=0x10FFFF,
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    max_size=40,
)
_URL = st.builds(
    "https://{}.example/{}".format,
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._~/-]{0,30}", fullmatch=True),
)


@given(
    st.lists(
        st.tuples(_URL, _XML_TEXT, st.sampled_from([None, "ar", "en"])),
        max_size=8,
        unique_by=lambda row: row[0],
    ),
    _XML_TEXT,
)
def test_round_trip(rows: list[tuple[str, str, str | None]], title: str) -> None:
    feeds = [FeedSource(url, name, lang) for url, name, lang in rows]
    parsed, skipped = parse_opml(export_opml(feeds, title))
    assert skipped == []
    assert parsed == [FeedSource(f.url, f.name.strip() or f.url, f.lang) for f in feeds]


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_parse_error(data: bytes) -> None:
    try:
        feeds, skipped = parse_opml(data)
    except ParseError:
        return
    assert isinstance(feeds, list) and isinstance(skipped, list)


@settings(max_examples=300)
@given(st.text(max_size=60), st.text(max_size=20), st.text(max_size=10))
def test_arbitrary_attribute_values_raise_nothing_but_parse_error(
    url: str, name: str, lang: str
) -> None:
    def attr(value: str) -> str:
        return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

    doc = (
        f'<opml version="2.0"><body><outline text="{attr(name)}" xmlUrl="{attr(url)}"'
        f' language="{attr(lang)}"/></body></opml>'
    )
    try:
        data = doc.encode("utf-8")
    except UnicodeEncodeError:
        return
    try:
        feeds, skipped = parse_opml(data)
    except ParseError:
        return
    assert len(feeds) + len(skipped) == 1
