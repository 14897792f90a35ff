"""Helpers for the fast reader's tests: parse a body through the fast reader and through the
feedparser path alone, and random feed-like documents that exercise what the reader models."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.dom import minidom

import pytest

from bot.errors import ParseError
from bot.ingest import parse, reader
from bot.models import Entry

Outcome = list[Entry] | tuple[str, str]


@contextmanager
def counted_fast_reads() -> Iterator[list[bool]]:
    """Records, for every call of the fast reader, whether it gave entries (True) or handed
    the body to feedparser (False)."""
    calls: list[bool] = []
    original = reader.read_entries

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls.append(result is not None)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse, "read_entries", spy)
        yield calls


def outcome(body: bytes, **kwargs: Any) -> Outcome:
    try:
        return parse.parse_feed(body, **kwargs)
    except ParseError as exc:
        return ("ParseError", str(exc))


def both_ways(body: bytes, **kwargs: Any) -> tuple[Outcome, Outcome, bool]:
    """The outcome with the fast reader, the outcome through feedparser alone, and whether the
    fast reader read the body itself (every time it was asked)."""
    with counted_fast_reads() as calls:
        fast = outcome(body, **kwargs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse, "read_entries", lambda *a, **k: None)
        slow = outcome(body, **kwargs)
    return fast, slow, bool(calls) and all(calls)


# --- random feed-like documents ------------------------------------------------------------------

NAMESPACES = (
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:atom="http://www.w3.org/2005/Atom" xmlns:x="urn:example:x"'
    ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    ' xmlns:dcterms="http://purl.org/dc/terms/"'
)
TEXTS = [
    "Kim meets Putin", "", "  spaced  ", "a &amp; b", "&lt;b&gt;bold&lt;/b&gt; text",
    "<![CDATA[<p>para</p> & more]]>", "بوتين في بيونغ يانغ", "CafÃ© crème", "caf\u00e9",
    "&#133; dots &#150;", "x\u0085y", "https://news.example/a?b=1&amp;c=2", "../rel/1",
    "/abs/path", "tag:example.org,2024:1", "javascript:alert(1)", "HTTP:///x.example/y",
    "http://x.example/a&amp;amp;b",
]  # fmt: skip
DATES = [
    "Tue, 18 Jun 2024 23:15:00 +0300", "18 Jun 2024 23:15 GMT", "Wed, 02 Oct 2024 08:00:00 EST",
    "Sat, 5 Oct 2024 08:00:00 CEST", "Tue, 18 Jun 24 23:15:00 +0300", "Mon, 31 Jun 2024 1:00:00 Z",
    "2024-06-19T05:30:00+05:00", "2024-06-19T05:30:00Z", "2024-06-19T05:30:00.25-01:30",
    "2024-06-19", "2024-06-19 05:30:00", "Seg, 24 Set 2018 19:42:40 -0300", "", "garbage",
    "2024/1/10 14:33:00", "Tue, 18 Jun 2024 23:15:60 +0000",
]  # fmt: skip
TYPES = [None, None, "text", "html", "xhtml", "text/html", "text/plain", "TEXT", "image/png"]


TAME_OTHERS = ["<category>c</category>"] * 3
OTHERS = [
    "<category>c</category>", '<category term="t"/>', "<comments>/c</comments>",
    '<enclosure url="https://x.example/a.mp3" type="audio/mpeg"/>', "<dc:creator>A</dc:creator>",
    "<slash:comments>3</slash:comments>", "<x:other>o</x:other>", '<x:o a="1">t</x:o>',
    '<post-id xmlns="com-wordpress:feed-additions:1">7</post-id>', "<links>l</links>",
    "<author><name>N</name><uri>/u</uri></author>", "<published_parsed>p</published_parsed>",
    '<source url="https://s.example/">S</source>', "<image>https://x.example/i.png</image>",
]  # fmt: skip
WILD_OTHERS = ["<textinput>t</textinput>"]
HEADS = [
    "<title>T</title>", "<link>https://news.example/</link>", "<description>d</description>",
    "<language>ar</language>", '<atom:link rel="self" href="https://news.example/rss"/>',
    "<image><url>/i.png</url><title>I</title><link>/</link></image>", "<x:meta>m</x:meta>",
]  # fmt: skip
WILD_HEADS = ["<content:encoded>c</content:encoded>", "<summary>s</summary>"]


def _text(rng: random.Random) -> str:
    return rng.choice(TEXTS)


TAME_TYPES = [None, None, None, "text", "html", "text/html", "text/plain", "TEXT"]
TAME_DATES = DATES[:4] + DATES[6:9] + [""]


def _typed(rng: random.Random, tag: str, body: str, wild: bool) -> str:
    kind = rng.choice(TYPES if wild else TAME_TYPES)
    attr = f' type="{kind}"' if kind else ""
    if wild and rng.random() < 0.05:
        attr += ' mode="escaped"'
    return f"<{tag}{attr}>{body}</{tag}>"


def _child(rng: random.Random, wild: bool, depth: int = 0) -> str:
    pick = rng.randrange(30 if wild else 21)
    text = _text(rng)
    if pick < 3:
        return _typed(rng, rng.choice(["title", "dc:title", "media:title"]), text, wild)
    if pick < 6:
        tag = rng.choice(["description", "summary", "dc:description", "itunes:summary"])
        return _typed(rng, tag, text, wild)
    if pick < 8:
        return _typed(
            rng, rng.choice(["content", "content:encoded", "media:description"]), text, wild
        )
    if pick < 10:
        return f"<link>{text}</link>"
    if pick < 12:
        rel = rng.choice(
            ["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"', ' rel="ALTERNATE"']
        )
        kind = rng.choice(["", ' type="text/html"', ' type="application/pdf"', ' type="html"'])
        return f'<atom:link{rel}{kind} href="{text}"/>'
    if pick < 14:
        perma = rng.choice(
            ["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"']
        )
        tag = rng.choice(["guid", "id", "atom:id"])
        return f"<{tag}{perma}>{text}</{tag}>"
    if pick < 17:
        tag = rng.choice(
            ["pubDate", "dc:date", "updated", "published", "dcterms:modified", "issued"]
        )
        return f"<{tag}>{rng.choice(DATES if wild else TAME_DATES)}</{tag}>"
    if pick < 19 and depth < 2:
        wrapper = rng.choice(
            ["media:content", "media:group", "x:wrap", "author", "source", "image"]
        )
        attrs = ' url="https://x.example/m.jpg"' if wrapper == "media:content" else ""
        inner = "".join(_child(rng, wild, depth + 1) for _ in range(rng.randrange(3)))
        return f"<{wrapper}{attrs}>{inner}</{wrapper}>"
    if pick < 21:
        return rng.choice(
            (TAME_OTHERS * 2 if not wild else []) + OTHERS + (WILD_OTHERS if wild else [])
        )
    if pick < 22:
        tag = rng.choice(["title", "description", "x:t", "link", "guid"])
        where = rng.choice(["https://b.example/d/", "../up/", "javascript:x"])
        return f'<{tag} xml:base="{where}">{text}</{tag}>'
    if pick < 23:
        return (
            "<title>a<b>b</b>c</title>"
            if rng.random() < 0.5
            else "<description>x<br/>y</description>"
        )
    if pick < 24:
        return f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{text}</div></content>'
    tag = rng.choice(["title", "link", "guid", "description"])
    # now and then not closed as opened: malformed
    return f"<{tag}>{text}</{tag if rng.random() < 0.8 else 'title'}>"


def random_feed(seed: int) -> tuple[bytes, dict[str, Any]]:
    """A feed-like document (often not well-formed on purpose) and parse_feed's arguments."""
    rng = random.Random(seed)
    kind = rng.choice(["rss", "rss", "atom", "rdf"])
    wild = rng.random() < 0.3
    items = "".join(_item(rng, kind, wild) for _ in range(rng.randrange(7)))
    heads = HEADS + (WILD_HEADS if wild else [])
    head = "".join(rng.choice(heads) for _ in range(rng.randrange(4)))
    base = rng.choice(["", ' xml:base="https://b.example/root/"'])
    if kind == "rss":
        doc = f'<rss version="2.0"{NAMESPACES}{base}><channel>{head}{items}</channel></rss>'
    elif kind == "atom":
        namespaces = NAMESPACES.replace(" xmlns:atom=", " xmlns:a=")
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"{namespaces}{base}>{head}{items}</feed>'
        doc = doc.replace("<atom:", "<").replace("</atom:", "</")
    else:
        doc = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            f' xmlns="http://purl.org/rss/1.0/"{NAMESPACES}{base}>'
            f"<channel>{head}</channel>{items}</rdf:RDF>"
        )
    if rng.random() < 0.7:
        doc = '<?xml version="1.0" encoding="utf-8"?>\n' + doc
    encoding = "utf-8"
    if wild and rng.random() < 0.3:
        encoding = rng.choice(["iso-8859-1", "windows-1251"])
        doc = doc.replace('encoding="utf-8"', f'encoding="{encoding}"')
    body = doc.encode(encoding, "replace")
    kwargs: dict[str, Any] = {
        "base_url": rng.choice(
            ["", "https://news.example/feeds/rss", "https://news.example/a/b?x=1"]
        ),
        "max_items": rng.choice([1, 2, 3, 5, 500]),
    }
    if rng.random() < 0.3:
        kwargs["headers"] = {
            "content-type": rng.choice(
                ["text/xml", "application/rss+xml; charset=utf-8", "text/html"]
            )
        }
    return body, kwargs


