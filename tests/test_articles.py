"""From Entry to Article: canonical URLs, stable ids, cleaned text, dates and language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.articles import (
    MAX_SUMMARY_CHARS,
    MAX_SUMMARY_HTML_CHARS,
    article_id,
    canonical_url,
    feed_key,
    link_key,
    to_article,
)
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


SCOPE = feed_key(FEED)


def test_article_id_prefers_the_guid() -> None:
    item = entry(guid="tag:x,2025:1", link="https://x/1")
    assert article_id(item, FEED) == f"g:{SCOPE}:tag:x,2025:1"


def test_article_id_falls_back_to_the_canonical_link() -> None:
    tracked = entry(link="https://X.example/a?utm_source=rss#top")
    plain = entry(link="https://x.example/a")
    assert article_id(tracked, FEED) == article_id(plain, FEED) == f"u:{SCOPE}:https://x.example/a"


def test_article_id_hashes_title_and_date_when_nothing_else() -> None:
    day = datetime(2025, 1, 2, tzinfo=UTC)
    first = article_id(entry(title="كيم في موسكو", published=day), FEED)
    assert first.startswith(f"h:{SCOPE}:")
    digest = first.removeprefix(f"h:{SCOPE}:")
    assert len(digest) == 24
    int(digest, 16)
    assert first == article_id(entry(title="كيم في موسكو", published=day), FEED)
    later = entry(title="كيم في موسكو", published=day + timedelta(days=1))
    assert first != article_id(later, FEED)
    assert first != article_id(entry(title="كيم في موسكو"), FEED)


@pytest.mark.parametrize(
    "item",
    [
        entry(guid="12345", link="https://x/1"),
        entry(link="https://x.example/a"),
        entry(title="كيم في موسكو", published=NOW),
    ],
)
def test_the_same_item_in_two_feeds_has_two_ids(item: Entry) -> None:
    """A guid (or a link, or a title) means something only within the feed that gave it."""
    assert article_id(item, FEED) != article_id(item, "https://other.example/rss")


def test_the_feed_key_hides_the_feed_url() -> None:
    secret = "https://news.example/rss?token=s3cret"
    assert "s3cret" not in article_id(entry(guid="1"), secret)
    assert feed_key(secret) != feed_key(FEED)


def test_link_key_is_the_canonical_link_and_the_title() -> None:
    key = link_key("https://x.example/a?utm_source=rss", "Kim meets Putin")
    assert key == link_key("https://X.example/a#top", "Kim meets Putin")
    assert key != link_key("https://x.example/b", "Kim meets Putin")
    # one link for every item (a home page): the titles tell the items apart
    assert key != link_key("https://x.example/a", "Kim leaves Moscow")
    assert link_key("", "Kim meets Putin") == ""


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
    assert article.id == f"g:{SCOPE}:42"
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


def test_to_article_without_date_or_link_uses_now_and_no_link() -> None:
    article = to_article(entry(title="Untitled link"), feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert article.published == NOW
    assert article.url == ""


@pytest.mark.parametrize(
    "link",
    [
        # a relative or empty link, resolved against the feed's own URL
        "https://news.example/rss?token=s3cret",
        "HTTPS://NEWS.example/rss?token=s3cret#item",
        # the URL the feed was fetched from after a redirect
        "https://mirror.example/feed?token=s3cret",
        "   ",
    ],
)
def test_a_link_to_the_feed_itself_is_no_link(link: str) -> None:
    """The feed's URL may carry a private token: it never becomes an item's link."""
    article = to_article(
        entry(guid="7", link=link, title="Kim meets Putin"),
        feed_url="https://news.example/rss?token=s3cret",
        source="s",
        now=NOW,
        fetched_from=("https://mirror.example/feed?token=s3cret",),
    )
    assert article is not None
    assert article.url == ""
    assert "s3cret" not in article.id


def test_a_link_beside_the_feed_is_kept() -> None:
    link = "https://news.example/rss?token=s3cret&item=7"
    item = entry(guid="7", link=link, title="Kim meets Putin")
    article = to_article(
        item, feed_url="https://news.example/rss?token=s3cret", source="s", now=NOW
    )
    assert article is not None
    assert article.url == link


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


def test_to_article_keeps_a_bounded_text_cut_at_a_word() -> None:
    # 12-character words: a cut in the middle of one would leave a fragment at the end
    item = entry(title="t", summary="<p>" + "Pyongyang11 " * (MAX_SUMMARY_CHARS // 6) + "</p>")
    article = to_article(item, feed_url=FEED, source="s", now=NOW)
    assert article is not None
    assert MAX_SUMMARY_CHARS - 12 <= len(article.summary) <= MAX_SUMMARY_CHARS
    assert article.summary.endswith("Pyongyang11")
