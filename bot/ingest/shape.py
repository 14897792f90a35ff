"""Bound what feedparser is given, so that parsing one feed costs a bounded amount of time.

feedparser's cost grows with the number of tags, not the number of bytes: within the 5 MB
body limit, 4.8 MB of nested tags took 100 s of CPU and 857 MB, and 100,000 tiny items 28 s,
in the one worker thread every feed waits on. A thread cannot be stopped, so the bound is
built in before parsing. ``bound_markup`` walks the tags once (a linear scan that never
backtracks, and stops at the first bound)::

    item or entry number max_items + 1 (outside another item)
        -> the body is cut just before it and the elements still open are closed:
           the first max_items items are parsed, as max_items always meant
    markup past max_items × MARKUP_PER_ITEM + MARKUP_BASE tags before that cut
        -> ParseError: a feed with that much markup per item is no feed anyone writes
    elements nested deeper than MAX_DEPTH
        -> ParseError (deep nesting is what made feedparser's memory explode)
    more than MAX_NAMESPACES namespace prefixes declared (anywhere in the body)
        -> ParseError: for every start and end tag in a namespace that has no known prefix,
           feedparser looks through every namespace declared so far, so its time grows with
           their number times the tags (20,000 of each: 12 s)

Tags inside CDATA sections, comments and processing instructions are not markup and are skipped;
attribute values are read whole, so "]]>" or "<!--" inside one hides nothing. Character and entity
references are not counted: their cost is linear in the body's bytes, which ``max_bytes``
bounds (a 5 MB body of references parses in about 2 s, the worst there is).
"""

from __future__ import annotations

import re

from bot.errors import ParseError

MAX_DEPTH = 100
"""Deepest element nesting accepted. Real feeds stay under 20, XHTML content included."""
MAX_NAMESPACES = 50
"""Distinct namespace prefixes accepted (the default namespace counts as one). Real feeds
declare under 10."""
MARKUP_PER_ITEM = 200
"""Tags (start, end and empty) allowed per item on average over ``max_items`` items: a feed
of 15 items may have any markup up to the whole budget. The richest feed of the test corpus
(Atom with XHTML content) has about 150 per item."""
MARKUP_BASE = 2_000
"""Tags allowed besides the items' share: the channel's head, namespaces, a few blocks."""

# A tag from "<" to its ">", its quoted attribute values read whole: a value may hold "<", ">",
# "]]>" or "-->" (XML allows ">" there, and the loose parser any of them), and a scan that took
# them for markup could be made to skip real tags. Quoted values are read up to
# ``MAX_QUOTED`` bytes, and otherwise no part can run past the next "<", so the cost of each tag
# is bounded and the scan stays linear (an unclosed "<" or quote is just text).
MAX_QUOTED = 2048
_TAG = re.compile(
    rb"<(/?)([^\s<>/!?]*)((?:\"[^\"]{0,%d}\"|'[^']{0,%d}'|[^'\"<>])*)(>?)"
    % (MAX_QUOTED, MAX_QUOTED)
)
# A namespace declaration's attribute name: only after whitespace, and each match reads no
# further than the next whitespace and the run of it, so the search stays linear.
_DECLARATION = re.compile(rb"(?<=\s)xmlns(?::([^\s=<>/]*))?\s*=")
_ITEMS = frozenset({b"item", b"entry"})
# HTML elements that never have an end tag, as they appear unclosed in loosely written XHTML.
_VOID = frozenset(
    {b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"meta", b"param"}
    | {b"source", b"track", b"wbr"}
)
# Skipped as units where they start in text: CDATA sections, comments, and processing
# instructions (which may hold "<" and "<![CDATA[" as plain characters).
_SKIP_TO = ((b"<![CDATA[", b"]]>"), (b"<!--", b"-->"), (b"<?", b"?>"))
_SKIP_SECOND = (b"!", b"?")


