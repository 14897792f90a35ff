"""Keep a UTF-8 feed UTF-8 when a few of its bytes are invalid.

feedparser decodes a body with the declared encoding and, when that fails on a single byte,
tries windows-1252 next: one stray byte in a UTF-8 feed turns every Arabic item into mojibake,
which the topic filter then judges irrelevant and remembers as seen, so it is lost for good.
``repair_utf8`` decodes such a body itself, with U+FFFD for the invalid sequences, when:

- the body is declared UTF-8 (HTTP charset first, else the XML declaration, as RFC 7303 orders
  them) or declares nothing (XML's default is UTF-8), and
- it is evidently UTF-8: at least ``_VALID_PER_INVALID`` well-formed non-ASCII characters for
  each invalid sequence. A legacy single-byte body (windows-1256 Arabic, windows-1252 English)
  forms almost no valid multi-byte sequences, so it keeps feedparser's fallback, as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8", "unicode-1-1-utf-8"})
_VALID_PER_INVALID = 20
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_ASCII = bytes(range(128))
_REPLACEMENT = "\ufffd".encode()


def declared_encoding(data: bytes, headers: Mapping[str, str]) -> str | None:
    """The encoding the HTTP charset or else the XML declaration names, lower-case, if any."""
    found = _CHARSET.search(headers.get("content-type", ""))
    if found:
        return found.group(1).lower()
    declaration = _XML_ENCODING.match(data[:200])
    return declaration.group(1).decode("ascii").lower() if declaration else None


def repair_utf8(data: bytes, headers: Mapping[str, str]) -> bytes | None:
    """``data`` as valid UTF-8 (invalid sequences replaced) when it is a UTF-8 body with a few
    bad bytes; None when it is valid already, or not UTF-8, or not evidently so."""
    declared = declared_encoding(data, headers)
    if declared is not None and declared not in _UTF8_NAMES:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - data.count(_REPLACEMENT)
    ascii_chars = len(data) - len(data.translate(None, _ASCII))
    valid_non_ascii = len(text) - ascii_chars - invalid
    if valid_non_ascii < _VALID_PER_INVALID * invalid:
        return None
    return text.encode("utf-8")