def _item(rng: random.Random, kind: str, wild: bool) -> str:
    tag = "entry" if kind == "atom" else "item"
    about = ' rdf:about="https://dw.example/a"' if kind == "rdf" and rng.random() < 0.7 else ""
    children = "".join(_child(rng, wild) for _ in range(rng.randrange(8)))
    return f"<{tag}{about}>{children}</{tag}>"


# --- real feeds, altered ------------------------------------------------------------------------

INSERTS = [
    '<media:title xmlns:media="http://search.yahoo.com/mrss/">MT</media:title>',
    "<description>second &lt;b&gt;desc&lt;/b&gt;, longer than most teasers are</description>",
    "<guid>relative/guid</guid>", '<guid isPermaLink="false">np</guid>', "<link>../rel</link>",
    "<pubDate></pubDate>", "<pubDate>Tue, 18 Jun 2024 23:15:00 +0300</pubDate>",
    '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2024-06-19T10:00:00Z</dc:date>',
    "<title>  </title>", "<title>T2</title>", "<summary>S</summary>", "<id>urn:x</id>",
    '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">CE</content:encoded>',
    '<x:y xmlns:x="urn:x">z</x:y>', '<source url="https://s.example/">src</source>',
    '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="alternate" href="/alt"/>',
    '<link href="https://a.example/alt" rel="alternate"/>',
]  # fmt: skip
ATTRIBUTES = [("xml:base", "https://b.example/x/"), ("type", "html"), ("type", "text")]
ATTRIBUTES += [("rel", "alternate"), ("type", "xhtml")]


def altered_feed(body: bytes, seed: int) -> bytes:
    """A well-formed feed's items with elements dropped, doubled, given attributes, and others
    inserted: the kinds of variation real feeds show."""
    rng = random.Random(seed)
    document = minidom.parseString(body)
    items = [n for n in document.getElementsByTagName("*") if n.localName in ("item", "entry")]
    for item in items:
        for child in [c for c in item.childNodes if c.nodeType == c.ELEMENT_NODE]:
            roll = rng.random()
            if roll < 0.15:
                item.removeChild(child)
            elif roll < 0.2:
                item.appendChild(child.cloneNode(True))
            elif roll < 0.25 and not child.attributes.length:
                child.setAttribute(*rng.choice(ATTRIBUTES))
        for _ in range(rng.randrange(3)):
            node = document.importNode(
                minidom.parseString(rng.choice(INSERTS)).documentElement, True
            )
            children = [c for c in item.childNodes if c.nodeType == c.ELEMENT_NODE]
            if children and rng.random() < 0.5:
                item.insertBefore(node, rng.choice(children))
            else:
                item.appendChild(node)
    return bytes(document.toxml("utf-8"))
