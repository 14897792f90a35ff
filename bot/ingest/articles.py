"""From a parsed ``Entry`` to a clean ``Article``: plain text, a stable id, a language. Pure.

The id must stay the same when a feed is fetched again, so that an item is stored once: the
feed's own guid when it has one, else the link with tracking parameters removed, else a hash of
the title and date.
"""

from __future__ import annotations

import hashlib
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


def _is_tracking(param: str) -> bool:
    name = unquote_plus(param.split("=", 1)[0]).strip().lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


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


def article_id(entry: Entry) -> str:
    """A stable id for an entry: ``g:<guid>``, else ``u:<canonical link>``, else ``h:<hash>``."""
    if entry.guid:
        return f"g:{entry.guid}"
    if entry.link:
        return f"u:{canonical_url(entry.link)}"
    date = entry.published.isoformat() if entry.published else ""
    return "h:" + hashlib.sha256((entry.title + date).encode("utf-8")).hexdigest()[:24]


def to_article(entry: Entry, *, feed_url: str, source: str, now: datetime) -> Article | None:
    """The cleaned article for ``entry``, or None when it has neither a title nor a summary.

    ``now`` (UTC) stands in for a missing date, and also for a date in the future: a wrong clock
    at the publisher must not pin an item to the top of every digest.
    """
    title = html_to_text(entry.title[:MAX_SUMMARY_HTML_CHARS])
    summary = html_to_text(entry.summary[:MAX_SUMMARY_HTML_CHARS])
    if not title and not summary:
        return None
    published = entry.published or now
    return Article(
        id=article_id(entry),
        feed_url=feed_url,
        source=source,
        url=entry.link or feed_url,
        title=title,
        summary=summary,
        lang=script_lang(f"{title} {summary}"),
        published=min(published, now),
        seen_at=now,
    )
