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
