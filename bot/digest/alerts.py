"""Instant alerts: a story that becomes big is sent at once to the chats that asked for alerts.
Pure: which stories are big, which chats get them, and what an alert says (its layout; each
chat's platform writes it in its own markup).

A story is big when at least ``[digest] alert_min_sources`` different outlets reported it (only
articles that may be announced count, so a new feed's backlog never triggers one). The archive
remembers every alerted story, so a story is alerted once, however much more it grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Protocol

from bot.digest.render import Block, Span, langs, layout
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem, Digits

ALERT_WINDOW = timedelta(hours=6)
"""Only stories that grew this recently are considered: an alert is news, not history (and
turning alerts on never floods a chat with yesterday's big stories)."""


class AlertWriter(Protocol):
    """Writes an alert for the chats of one platform (``bot.platforms.base.Platforms``)."""

    def render_alert(
        self,
        platform: str,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str: ...


def big_stories(candidates: Iterable[tuple[int, int]], min_sources: int) -> list[tuple[int, int]]:
    """The (story id, outlets) pairs with at least ``min_sources`` outlets; none when 0."""
    if min_sources <= 0:
        return []
    return [(story_id, count) for story_id, count in candidates if count >= min_sources]


def alert_chats(chats: Iterable[Chat], platforms: Iterable[str]) -> list[Chat]:
    """Subscribed chats with alerts on, on a platform the bot is running."""
    running = set(platforms)
    return [c for c in chats if c.subscribed and c.alerts and c.platform in running]


def alert_layout(
    item: DigestItem, lang: ChatLang, sources: int, catalog: Catalog, digits: Digits = "latn"
) -> tuple[Block, Block]:
    """The alert line in each of the chat's languages (its count in the chat's ``digits``),
    and the story's block (headline, summary, sources) as a digest lays it out."""
    digest = Digest(lang=lang, period_start=None, period_end=item.updated_at, items=(item,))
    _, blocks, _ = layout(digest, catalog)
    header: Block = tuple(
        (Span(catalog.t(code, "alert.header", count=sources, digits=digits), "bold"),)
        for code in langs(lang)
    )
    return header, blocks[0]


def alert_messages(
    item: DigestItem,
    chats: Sequence[Chat],
    *,
    sources: int,
    catalog: Catalog,
    writer: AlertWriter,
) -> list[tuple[str, int, int | None, str]]:
    """(platform, chat id, thread id, text) for each chat, in the chat's digest language, its
    digits and its platform's markup."""
    texts: dict[tuple[str, ChatLang, Digits], str] = {}
    messages = []
    for chat in chats:
        key = (chat.platform, chat.lang, chat.digits)
        if key not in texts:
            texts[key] = writer.render_alert(
                chat.platform,
                item,
                lang=chat.lang,
                sources=sources,
                catalog=catalog,
                digits=chat.digits,
            )
        messages.append((chat.platform, chat.chat_id, chat.thread_id, texts[key]))
    return messages
