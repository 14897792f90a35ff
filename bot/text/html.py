"""HTML fragments from feeds to plain text. Pure.

Uses the standard library's tolerant ``html.parser`` rather than regular expressions, so that
``<`` inside attribute values, comments and CDATA-like script bodies are handled as a browser
would. Block elements end a line; inline elements join their text as written.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# Elements whose text is never shown to a reader.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "title", "iframe"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")
# How much HTML is parsed at a time when the text is bounded: a few paragraphs.
_CHUNK = 4_096


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        """Characters collected so far, before folding: an upper bound of the text's length."""
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <script/> opens nothing; <br/> and <hr/> still break the line.
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            # In HTML a line break in the source is only a space; block elements break lines.
            text = _SPACES.sub(" ", data)
            self.parts.append(text)
            self.size += len(text)


def html_to_text(html: str, limit: int | None = None) -> str:
    """The visible text of an HTML fragment: tags dropped, entities decoded, script and style
    contents removed, one line per block element, runs of whitespace folded to one space.

    Text without any tag is taken as plain text: its entities are decoded and its own line
    breaks kept.

    With ``limit``, at most that many characters of text, cut at the end of a word: the
    fragment is parsed only until they are found, so that a long article costs no more than its
    first ``limit`` characters of text (and the markup between them).
    """
    if "<" not in html:
        return _cut(_fold(unescape(html)), limit)
    collector = _TextCollector()
    source = _terminated(html)
    if limit is None:
        collector.feed(source)
        collector.close()
        return _fold("".join(collector.parts))
    # Fed a chunk at a time until enough text is in. The parser holds back an incomplete tag or
    # reference at the end of a chunk until the next one, so the folded text so far is always a
    # prefix of the whole folded text, and the cut is the same as that of the whole.
    enough = limit
    for start in range(0, len(source), _CHUNK):
        collector.feed(source[start : start + _CHUNK])
        if collector.size > enough:
            text = _fold("".join(collector.parts))
            if len(text) > limit:
                return _cut(text, limit)
            enough = collector.size + limit - len(text)  # folding took that much away
    collector.close()
    return _cut(_fold("".join(collector.parts)), limit)


def _cut(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters at the end of a word: half a word could
    read as another word (a name cut short) to the filter and to search."""
    if limit is None or len(text) <= limit:
        return text
    if not text[limit].isspace():
        last = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
        if last > 0:
            limit = last
    return text[:limit].rstrip()


def _terminated(html: str) -> str:
    """``html`` changed so that every construct ``html.parser`` meets has its terminator later on.

    An unterminated construct makes the parser scan to the end of the input, once per ``<``
    (CPython gh-135462), so crafted input such as ``"<a " * 50_000`` would take minutes. And a
    marked section with an unknown keyword (``<![x``) raises ``AssertionError`` in
    ``_markupbase``. So: a ``<`` after the last ``>`` is only text; a comment opened after the last
    ``-->`` is only text; ``<![`` opens a bogus comment that ends at the next ``>``, which is how
    browsers read ``<![CDATA[…]]>`` outside SVG and MathML.
    """
    last_gt = html.rfind(">")
    head, tail = html[: last_gt + 1], html[last_gt + 1 :].replace("<", "&lt;")
    last_comment_end = head.rfind("-->")
    if head.find("<!--", last_comment_end + 1) >= 0:
        cut = max(last_comment_end, 0)
        head = head[:cut] + head[cut:].replace("<!--", "&lt;!--")
    return head.replace("<![", "<!-[") + tail


def _fold(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
