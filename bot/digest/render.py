"""Turn a digest into messages: Telegram HTML or plain text. Pure.

A digest is first laid out as blocks of lines of spans (text, bold, italic, link), then written
out for the target. Messages are split only between stories, so that no Telegram message passes
4,096 characters (counted as Telegram does, in UTF-16 code units, after entity parsing) or 100
formatting entities.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.i18n import Catalog
from bot.models import Digest, DigestItem
from bot.text.display import for_chat, link_url
from bot.text.display import utf16_len as utf16_len  # where the renderers import it from

TELEGRAM_MAX_CHARS = 4096
TELEGRAM_MAX_ENTITIES = 100
SUMMARY_CAP = 1200
HEADLINE_CAP = 256
"""A headline longer than this is cut (Discord's embed title limit; far below a message)."""
SOURCE_NAME_CAP = 100

Style = Literal["plain", "bold", "italic", "link"]


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = "plain"
    href: str = ""


Line = tuple[Span, ...]
Block = tuple[Line, ...]


def _langs(digest: Digest) -> tuple[str, ...]:
    return ("ar", "en") if digest.lang == "both" else (digest.lang,)


def _original_headline(item: DigestItem, lang: str) -> str:
    """The headline of the story's first source in another language than ``lang``."""
    for source in item.sources:
        if source.lang != lang:
            return source.title
    return item.sources[0].title if item.sources else ""


def _item_lines(item: DigestItem, lang: str, catalog: Catalog) -> list[Line]:
    # Feed titles, offline extracts and (already checked) model text alike: no hidden
    # characters, nothing clickable, within the caps.
    headline = for_chat(item.summary.headline(lang) or "", HEADLINE_CAP)
    if headline:
        lines: list[Line] = [(Span(headline, "bold"),)]
        text = for_chat(item.summary.text(lang) or "", SUMMARY_CAP)
        if text:
            lines.append((Span(text),))
        return lines
    lines = [
        (Span(catalog.t(lang, "digest.no_translation"), "italic"),),
        (Span(for_chat(_original_headline(item, lang), HEADLINE_CAP), "bold"),),
    ]
    if item.entities:
        names = " · ".join(f"{e.en} / {e.ar}" for e in item.entities)
        lines.append((Span(f"{catalog.t(lang, 'digest.entities')}: {names}"),))
    return lines


def _source_line(item: DigestItem, lang: str, catalog: Catalog) -> Line:
    spans: list[Span] = [Span(f"🔗 {catalog.t(lang, 'digest.sources')}: ")]
    for index, source in enumerate(item.sources):
        if index:
            spans.append(Span(" · "))
        name = for_chat(source.name, SOURCE_NAME_CAP) or "…"
        url = link_url(source.url)
        spans.append(Span(name, "link", url) if url else Span(name))
    return tuple(spans)


def layout(digest: Digest, catalog: Catalog) -> tuple[Block, list[Block], Block]:
    """The header block, one block per story, and the footer block."""
    langs = _langs(digest)
    header: list[Line] = []
    for lang in langs:
        if digest.period_start is None:
            period = catalog.t(lang, "digest.period_all")
        else:
            stamp = digest.period_start.strftime("%Y-%m-%d %H:%M UTC")
            period = catalog.t(lang, "digest.period_since", start=stamp)
        count = len(digest.items)
        if count == 0:
            header.append((Span(catalog.t(lang, "digest.empty"), "bold"),))
        else:
            header.append(
                (Span(catalog.t(lang, "digest.header", count=count, period=period), "bold"),)
            )
    blocks: list[Block] = []
    for item in digest.items:
        lines: list[Line] = []
        for lang in langs:
            lines.extend(_item_lines(item, lang, catalog))
        lines.append(_source_line(item, langs[0], catalog))
        blocks.append(tuple(lines))
    footer: list[Line] = []
    if any(item.summary.method == "offline" for item in digest.items):
        footer = [(Span(catalog.t(lang, "digest.offline_note"), "italic"),) for lang in langs]
    return tuple(header), blocks, tuple(footer)


# writers


def _html_span(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.style == "bold":
        return f"<b>{text}</b>"
    if span.style == "italic":
        return f"<i>{text}</i>"
    if span.style == "link":
        return f'<a href="{html.escape(span.href, quote=True)}">{text}</a>'
    return text


def _plain_span(span: Span) -> str:
    return f"{span.text} <{span.href}>" if span.style == "link" else span.text


def _write(block: Block, target: Literal["html", "plain"]) -> str:
    write = _html_span if target == "html" else _plain_span
    return "\n".join("".join(write(span) for span in line) for line in block)


def _visible_len(block: Block) -> int:
    return sum(utf16_len(span.text) for line in block for span in line) + max(0, len(block) - 1)


def _entities(block: Block) -> int:
    return sum(1 for line in block for span in line if span.style != "plain")


def render_telegram(digest: Digest, catalog: Catalog) -> list[str]:
    """Telegram HTML messages (parse_mode=HTML), split between stories."""
    return _pack(digest, catalog, "html", TELEGRAM_MAX_CHARS, TELEGRAM_MAX_ENTITIES)


def render_plain(digest: Digest, catalog: Catalog) -> str:
    """The whole digest as plain text with URLs, for a terminal."""
    header, blocks, footer = layout(digest, catalog)
    parts = [_write(b, "plain") for b in (header, *blocks, footer) if b]
    return "\n\n".join(parts)


def _pack(
    digest: Digest,
    catalog: Catalog,
    target: Literal["html", "plain"],
    max_chars: int,
    max_entities: int,
) -> list[str]:
    header, blocks, footer = layout(digest, catalog)
    ordered: Sequence[Block] = [b for b in (header, *blocks, footer) if b]
    messages: list[str] = []
    current: list[Block] = []
    chars = entities = 0
    for block in ordered:
        block = _fit(block, max_chars, max_entities)
        size, count = _visible_len(block), _entities(block)
        separator = 2 if current else 0
        if current and (chars + separator + size > max_chars or entities + count > max_entities):
            messages.append("\n\n".join(_write(b, target) for b in current))
            current, chars, entities, separator = [], 0, 0, 0
        current.append(block)
        chars += separator + size
        entities += count
    if current:
        messages.append("\n\n".join(_write(b, target) for b in current))
    return messages


def _fit(block: Block, max_chars: int, max_entities: int) -> Block:
    """Shorten a single block that alone would not fit in one message (a story with very many
    sources): drop trailing source links until it fits."""
    if not block:
        return block
    chars, entities = _visible_len(block), _entities(block)
    last = list(block[-1])
    # The sizes are kept up to date span by span: measuring the whole block again after each
    # dropped link made a story with hundreds of sources cost seconds to render.
    while (chars > max_chars or entities > max_entities) and len(last) > 2:
        for span in last[-2:]:
            chars -= utf16_len(span.text)
            entities -= span.style != "plain"
        del last[-2:]
    return (*block[:-1], tuple(last))
