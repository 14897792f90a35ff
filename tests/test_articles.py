"""From Entry to Article: canonical URLs, stable ids, cleaned text, dates and language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.articles import MAX_SUMMARY_HTML_CHARS, article_id, canonical_url, to_article
from bot.models import Entry

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FEED = "https://news.example/rss"


def entry(
    *,
    guid: str | None = None,
    link: str | None = None,
    title: str = "",
    summary: str = "",
    published: datetime | None = None,
) -> Entry:
    return Entry(guid=guid, link=link, title=title, summary=summary, published=published)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example.COM/a/B?x=1#frag", "https://news.example.com/a/B?x=1"),
        ("http://example.com:80/p", "http://example.com/p"),
        ("https://example.com:443/p", "https://example.com/p"),
        ("https://example.com:8443/p", "https://example.com:8443/p"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/story?id=7&utm_source=tw&utm_medium=social&page=2",
            "https://example.com/story?id=7&page=2",
        ),
        ("https://example.com/s?fbclid=abc", "https://example.com/s"),
        (
            "https://example.com/s?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&b=1",
            "https://example.com/s?b=1",
        ),
        ("https://example.com/s?igshid=1&yclid=2&_ga=3&ref_src=twsrc", "https://example.com/s"),
        ("https://example.com/s?UTM_Campaign=x&a=1", "https://example.com/s?a=1"),
        # The remaining parameters keep their order and their exact encoding.
        (
            "https://example.com/s?z=1&a=%20b&m=x+y&utm_id=9",
            "https://example.com/s?z=1&a=%20b&m=x+y",
        ),
        ("https://example.com/s?flag&&utm_term=x", "https://example.com/s?flag"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
        (
            "https://ar.example/%D9%83%D9%88%D8%B1%D9%8A%D8%A7?utm_source=x",
            "https://ar.example/%D9%83%D9%88%D8%B1%D9%8A%D8%A7",
        ),
        ("  https://example.com/p  ", "https://example.com/p"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("not a url", "not a url"),
        ("http://[::1", "http://[::1"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_article_id_prefers_the_guid() -> None:
    assert article_id(entry(guid="tag:x,2025:1", link="https://x/1")) == "g:tag:x,2025:1"


def test_article_id_falls_back_to_the_canonical_link() -> None:
    tracked = entry(link="https://X.example/a?utm_source=rss#top")
    plain = entry(link="https://x.example/a")
    assert article_id(tracked) == article_id(plain) == "u:https://x.example/a"


def test_article_id_hashes_title_and_date_when_nothing_else() -> None:
    day = datetime(2025, 1, 2, tzinfo=UTC)
    first = article_id(entry(title="كيم في موسكو", published=day))
    assert first.startswith("h:")
    assert len(first) == 2 + 24
    int(first[2:], 16)
    assert first == article_id(entry(title="كيم في موسكو", published=day))
    assert first != article_id(entry(title="كيم في موسكو", published=day + timedelta(days=1)))
    assert first != article_id(entry(title="كيم في موسكو"))


def test_to_article_cleans_the_text_and_keeps_the_fields() -> None:
    published = datetime(2025, 2, 28, 9, 30, tzinfo=UTC)
    item = entry(
        guid="42",
        link="https://news.example/kim-putin",
        title="Kim &amp; Putin <b>meet</b>",
        summary="<p>The leaders met.</p><script>track()</script><p>Second&nbsp;paragraph.</p>",
        published=published,
    )
    article = to_article(item, feed_url=FEED, source="Example News", now=NOW)
    assert article is not None
    assert article.id == "g:42"
    assert article.feed_url == FEED
    assert article.source == "Example News"
    assert article.url == "https://news.example/kim-putin"
    assert article.title == "Kim & Putin meet"
    assert article.summary == "The leaders met.\nSecond paragraph."
    assert article.lang == "en"
    assert article.published == published
    assert article.seen_at == NOW


def test_to_article_decides_arabic_by_script() -> None:
    item = entry(title="<b>بوتين</b> يستقبل كيم جونغ أون", summary="في موسكو", link="https://x/1")
    article = to_article(item, feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert article.lang == "ar"
    assert article.title == "بوتين يستقبل كيم جونغ أون"


def test_to_article_without_date_or_link_uses_now_and_the_feed_url() -> None:
    article = to_article(entry(title="Untitled link"), feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert article.published == NOW
    assert article.url == FEED


def test_to_article_does_not_keep_a_date_in_the_future() -> None:
    item = entry(title="From the future", published=NOW + timedelta(days=30))
    article = to_article(item, feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert article.published == NOW


def test_to_article_keeps_an_entry_with_only_a_summary() -> None:
    article = to_article(entry(summary="<p>نص فقط</p>"), feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert article.title == ""
    assert article.summary == "نص فقط"


@pytest.mark.parametrize(
    ("title", "summary"),
    [("", ""), ("   ", "<p> </p>"), ("<img src='x'>", "<script>only()</script>")],
)
def test_to_article_drops_an_entry_with_no_text(title: str, summary: str) -> None:
    item = entry(title=title, summary=summary, link="https://x/1")
    assert to_article(item, feed_url=FEED, source="s", now=NOW) is None


def test_to_article_bounds_a_huge_summary() -> None:
    item = entry(title="t", summary="<p>" + "word " * MAX_SUMMARY_HTML_CHARS + "</p>")
    article = to_article(item, feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert len(article.summary) <= MAX_SUMMARY_HTML_CHARS
