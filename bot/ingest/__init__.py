"""Ingest: from a feed URL to clean ``Article`` values.

::

    FetchResult = await FeedFetcher.fetch(url, etag=…, last_modified=…)   # I/O, guarded
    if not result.not_modified:
        entries = await parse_feed_async(result.body, headers=result.headers,
                                         base_url=result.final_url)        # worker thread
        articles = [a for e in entries
                    if (a := to_article(e, feed_url=url, source=name, now=now))]

Feeds are fetched concurrently; everything after the fetch is pure.
"""

from __future__ import annotations

from bot.ingest.articles import article_id, canonical_url, to_article
from bot.ingest.fetch import DEFAULT_USER_AGENT, FeedFetcher, FetchStatusError, make_client
from bot.ingest.guard import Resolver, check_host, check_url, redact_url
from bot.ingest.parse import parse_feed, parse_feed_async

__all__ = [
    "DEFAULT_USER_AGENT",
    "FeedFetcher",
    "FetchStatusError",
    "Resolver",
    "article_id",
    "canonical_url",
    "check_host",
    "check_url",
    "make_client",
    "parse_feed",
    "parse_feed_async",
    "redact_url",
    "to_article",
]
