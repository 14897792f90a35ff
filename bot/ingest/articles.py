"""From a parsed ``Entry`` to a clean ``Article``: plain text, a stable id, a language. Pure.

The id must stay the same when a feed is fetched again, so that an item is stored once: the
feed's own guid when it has one, else the link with tracking parameters removed, else a hash of
the title and date. It is scoped to the feed (``feed_key``): a guid such as ``12345`` means
something only within the feed that gave it, so another feed's item never replaces it, and a
publisher's edit is taken from its own feed only.

``link_key`` is the other way an item is recognised: what a reader sees of it, its canonical
link and its title. A feed whose guids change on every poll still lists the same links and
titles, and the same article listed by two feeds of one outlet is one article.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from bot.models import Article, Entry
from bot.text.html import html_to_text
from bot.text.lang import script_lang

# Parameters that only say where a click came from; removing them makes one article one URL.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
        "yclid", "_ga", "_gl", "ref_src", "ref_url", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wt.mc_id", "cmpid", "ocid", "at_medium", "at_campaign",
        "smid", "twclid", "ttclid", "li_fat_id", "s_cid", "spm",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "__hs", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Longer text adds nothing to the filter or the digest; the cap bounds the cleaning cost.
MAX_SUMMARY_HTML_CHARS = 100_000
MAX_SUMMARY_CHARS = 10_000
"""The most of an item's text that is kept, cut at the end of a word: the HTML is read only
until that much text is found, and the language, the topic filter, search and the summarizer
(which reads 1,500 characters) see no more. News items are far shorter; on the real feeds no
decision of the filter changes."""

# A poll asks for the canonical form of each item's link several times (to check it is not the
# feed's own URL, for its id, for its link key) and for its link key more than once (dedupe in
# the fetch, then against the archive): kept for the most recent items, each is computed about
# once. Bounded, so memory stays flat however many feeds there are.
_CACHED_ITEMS = 4096


def _is_tracking(param: str) -> bool:
    name = unquote_plus(param.split("=", 1)[0]).strip().lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


@functools.lru_cache(maxsize=_CACHED_ITEMS)
def canonical_url(url: str) -> str:
    """``url`` with scheme and host lower-cased, the default port and the fragment dropped, and
    tracking parameters (``utm_*``, ``fbclid`` …) removed; the other parameters keep their order
    and their exact encoding. A string that is not an http(s) URL comes back stripped only."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if scheme not in _DEFAULT_PORTS or not host:
        return url
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{host}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def feed_key(feed_url: str) -> str:
    """A short, fixed token for a feed inside article ids: a hash, so that a private token in
    the feed's URL never ends up in an id."""
    return hashlib.sha256(feed_url.encode("utf-8")).hexdigest()[:12]


def article_id(entry: Entry, feed_url: str) -> str:
    """A stable id for an entry of the feed at ``feed_url``: ``g:<feed key>:<guid>``, else
    ``u:<feed key>:<canonical link>``, else ``h:<feed key>:<hash of title and date>``."""
    scope = feed_key(feed_url)
    if entry.guid:
        return f"g:{scope}:{entry.guid}"
    if entry.link:
        return f"u:{scope}:{canonical_url(entry.link)}"
    date = entry.published.isoformat() if entry.published else ""
    return f"h:{scope}:" + hashlib.sha256((entry.title + date).encode("utf-8")).hexdigest()[:24]


@functools.lru_cache(maxsize=_CACHED_ITEMS)
def link_key(url: str, title: str) -> str:
    """What a reader sees of an article, as a key: its canonical link and its title; "" for an
    article without a link of its own (nothing to recognise it by but its id).

    The title is part of it because some feeds give every item the same link (their home page,
    a live page): those items differ by their title, and must not be taken for one another."""
    if not url:
        return ""
    text = f"{canonical_url(url)}\n{title}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def own_link(link: str | None, feed_urls: Iterable[str]) -> str:
    """``link`` when it points at something other than the feed itself, else "".

    A relative or empty link resolves to the feed's own URL, which may carry a private token
    (``?token=…``): such a link names no article and must never be shown."""
    if not link or not link.strip():
        return ""
    canonical = canonical_url(link)
    if any(canonical == canonical_url(url) for url in feed_urls if url):
        return ""
    return link


def to_article(
    entry: Entry,
    *,
    feed_url: str,
    source: str,
    now: datetime,
    fetched_from: Iterable[str] = (),
) -> Article | None:
    """The cleaned article for ``entry``, or None when it has neither a title nor a summary.

    ``now`` (UTC) stands in for a missing date, and also for a date in the future: a wrong clock
    at the publisher must not pin an item to the top of every digest. An entry without a link
    of its own (none, or one that is only the feed's URL, ``feed_url`` or one of the URLs it was
    ``fetched_from``) gets an empty ``url``: never the feed's URL.
    """
    title = html_to_text(entry.title[:MAX_SUMMARY_HTML_CHARS])
    summary = html_to_text(entry.summary[:MAX_SUMMARY_HTML_CHARS], MAX_SUMMARY_CHARS)
    if not title and not summary:
        return None
    published = entry.published or now
    link = own_link(entry.link, (feed_url, *fetched_from))
    return Article(
        id=article_id(replace(entry, link=link or None), feed_url),
        feed_url=feed_url,
        source=source,
        url=link,
        title=title,
        summary=summary,
        lang=script_lang(f"{title} {summary}"),
        published=min(published, now),
        seen_at=now,
    )
