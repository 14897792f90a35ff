"""Small rules of feedparser 6 that ``bot.ingest.reader`` reproduces to give its entries.

- ``strict_document``: the bytes feedparser's strict (expat) parser is given: the body decoded
  with the first encoding of feedparser's list that decodes it (the HTTP charset or the XML
  declaration's as RFC 3023 orders them, then UTF-8, windows-1252, ISO-8859-2), its XML
  declaration replaced by a UTF-8 one. None when feedparser would ask chardet first.
- ``join_uri`` / ``safe_absolute_uri``: how it resolves links and ids, and base URIs.
- ``repair_text``: what it does to every text last (UTF-8 read as ISO-8859-1 read again,
  C1 controls as windows-1252).
- ``attributes``: an element's attributes under the names it gives them.
- ``hides_markup``: whether it may decode a body with an encoding in which markup is not
  plainly its ASCII bytes (UTF-7, ISO-2022, EBCDIC, escapes, CJK double bytes).
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import importlib.util
import re
import sys
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from bot.ingest.namespaces import standard_prefix

_DECLARATION = re.compile(rb"<\?xml[^>]*?>")
_DECLARATION_TEXT = re.compile(r"<\?xml[^>]*?>")
_DECLARED_ENCODING = re.compile(rb"<\?.*encoding=['\"](.*?)['\"].*\?>")
_NEW_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>"
_XML_TYPES = ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity")
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# The URI schemes feedparser lets a base URI have.
_SCHEMES = frozenset(
    "file ftp gopher h323 hdl http https imap magnet mailto mms news nntp prospero rsync rtsp "
    "rtspu sftp shttp sip sips snews svn svn+ssh telnet wais aim callto cvs facetime feed git "
    "gtalk irc ircs irc6 itms msnim skype ssh smb ymsg".split()
)
# windows-1252's characters for the C1 controls, which feedparser puts in place of them
_CP1252 = {
    c: bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in b"\x81\x8d\x8f\x90\x9d"
}
_C1 = re.compile("[\x80-\x9f]")
_UTF8 = codecs.lookup("utf-8").name
_WIDE_MARKERS = (
    codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE, b"\x4c\x6f\xa7\x94", b"\x00\x3c\x00\x3f",
    b"\x3c\x00\x3f\x00", b"\x00\x00\x00\x3c", b"\x3c\x00\x00\x00",
)  # fmt: skip


def strict_document(data: bytes, headers: Mapping[str, str]) -> tuple[bytes, bool] | None:
    """The document as feedparser's strict parser is given it: decoded with the first of its
    candidate encodings that decodes it, its XML declaration replaced by a UTF-8 one; and
    whether it is ``data``'s own bytes after the declaration (``data`` was UTF-8). None
    when feedparser would guess the encoding with chardet, or when none decodes it."""
    if data[:4] in _WIDE_MARKERS or data[:2] in _WIDE_MARKERS or data[:3] == codecs.BOM_UTF8:
        return None  # bot.ingest.parse transcodes these: they do not reach here
    named = _named_encodings(data, headers)
    if named is None:
        return None
    mime, charset, xml_encoding = named
    # RFC 3023 as feedparser reads it
    if mime in _XML_TYPES or (mime.startswith("application/") and mime.endswith("+xml")):
        first = charset or xml_encoding or "utf-8"
    elif mime.startswith("text/"):
        first = charset or "us-ascii"
    elif "content-type" not in headers:
        first = xml_encoding or "iso-8859-1"
    else:
        first = xml_encoding or "utf-8"
    first = "gb18030" if first.lower() == "gb2312" else first
    xml_encoding = "gb18030" if xml_encoding == "gb2312" else xml_encoding
    tried: list[str] = []
    # None: where feedparser asks chardet, when it is installed
    for proposed in (first, xml_encoding, None, "utf-8", "windows-1252", "iso-8859-2"):
        if proposed is None:
            if _chardet_installed():
                return None
            continue
        if not proposed or proposed in tried:
            continue
        tried.append(proposed)
        try:
            if codecs.lookup(proposed).name == _UTF8:
                data.decode("utf-8")  # valid UTF-8 is given to expat as it is
                found = _DECLARATION.match(data)
                return _NEW_DECLARATION + (data[found.end() :] if found else b"\n" + data), True
            text = data.decode(proposed)
        except (UnicodeDecodeError, LookupError):
            continue
        except Exception:  # an odd codec: whatever feedparser makes of it, it decides
            return None
        found_text = _DECLARATION_TEXT.match(text)
        rest = text[found_text.end() :] if found_text else "\n" + text
        return _NEW_DECLARATION + rest.encode("utf-8"), False
    return None


def _named_encodings(data: bytes, headers: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The content type's MIME type and charset, and the XML declaration's encoding (lower
    case), as feedparser reads them; None when the declared name is not UTF-8."""
    declared = _DECLARED_ENCODING.match(data)
    try:
        xml_encoding = declared.group(1).decode("utf-8").lower() if declared else ""
    except UnicodeDecodeError:
        return None
    mime, _, params = headers.get("content-type", "").partition(";")
    mime, charset = mime.strip(), ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    return mime, charset, xml_encoding


