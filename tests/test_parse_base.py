"""The feed's URL as a base: feedparser is run without it unless some link or id would change."""

from __future__ import annotations

from typing import Any

import feedparser
import pytest

from bot.ingest import parse
from bot.ingest.parse import parse_feed

BASE = "https://news.example/feeds/rss"


def _rss(item: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>a</title>{item}</item></channel></rss>"
    ).encode()


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The response headers of every feedparser run (the fast reader is switched off: these
    are the feedparser path's runs; tests/test_reader.py has the fast reader's)."""
    monkeypatch.setattr(parse, "read_entries", lambda *args, **kwargs: None)
    seen: list[dict[str, str]] = []
    original = feedparser.parse

    def recording(source: Any, **kwargs: Any) -> Any:
        seen.append(dict(kwargs.get("response_headers") or {}))
        return original(source, **kwargs)

    monkeypatch.setattr(feedparser, "parse", recording)
    return seen


def test_absolute_links_and_ids_need_no_base(runs: list[dict[str, str]]) -> None:
    body = _rss("<link>https://news.example/1</link><guid>https://news.example/1</guid>")
    (entry,) = parse_feed(body, base_url=BASE)
    assert (entry.link, entry.guid) == ("https://news.example/1", "https://news.example/1")
    assert len(runs) == 1
    assert "content-location" not in runs[0]


def test_a_relative_id_that_is_no_permalink_needs_no_base(runs: list[dict[str, str]]) -> None:
    body = _rss('<link>https://news.example/1</link><guid isPermaLink="false">1559</guid>')
    (entry,) = parse_feed(body, base_url=BASE)
    assert entry.guid == "1559"
    assert len(runs) == 1
    assert "content-location" not in runs[0]


@pytest.mark.parametrize(
    ("item", "link", "guid"),
    [
        # a permalink guid is a URL to feedparser, resolved against the feed's URL
        ("<link>https://news.example/1</link><guid>1559</guid>", "https://news.example/1",
         "https://news.example/feeds/1559"),
        # a relative link; the guid is kept as written
        ('<link>../a/1</link><guid isPermaLink="false">x1</guid>', "https://news.example/a/1",
         "x1"),
        # isPermaLink="true" as written
        ('<link>https://news.example/1</link><guid isPermaLink="true">7</guid>',
         "https://news.example/1", "https://news.example/feeds/7"),
    ],
)  # fmt: skip
def test_what_the_base_changes_is_resolved_as_with_the_base(
    runs: list[dict[str, str]], item: str, link: str, guid: str
) -> None:
    (entry,) = parse_feed(_rss(item), base_url=BASE)
    assert (entry.link, entry.guid) == (link, guid)
    assert runs[-1].get("content-location") == BASE


def test_atom_ids_are_resolved_as_feedparser_resolves_them(runs: list[dict[str, str]]) -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>a</title>'
        b'<id>entries/9</id><link href="https://news.example/9"/></entry></feed>'
    )
    (entry,) = parse_feed(body, base_url=BASE)
    assert entry.guid == "https://news.example/feeds/entries/9"
