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
# A start, end or empty tag as html.parser reads it, in the form most feeds write: a name, then
# attributes whose values are quoted (without "<") or plain; anything else goes to the parser.
_TAG_BODY = (
    r"(?=[\s/>])(?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s\"'<>=`]+))?)*\s*/?>"
)
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*" + _TAG_BODY)
# The case of names is ignored where it matters only: case-insensitive matching of the whole
# pattern would make the engine give up its quick scan for "<".
_BLOCK_TAG = re.compile(r"<(?=/?[a-zA-Z])/?(?i:" + "|".join(sorted(_BLOCKS)) + ")" + _TAG_BODY)
_NOT_SIMPLE = re.compile(r"<(?:[!?]|/?(?i:" + "|".join(sorted(_HIDDEN)) + r")\b)")
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
        return cut_at_word(_fold(unescape(html)), limit)
    simple = _simple_text(html, limit)
    if simple is not None:
        return cut_at_word(simple, limit)
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
                return cut_at_word(text, limit)
            enough = collector.size + limit - len(text)  # folding took that much away
    collector.close()
    return cut_at_word(_fold("".join(collector.parts)), limit)


def _simple_text(html: str, limit: int | None) -> str | None:
    """``html_to_text(html)``, or a longer text it begins with than ``limit``, read without
    ``html.parser`` when the fragment (or the beginning read) is plain tags and text only;
    None otherwise.

    With a limit, a beginning twice as long is read first, and twice as long again while
    it holds too little text: it ends just before a tag, so its last run of text is whole.
    """
    if limit is None:
        return _plain_markup_text(html)
    size = max(2 * limit, _CHUNK)
    while True:
        end = html.find("<", size)
        if end < 0:
            return _plain_markup_text(html)
        text = _plain_markup_text(html[:end])
        if text is None or len(text) > limit:
            return text
        size = 2 * end


def _plain_markup_text(html: str) -> str | None:
    """What ``html_to_text`` gives for a fragment of plain tags and text only, or None for any
    other (a comment, a declaration, script or another hidden element, a ``<`` that opens no
    well-formed tag, a NUL or SOH character).

    Feed HTML is mostly that: paragraphs, links, emphasis and images, where ``html.parser``
    spends about ten times as long per tag as two regular-expression passes. Block tags become
    SOH, other tags NUL, so that each run of text between tags is still decoded on its own,
    as the parser decodes it; then whitespace is folded as ``handle_data`` folds it.
    """
    if "\x00" in html or "\x01" in html or _NOT_SIMPLE.search(html):
        return None
    marked = _ANY_TAG.sub("\x00", _BLOCK_TAG.sub("\x01", html))
    if "<" in marked:
        return None
    # str.split folds the same whitespace as \s, in a fraction of the time of a substitution.
    text = " ".join(unescape(marked).replace("\x00", "").split())
    lines = (line.strip() for line in text.split("\x01"))
    return "\n".join(line for line in lines if line)


def cut_at_word(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters at the end of a word (None: no cut): half a
    word could read as another word (a name cut short) to the filter and to search. A first
    word longer than ``limit`` is cut where the limit falls."""
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
