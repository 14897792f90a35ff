"""The digest queue: for each chat whose digest is due, compose → render for its platform →
outbox, in one transaction per digest (see ``bot.delivery.sender`` for the sending)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import DigestSettings
from bot.digest.compose import EntityNamer, compose
from bot.digest.labels import SourceLabeller
from bot.digest.more import MoreOffer, offer_after
from bot.i18n import Catalog
from bot.models import Chat, ChatLang, Digest, Digits, Story, Summary
from bot.store.archive import Archive
from bot.store.state import StateStore


class DigestWriter(Protocol):
    """What writes a digest as a chat of a platform shows it (``bot.platforms.base.Platforms``;
    the pipeline does not know which platforms there are)."""

    def render_digest(self, name: str, digest: Digest, catalog: Catalog) -> list[str]: ...

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
        self, *, lang: ChatLang, since: datetime | None, until: datetime, digits: Digits = "latn"
    ) -> Digest:
        """The digest of the stories with news in (``since``, ``until``] that have a summary."""
        pairs: list[tuple[Story, Summary]] = []
        for story in self.archive.stories_with_news(since, until):
            summary = self.archive.summary(story.id)
            if summary is not None:
                pairs.append((story, summary))
        return compose(
            pairs,
            lang=lang,
            since=since,
            until=until,
            max_stories=self.settings.max_stories,
            entity_names=self._entity_names,
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

    def render(self, chat: Chat, digest: Digest, key: str) -> tuple[list[str], list[str | None]]:
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
        return self.platforms.offer_more(chat.platform, parts, offer, self.catalog)

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
        digest = self.digest(lang=chat.lang, since=since, until=until, digits=chat.digits)
        if not digest.items:
            return 0, None
        key = f"{chat.key}:{until.isoformat()}"
        parts, markups = self.render(chat, digest, key)
        queued = self.archive.queue_digest(
            platform=chat.platform,
            chat_id=chat.chat_id,
            thread_id=chat.thread_id,
            digest_key=key,
            period_end=until,
            parts=parts,
            now=self._now(),
            markups=markups,
        )
        return queued, replace(chat, last_digest_at=until)

    def queue_digests(self, *, until: datetime, platform: str | None = None) -> int:
        """Queue the digest up to ``until`` of every subscribed chat (of ``platform``)."""
        chats = self.state.chats(platform=platform, subscribed_only=True)
        return self.queue_due([(chat, until) for chat in chats])
