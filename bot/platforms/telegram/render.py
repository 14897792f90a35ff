"""A digest or an alert as Telegram HTML messages (``parse_mode=HTML``). Pure.

The platform-neutral layout (``bot.digest.render.layout``) is written out span by span in the
HTML Telegram accepts. Messages are split only between stories, so that none passes 4,096
characters (counted as Telegram does, in UTF-16 code units, after entity parsing) or 100
formatting entities.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.digest.alerts import alert_layout
from bot.digest.render import Block, Part, Span, layout
from bot.digest.watch_alerts import WatchAlert, watch_layout
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, Digits
from bot.text.display import utf16_len

TELEGRAM_MAX_CHARS = 4096
TELEGRAM_MAX_ENTITIES = 100


def _html_span(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.style == "bold":
        return f"<b>{text}</b>"
    if span.style == "italic":
        return f"<i>{text}</i>"
    if span.style == "link":
        return f'<a href="{html.escape(span.href, quote=True)}">{text}</a>'
    return text


def write_html(block: Block) -> str:
    """A block as Telegram HTML: bold, italic and links as tags, everything else escaped."""
    return "\n".join("".join(_html_span(span) for span in line) for line in block)


def _visible_len(block: Block) -> int:
    return sum(utf16_len(span.text) for line in block for span in line) + max(0, len(block) - 1)


def _entities(block: Block) -> int:
    return sum(1 for line in block for span in line if span.style != "plain")


def render_telegram(digest: Digest, catalog: Catalog) -> list[str]:
    """Telegram HTML messages (parse_mode=HTML), split between stories."""
    return [part.text for part in telegram_parts(digest, catalog)]


def telegram_parts(digest: Digest, catalog: Catalog) -> list[Part]:
    """Telegram HTML messages, split between stories, each with the ids of the stories it
    carries."""
    header, blocks, footer = layout(digest, catalog)
    # layout gives one block per item, in the digest's order
    ordered: Sequence[tuple[Block, int | None]] = [
        (block, story)
        for block, story in (
            (header, None),
            *zip(blocks, (item.story_id for item in digest.items), strict=True),
            (footer, None),
        )
        if block
    ]
    messages: list[Part] = []
    current: list[Block] = []
    stories: list[int] = []
    chars = entities = 0
    for block, story in ordered:
        block = _fit(block, TELEGRAM_MAX_CHARS, TELEGRAM_MAX_ENTITIES)
        size, count = _visible_len(block), _entities(block)
        separator = 2 if current else 0
        if current and (
            chars + separator + size > TELEGRAM_MAX_CHARS
            or entities + count > TELEGRAM_MAX_ENTITIES
        ):
            messages.append(Part("\n\n".join(write_html(b) for b in current), tuple(stories)))
            current, stories, chars, entities, separator = [], [], 0, 0, 0
        current.append(block)
        if story is not None:
            stories.append(story)
        chars += separator + size
        entities += count
    if current:
        messages.append(Part("\n\n".join(write_html(b) for b in current), tuple(stories)))
    return messages


def render_telegram_alert(
    item: DigestItem, *, lang: ChatLang, sources: int, catalog: Catalog, digits: Digits = "latn"
) -> str:
    """One alert as one HTML message: the alert line, the story, its sources."""
    blocks = alert_layout(item, lang, sources, catalog, digits)
    return "\n\n".join(write_html(block) for block in blocks)


def render_telegram_watch(alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
    """A watch alert as one short HTML message: the terms, the headline linked."""
    return write_html(watch_layout(alert, lang, catalog))


def _fit(block: Block, max_chars: int, max_entities: int) -> Block:
    """Shorten a single block that alone would not fit in one message (a story with very many
    sources): drop trailing sources (separator, link and label: three spans each, see
    ``bot.digest.render``) until it fits; the first source stays."""
    if not block:
        return block
    chars, entities = _visible_len(block), _entities(block)
    last = list(block[-1])
    # The sizes are kept up to date span by span: measuring the whole block again after each
    # dropped link made a story with hundreds of sources cost seconds to render.
    while (chars > max_chars or entities > max_entities) and len(last) > 3:
        for span in last[-3:]:
            chars -= utf16_len(span.text)
            entities -= span.style != "plain"
        del last[-3:]
    return (*block[:-1], tuple(last))
