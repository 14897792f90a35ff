"""The link and text fields of a feed entry, as ``Entry`` takes them: an absolute http(s) link
(a digest must never carry a ``javascript:`` or ``data:`` link) and stripped text. Shared by the
feedparser path, the fast reader's hand-over and the JSON Feed reader. Pure."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

# An absolute http(s) URL that urljoin gives back unchanged whatever the base (another scheme:
# as it is; the same one: split and joined again, which changes nothing here: a lower-case
# scheme, a host, no ";" in the path, no empty query or fragment) and whose scheme urlsplit
# reads without error (ASCII, no brackets, no whitespace, which it would drop).
ABSOLUTE = re.compile(
    r"https?://[^\x00-\x20\x7f-\U0010ffff/?#\[\];]+(?:/[^\x00-\x20\x7f-\U0010ffff?#\[\];]*)?"
    r"(?:\?[^\x00-\x20\x7f-\U0010ffff#\[\]]+)?(?:#[^\x00-\x20\x7f-\U0010ffff\[\]]+)?\Z"
)


@functools.lru_cache(maxsize=1024)
def joined(base: str, value: str) -> str:
    """``value`` joined to ``base``, "" when it cannot be; kept for the links of the last few
    feeds, which ``bot.ingest.parse`` and ``http_link`` both join."""
    try:
        return urljoin(base, value)
    except ValueError:
        return ""


def text(value: Any) -> str:
    """A field's text without surrounding whitespace; "" for anything but a string."""
    return value.strip() if isinstance(value, str) else ""


def http_link(value: Any, base: str) -> str | None:
    """An absolute http(s) URL, or None: a digest must never carry a javascript: or data: link."""
    link = text(value)
    if not link:
        return None
    if ABSOLUTE.match(link):
        return link  # what joining and urlsplit's scheme would say, without their cost
    absolute = joined(base, link) if base else link
    try:
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None
