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
    """A page as the chat's platform shows it: its parts and their markup by part, and where
    it was taken from (``give_back`` when it could not be sent)."""

    parts: list[str]
    markups: list[str | None]
    token: str = ""
    offset: int = 0
    next_offset: int = 0


def give_back(queue: DigestQueue, page: PageParts) -> None:
    """A page that could not be sent at all is offered again: the next press sends it."""
    queue.archive.give_back_page(token=page.token, offset=page.offset, taken=page.next_offset)


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
    pairs: list[tuple[Story, Summary]] = []
    # a page whose stories all left the archive since (retention, merges) is passed over: the
    # press brings the next page that still has one, or says the list has expired
    while not isinstance(taken, str):
        pairs = _shown(queue, taken.story_ids)
        if pairs or not taken.rest:
            break
        taken = queue.archive.take_page(
            token=token,
            platform=chat.platform,
            chat_id=chat.chat_id,
            offset=taken.next_offset,
            size=size,
        )
    if isinstance(taken, str):
        return taken
    if not pairs:
        return "stale"
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
    start = taken.next_offset - len(taken.story_ids)
    offer = offer_after(token, taken.next_offset, len(taken.rest), size, chat.ui_lang, chat.digits)
    if offer is None:
        return PageParts(parts, [None] * len(parts), token, start, taken.next_offset)
    shown, markups = queue.platforms.offer_more(chat.platform, parts, offer, queue.catalog)
    return PageParts(shown, markups, token, start, taken.next_offset)


def _shown(queue: DigestQueue, story_ids: tuple[int, ...]) -> list[tuple[Story, Summary]]:
    """The stories of ``story_ids`` still in the archive with a summary."""
    pairs: list[tuple[Story, Summary]] = []
    for story_id in story_ids:
        summary = queue.archive.summary(story_id)  # None for a story pruned or merged since
        if summary is None:
            continue
        try:
            pairs.append((queue.archive.story(story_id), summary))
        except StoreError:  # gone between the two reads' worth of retention: not shown
            continue
    return pairs
