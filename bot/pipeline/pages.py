"""The next page of a digest's rest, when a chat presses its "more" button: the stories kept
under the page token (``bot.store.pages``), laid out as a digest page of the chat's platform
with its own button while more remain. Sent as new messages: nothing already sent is edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.digest.more import offer_after, parse_data
from bot.errors import StoreError
from bot.models import Chat, Story, Summary
from bot.pipeline.digests import DigestQueue
from bot.store.pages import PageRefusal


@dataclass(frozen=True, slots=True)
class PageParts:
    """A page as the chat's platform shows it: its parts and their markup by part."""

    parts: list[str]
    markups: list[str | None]


def next_page(queue: DigestQueue, chat: Chat, data: str | None) -> PageParts | PageRefusal:
    """The page a button's ``data`` (``more:TOKEN:OFFSET``) asks for in ``chat``, handed out
    once; "stale" for a token expired, unknown, of another chat, or malformed, "sent" for a
    page sent before. The page holds the stories that are still in the archive with a summary
    (retention may have removed some)."""
    pressed = parse_data(data)
    if pressed is None:
        return "stale"
    token, offset = pressed
    size = queue.settings.max_stories
    taken = queue.archive.take_page(
        token=token, platform=chat.platform, chat_id=chat.chat_id, offset=offset, size=size
    )
    if isinstance(taken, str):
        return taken
    pairs: list[tuple[Story, Summary]] = []
    for story_id in taken.story_ids:
        summary = queue.archive.summary(story_id)  # None for a story pruned or merged since
        if summary is None:
            continue
        try:
            pairs.append((queue.archive.story(story_id), summary))
        except StoreError:  # gone between the two reads' worth of retention: not shown
            continue
    digest = queue.page(
        pairs,
        lang=chat.lang,
        since=taken.period_start,
        until=taken.period_end,
        digits=chat.digits,
        rest=taken.rest,
    )
    parts = [
        part.text for part in queue.platforms.render_digest(chat.platform, digest, queue.catalog)
    ]
    offer = offer_after(token, taken.next_offset, len(taken.rest), size, chat.ui_lang, chat.digits)
    if offer is None:
        return PageParts(parts, [None] * len(parts))
    shown, markups = queue.platforms.offer_more(chat.platform, parts, offer, queue.catalog)
    return PageParts(shown, markups)
