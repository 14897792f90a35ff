"""Instant alerts: a story that becomes big is sent at once to the chats that asked for alerts.
Pure: which stories are big, which chats get them, and the message text.

A story is big when at least ``[digest] alert_min_sources`` different outlets reported it (only
articles that may be announced count, so a new feed's backlog never triggers one). The archive
remembers every alerted story, so a story is alerted once, however much more it grows.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.digest.render import Block, Span, layout
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, DigestItem

ALERT_WINDOW = timedelta(hours=6)
"""Only stories that grew this recently are considered: an alert is news, not history (and
turning alerts on never floods a chat with yesterday's big stories)."""


def big_stories(candidates: Iterable[tuple[int, int]], min_sources: int) -> list[tuple[int, int]]:
    """The (story id, outlets) pairs with at least ``min_sources`` outlets; none when 0."""
    if min_sources <= 0:
        return []
    return [(story_id, count) for story_id, count in candidates if count >= min_sources]


def alert_chats(chats: Iterable[Chat], platforms: Iterable[str]) -> list[Chat]:
    """Subscribed chats with alerts on, on a platform the bot is running."""
    running = set(platforms)
    return [c for c in chats if c.subscribed and c.alerts and c.platform in running]


def render_alert(
    item: DigestItem, *, lang: ChatLang, sources: int, catalog: Catalog, html_: bool
) -> str:
    """One short message: the alert line, the story's headline and summary, its sources."""
    digest = Digest(lang=lang, period_start=None, period_end=item.updated_at, items=(item,))
    _, blocks, _ = layout(digest, catalog)
    langs = ("ar", "en") if lang == "both" else (lang,)
    header: Block = tuple(
        (Span(catalog.t(code, "alert.header", count=sources), "bold"),) for code in langs
    )
    write = _html if html_ else _plain
    return "\n\n".join(write(block) for block in (header, blocks[0]))


def _html(block: Block) -> str:
    def span(s: Span) -> str:
        text = html.escape(s.text, quote=False)
        if s.style == "bold":
            return f"<b>{text}</b>"
        if s.style == "italic":
            return f"<i>{text}</i>"
        if s.style == "link":
            return f'<a href="{html.escape(s.href, quote=True)}">{text}</a>'
        return text

    return "\n".join("".join(span(s) for s in line) for line in block)


def _plain(block: Block) -> str:
    return "\n".join(
        "".join(f"{s.text} <{s.href}>" if s.style == "link" else s.text for s in line)
        for line in block
    )


def alert_messages(
    item: DigestItem, chats: Sequence[Chat], *, sources: int, catalog: Catalog
) -> list[tuple[str, int, int | None, str]]:
    """(platform, chat id, thread id, text) for each chat, in the chat's digest language."""
    texts: dict[tuple[ChatLang, bool], str] = {}
    messages = []
    for chat in chats:
        html_ = chat.platform == "telegram"
        key = (chat.lang, html_)
        if key not in texts:
            texts[key] = render_alert(
                item, lang=chat.lang, sources=sources, catalog=catalog, html_=html_
            )
        messages.append((chat.platform, chat.chat_id, chat.thread_id, texts[key]))
    return messages