def hides_markup(data: bytes, headers: Mapping[str, str]) -> bool:
    """Whether feedparser may decode ``data`` with an encoding in which "<", quotes and the
    like need not be the bytes that read so in ASCII, or such a byte need not be that
    character: an HTTP charset or an XML declaration naming one. ``bot.ingest.shape`` scans
    the bytes, and would not see the markup feedparser reads."""
    named = _named_encodings(data, headers)
    if named is None:
        return False  # feedparser fails on such a declaration
    return not all(_plain_ascii(name) for name in named[1:] if name)


_PLAIN_ASCII = frozenset({"utf-8", "utf-8-sig", "ascii", "iso8859-1"})
_ASCII_TEXT = bytes(range(128)).decode("ascii")


@functools.lru_cache(maxsize=64)  # the names come from feeds: a bounded cache
def _plain_ascii(name: str) -> bool:
    """Whether the codec ``name`` reads every byte as one character, ASCII bytes as ASCII
    (UTF-8 too: its other bytes are never ASCII). A name Python does not know is one feedparser
    cannot decode with either."""
    try:
        info = codecs.lookup(name)
    except Exception:
        return True
    if info.name in _PLAIN_ASCII:
        return True
    # the single-byte codecs are a table of 256 characters
    table = getattr(sys.modules.get(info.decode.__module__), "decoding_table", None)
    return isinstance(table, str) and len(table) == 256 and table[:128] == _ASCII_TEXT


@functools.cache
def _chardet_installed() -> bool:
    """Whether feedparser can guess encodings (it does when chardet is installed)."""
    return any(importlib.util.find_spec(name) for name in ("cchardet", "chardet"))


def join_uri(base: str, uri: str) -> str:
    """feedparser's join: extra slashes after "scheme://" dropped, "" when it cannot join."""
    if ":///" in uri:  # else the fixer finds nothing to drop
        uri = _URI_FIXER.sub(r"\1\3", uri)
    if not base:
        return uri  # what urljoin gives
    try:
        return urljoin(base, uri)
    except ValueError:
        return ""


def safe_absolute_uri(base: str, relative: str) -> str:
    """feedparser's base URI of an element: ``relative`` joined to ``base``, "" when the
    result's scheme is not one it accepts."""
    if not base:
        return relative or ""
    if not relative:
        try:
            scheme = urlsplit(base).scheme
        except ValueError:
            return ""
        return base if not scheme or scheme in _SCHEMES else ""
    joined = join_uri(base, relative)
    return joined if joined.strip().split(":", 1)[0] in _SCHEMES else ""


def repair_text(output: str) -> str:
    """feedparser's last steps on a text: UTF-8 read as ISO-8859-1 is read again, and C1
    controls become windows-1252's characters."""
    if output.isascii():
        return output
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_CP1252) if _C1.search(output) else output


def attributes(attrs: dict[str, str]) -> dict[str, str]:
    """An element's attributes keyed as feedparser keys them (by its namespace's standard
    prefix, then by the prefix written, lower-cased), rel and type lower-cased."""
    found: dict[str, str] = {}
    for name, value in attrs.items():
        parts = name.split(" ")
        if len(parts) == 1:
            found[name.lower()] = value
            continue
        prefix = standard_prefix(parts[0].lower()) or ""
        found[(f"{prefix}:{parts[1]}" if prefix else parts[1]).lower()] = value
    for name, value in attrs.items():
        parts = name.split(" ")
        written = (
            name if len(parts) == 1 else f"{parts[2]}:{parts[1]}" if len(parts) == 3 else parts[1]
        )
        found[written.lower()] = value
    for key in ("rel", "type"):
        if key in found:
            found[key] = found[key].lower()
    return found
