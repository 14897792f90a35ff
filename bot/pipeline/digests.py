"""The digest queue: for each chat whose digest is due, compose → render for its platform →
outbox, in one transaction per digest (see ``bot.delivery.sender`` for the sending).

A story the chat was shown before comes back only as an update with the links the chat has not
seen (``bot.digest.compose``): the outbox keeps which stories each part carries and the links it
shows (``bot.store.story_messages``), and the sender replies with it to the first message that
carried the story."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import DigestSettings
from bot.digest.compose import EntityNamer, compose
from bot.digest.labels import SourceLabeller
from bot.digest.more import MoreOffer, offer_after
from bot.digest.render import Part
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, Digits, Story, Summary
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.store.story_messages import ShownStory


class DigestWriter(Protocol):
    """What writes a digest as a chat of a platform shows it (``bot.platforms.base.Platforms``;
    the pipeline does not know which platforms there are)."""

    def render_digest(self, name: str, digest: Digest, catalog: Catalog) -> list[Part]: ...

    def offer_more(
        self, name: str, parts: list[str], offer: MoreOffer, catalog: Catalog
    ) -> tuple[list[str], list[str | None]]: ...


class DigestQueue:
    """Composes the chats' digests and writes them to the outbox."""

    def __init__(
        self,
        *,
        settings: DigestSettings,
        state: StateStore,
        archive: Archive,
        catalog: Catalog,
        entity_names: EntityNamer,
        labels: SourceLabeller,
        platforms: DigestWriter,
        now: Callable[[], datetime],
    ) -> None:
        """``entity_names`` gives the digest's entity line its names (the topic matcher's)."""
        self.settings = settings
        self.state = state
        self.archive = archive
        self.catalog = catalog
        self.platforms = platforms
        self._entity_names = entity_names
        self._labels = labels
        self._now = now

    def digest(
        self,
        *,
        lang: ChatLang,
        since: datetime | None,
        until: datetime,
        digits: Digits = "latn",
        chat: Chat | None = None,
    ) -> Digest:
        """The digest of the stories with news in (``since``, ``until``] that have a summary;
        for ``chat``, a story it was shown before only as an update with what it has not seen."""
        pairs: list[tuple[Story, Summary]] = []
        for story in self.archive.stories_with_news(since, until):
            summary = self.archive.summary(story.id)
            if summary is not None:
                pairs.append((story, summary))
        seen = (
            self.archive.seen_links(chat.platform, chat.chat_id, [story.id for story, _ in pairs])
            if chat is not None
            else None
        )
        return compose(
            pairs,
            lang=lang,
            since=since,
            until=until,
            max_stories=self.settings.max_stories,
            entity_names=self._entity_names,
            seen=seen,
            labels=self._labels,
            digits=digits,
        )

    def page(
        self,
        pairs: Sequence[tuple[Story, Summary]],
        *,
        lang: ChatLang,
        since: datetime | None,
        until: datetime,
        digits: Digits,
        rest: Sequence[int],
    ) -> Digest:
        """A page of a digest's rest (``bot.pipeline.pages``): ``pairs`` laid out as a digest
        whose own rest is ``rest``."""
        digest = compose(
            pairs,
            lang=lang,
            since=since,
            until=until,
            max_stories=max(len(pairs), 1),
            entity_names=self._entity_names,
            labels=self._labels,
            digits=digits,
        )
        return replace(digest, rest=tuple(rest))

    def render(self, chat: Chat, digest: Digest, key: str) -> tuple[list[Part], list[str | None]]:
        """The parts of ``digest`` for ``chat``, with their markup; when stories did not fit,
        they are kept under a page token (``bot.store.pages``) that the last part offers."""
        parts = self.platforms.render_digest(chat.platform, digest, self.catalog)
        if not digest.rest:
            return parts, [None] * len(parts)
        token = self.archive.save_pages(
            platform=chat.platform,
            chat_id=chat.chat_id,
            digest_key=key,
            story_ids=digest.rest,
            offset=0,
            period_start=digest.period_start,
            period_end=digest.period_end,
            now=self._now(),
        )
        offer = offer_after(
            token, 0, len(digest.rest), self.settings.max_stories, chat.ui_lang, chat.digits
        )
        assert offer is not None
        texts, markups = self.platforms.offer_more(
            chat.platform, [part.text for part in parts], offer, self.catalog
        )
        return [replace(part, text=text) for part, text in zip(parts, texts, strict=True)], markups

    def since_for(self, chat: Chat, now: datetime) -> datetime:
        """Where a chat's next digest starts: after its last one, or N hours back for a new chat."""
        last = self.archive.last_digest_end(chat.platform, chat.chat_id)
        candidates = [t for t in (last, chat.last_digest_at) if t is not None]
        if candidates:
            return max(candidates)
        return now - timedelta(hours=self.settings.initial_hours)

    def queue_due(self, due: Sequence[tuple[Chat, datetime]]) -> int:
        """Queue the digest of each (chat, end of its period); returns the parts queued.

        Idempotent: the digest key is the chat and the period's end, so queueing twice sends
        once. The chats' ``last_digest_at`` are saved together at the end: each save rewrites
        the whole state file, and one per chat held the event loop for minutes when thousands
        of chats were due at the same time. Each digest's outbox rows are committed as it is
        queued, and the outbox is what the next period starts from, so a crash before that
        one write sends nothing twice.
        """
        total = 0
        done: list[Chat] = []
        for chat, until in due:
            queued, saved = self._queue(chat, until)
            total += queued
            if saved is not None:
                done.append(saved)
        self.state.save_chats(done)
        return total

    def _queue(self, chat: Chat, until: datetime) -> tuple[int, Chat | None]:
        """The parts queued for ``chat`` and the chat to save (None when nothing was new)."""
        since = self.since_for(chat, until)
        if since >= until:
            return 0, None
        digest = self.digest(
            lang=chat.lang, since=since, until=until, digits=chat.digits, chat=chat
        )
        if not digest.items:
            return 0, None
        queued = self.queue(chat, digest, until)
        return queued, replace(chat, last_digest_at=until)

    def queue(self, chat: Chat, digest: Digest, until: datetime) -> int:
        """Write ``digest`` to the outbox for ``chat`` with the stories each part carries, in
        one transaction; returns the parts queued. Idempotent per chat and period end."""
        digest_key = f"{chat.key}:{until.isoformat()}"
        items = {item.story_id: item for item in digest.items}
        with self.archive.transaction():
            # the page token of the stories past max_stories is saved with the digest
            parts, markups = self.render(chat, digest, digest_key)
            queued = self.archive.queue_digest(
                platform=chat.platform,
                chat_id=chat.chat_id,
                thread_id=chat.thread_id,
                digest_key=digest_key,
                period_end=until,
                parts=[part.text for part in parts],
                now=self._now(),
                markups=markups,
            )
            self.archive.record_shown(
                platform=chat.platform,
                chat_id=chat.chat_id,
                digest_key=digest_key,
                parts=[
                    [
                        ShownStory(
                            story_id=story_id,
                            update=items[story_id].update,
                            links=tuple(source.url for source in items[story_id].sources),
                        )
                        for story_id in part.stories
                    ]
                    for part in parts
                ],
            )
        return queued

    def queue_digests(self, *, until: datetime, platform: str | None = None) -> int:
        """Queue the digest up to ``until`` of every subscribed chat (of ``platform``)."""
        chats = self.state.chats(platform=platform, subscribed_only=True)
        return self.queue_due([(chat, until) for chat in chats])
