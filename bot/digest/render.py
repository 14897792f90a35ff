"""A digest laid out for any platform, and written as plain text for a terminal. Pure.

A digest is first laid out as blocks of lines of spans (text, bold, italic, link); each platform
writes the blocks out in its own markup and splits them into messages within its own limits
(Telegram's HTML: ``bot.platforms.telegram.render``). Plain text is written here: the terminal's
digests and alerts (``bot.platforms.console``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.digest.labels import KINDS
from bot.i18n import Catalog, localize_digits
from bot.models import ChatLang, Digest, DigestItem, Source
from bot.text.display import for_chat, link_url

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


@dataclass(frozen=True, slots=True)
class Part:
    """One message of a rendered digest and the stories it carries (their ids, in order): the
    outbox keeps them, so that a later update of a story can reply to the message that carried
    it (``bot.store.story_messages``)."""

    text: str
    stories: tuple[int, ...] = ()


def with_update_mark(item: DigestItem, headline: str, lang: str, catalog: Catalog) -> str:
    """``headline`` with "Update:" before it when the chat was sent the story before."""
    if not item.update or not headline:
        return headline
    return f"{catalog.t(lang, 'digest.update')} {headline}"


def langs(lang: ChatLang) -> tuple[str, ...]:
    """The languages a digest in ``lang`` is written in, in order."""
    return ("ar", "en") if lang == "both" else (lang,)


def original_headline(item: DigestItem, lang: str) -> str:
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
        lines: list[Line] = [(Span(with_update_mark(item, headline, lang, catalog), "bold"),)]
        text = for_chat(item.summary.text(lang) or "", SUMMARY_CAP)
        if text:
            lines.append((Span(text),))
        return lines
    lines = [
        (Span(catalog.t(lang, "digest.no_translation"), "italic"),),
        (
            Span(
                with_update_mark(
                    item, for_chat(original_headline(item, lang), HEADLINE_CAP), lang, catalog
                ),
                "bold",
            ),
        ),
    ]
    if item.entities:
        names = " · ".join(f"{e.en} / {e.ar}" for e in item.entities)
        lines.append((Span(f"{catalog.t(lang, 'digest.entities')}: {names}"),))
    return lines


def source_label(source: Source, lang: str, catalog: Catalog) -> str:
    """The outlet's label as shown after its link ("(state media)"), or "" for none."""
    if source.label is None or source.label not in KINDS:
        return ""
    return catalog.t(lang, "label.shown", label=catalog.t(lang, f"label.{source.label}"))


def _source_line(item: DigestItem, lang: str, catalog: Catalog) -> Line:
    """The sources' links, each followed by its label's span ("" for none): a source is always
    three spans after the first (separator, link, label), so a platform can drop whole ones."""
    spans: list[Span] = [Span(f"🔗 {catalog.t(lang, 'digest.sources')}: ")]
    for index, source in enumerate(item.sources):
        if index:
            spans.append(Span(" · "))
        name = for_chat(source.name, SOURCE_NAME_CAP) or "…"
        url = link_url(source.url)
        spans.append(Span(name, "link", url) if url else Span(name))
        label = source_label(source, lang, catalog)
        spans.append(Span(f" {label}" if label else ""))
    return tuple(spans)


def period_text(digest: Digest, lang: str, catalog: Catalog) -> str:
    """The period a digest covers, its date and time in the chat's digits."""
    if digest.period_start is None:
        return catalog.t(lang, "digest.period_all")
    stamp = localize_digits(digest.period_start.strftime("%Y-%m-%d %H:%M UTC"), digest.digits)
    return catalog.t(lang, "digest.period_since", start=stamp)


def header_line(digest: Digest, lang: str, catalog: Catalog) -> str:
    """The digest's header in ``lang``: how many stories, since when (in the chat's digits)."""
    count = len(digest.items)
    if count == 0:
        return catalog.t(lang, "digest.empty")
    period = period_text(digest, lang, catalog)
    return catalog.t(lang, "digest.header", count=count, period=period, digits=digest.digits)


def more_line(digest: Digest, lang: str, catalog: Catalog) -> str:
    """The line "+56 more stories" for the stories past ``max_stories`` (offered page by page, see
    ``bot.digest.more``), in the chat's digits; "" when the digest holds them all."""
    if not digest.rest:
        return ""
    return catalog.t(lang, "digest.more", count=len(digest.rest), digits=digest.digits)


def layout(digest: Digest, catalog: Catalog) -> tuple[Block, list[Block], Block]:
    """The header block, one block per story, and the footer block."""
    codes = langs(digest.lang)
    header: list[Line] = [(Span(header_line(digest, lang, catalog), "bold"),) for lang in codes]
    blocks: list[Block] = []
    for item in digest.items:
        lines: list[Line] = []
        for lang in codes:
            lines.extend(_item_lines(item, lang, catalog))
        lines.append(_source_line(item, codes[0], catalog))
        blocks.append(tuple(lines))
    footer: list[Line] = []
    if any(item.summary.method == "offline" for item in digest.items):
        footer = [(Span(catalog.t(lang, "digest.offline_note"), "italic"),) for lang in codes]
    # Nothing silently dropped: the last part ends with how many stories did not fit.
    footer += [
        (Span(line, "bold"),) for lang in codes if (line := more_line(digest, lang, catalog))
    ]
    return tuple(header), blocks, tuple(footer)


def write_plain(block: Block) -> str:
    """A block as plain text, each link followed by its URL."""
    return "\n".join(
        "".join(
            f"{span.text} <{span.href}>" if span.style == "link" else span.text for span in line
        )
        for line in block
    )


def render_plain(digest: Digest, catalog: Catalog) -> str:
    """The whole digest as plain text with URLs, for a terminal."""
    header, blocks, footer = layout(digest, catalog)
    return "\n\n".join(write_plain(b) for b in (header, *blocks, footer) if b)


def plain_parts(digest: Digest, catalog: Catalog) -> list[Part]:
    """The digest as one plain-text part carrying every story."""
    return [Part(render_plain(digest, catalog), tuple(item.story_id for item in digest.items))]