def _local(name: bytes) -> bytes:
    return name.rpartition(b":")[2].lower()


class _Open:
    """The open elements: their names for closing a cut document, their local names with a
    count of each, so that a stray end tag costs O(1) and every element is popped once."""

    def __init__(self) -> None:
        self.names: list[bytes] = []
        self.locals: list[bytes] = []
        self.count: dict[bytes, int] = {}

    def push(self, name: bytes, local: bytes) -> None:
        self.names.append(name)
        self.locals.append(local)
        self.count[local] = self.count.get(local, 0) + 1

    def close(self, local: bytes) -> None:
        """Pop up to the innermost open element named ``local``; a stray end tag pops none."""
        if not self.count.get(local):
            return
        while self.locals:
            self.names.pop()
            popped = self.locals.pop()
            self.count[popped] -= 1
            if popped == local:
                return

    def end_tags(self) -> bytes:
        return b"".join(b"</" + name + b">" for name in reversed(self.names))


def markup_budget(max_items: int) -> int:
    """The tags (start, end, empty, comments, …) allowed before item ``max_items + 1``."""
    return max(0, max_items) * MARKUP_PER_ITEM + MARKUP_BASE


def bound_markup(data: bytes, max_items: int) -> bytes:
    """``data`` itself, or cut after its first ``max_items`` items (a document with at most
    that many, closed where it was cut); ``ParseError`` when the markup before that point is
    too much or too deep."""
    _check_namespaces(data)
    budget = markup_budget(max_items)
    stack = _Open()
    in_item = 0  # depth of the open item or entry, 0 outside any
    items = tags = 0
    pos, end = 0, len(data)
    while pos < end:
        match = _TAG.search(data, pos)
        if match is None:
            break
        start = match.start()
        # Only "<!" and "<?" can open a CDATA section, a comment or a processing instruction.
        skipped = _skip(data, start) if data[start + 1 : start + 2] in _SKIP_SECOND else None
        if skipped is not None:
            pos = skipped
            tags += 1
        else:
            closing, name, rest, closed = match.groups()
            pos = match.end()
            tags += 1
            if not name or not closed:
                pass  # a processing instruction, a declaration, or a "<" in text
            elif closing:
                stack.close(_local(name))
                if in_item > len(stack.names):
                    in_item = 0  # the item is closed
            else:
                local = _local(name)
                empty = rest.endswith(b"/") or local in _VOID
                if local in _ITEMS and not in_item:
                    items += 1  # an empty <item/> is an entry to feedparser too
                    if items > max_items:
                        return data[:start] + stack.end_tags()
                    if not empty:
                        in_item = len(stack.names) + 1
                if not empty:
                    stack.push(name, local)
                    if len(stack.names) > MAX_DEPTH:
                        raise ParseError(f"the feed nests elements deeper than {MAX_DEPTH}")
        if tags > budget:
            raise ParseError(f"the feed has more than {budget} tags in its first {max_items} items")
    return data


def _check_namespaces(data: bytes) -> None:
    prefixes: set[bytes] = set()
    for found in _DECLARATION.finditer(data):
        prefixes.add(found.group(1) or b"")
        if len(prefixes) > MAX_NAMESPACES:
            raise ParseError(f"the feed declares more than {MAX_NAMESPACES} namespaces")


def read_whole(data: bytes, start: int) -> bool:
    """Whether the scan reads the tag at ``start`` whole, as the element it is (not when a
    quoted value in it is longer than ``MAX_QUOTED``)."""
    found = _TAG.match(data, start)
    return found is not None and bool(found.group(4))


def _skip(data: bytes, start: int) -> int | None:
    """Past the CDATA section, comment or processing instruction at ``start``, if there is
    one."""
    for opening, closing in _SKIP_TO:
        if data.startswith(opening, start):
            close = data.find(closing, start + len(opening))
            return len(data) if close < 0 else close + len(closing)
    return None
