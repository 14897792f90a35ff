"""Chat platforms as plug-ins: the ``Platform`` protocol and ``Platforms``, the registry the rest
of the bot asks. A platform sends through ``Channel``s (``bot.delivery.channel``).

Nothing outside ``bot.platforms`` names a platform: the composition root lists them
(``bot.app.container.platforms``), the pipeline asks the registry to render a chat's digest,
the alert jobs to render their alerts (big stories, watched terms), the sender asks the
channel for its pacing, and
``digestbot once``/``run`` ask it to start whatever the settings configure. Adding a platform is
one folder here and one line in the container.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.delivery.channel import Channel
from bot.errors import DigestbotError

if TYPE_CHECKING:
    from datetime import datetime

    from bot.config import Settings
    from bot.digest.more import MoreOffer
    from bot.digest.render import Part
    from bot.digest.watch_alerts import WatchAlert
    from bot.i18n import Catalog
    from bot.models import Chat, ChatLang, Digest, DigestItem, Digits
    from bot.pipeline.digests import DigestQueue
    from bot.store.archive import Archive
    from bot.store.state import StateStore
    from bot.topic.matcher import TopicMatcher

log = logging.getLogger(__name__)


class Services(Protocol):
    """What a platform's runtime uses of the bot (the composition root's ``Services`` has it):
    its settings, the stores, the message catalog, the topic filter, the digest queue and the
    clock. A platform never reaches above this."""

    @property
    def settings(self) -> Settings: ...
    @property
    def state(self) -> StateStore: ...
    @property
    def archive(self) -> Archive: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def matcher(self) -> TopicMatcher: ...
    @property
    def digests(self) -> DigestQueue: ...
    @property
    def now(self) -> Callable[[], datetime]: ...


class Runtime(Protocol):
    """A started platform: the channels it sends through, and how it stops."""

    @property
    def channels(self) -> Sequence[Channel]: ...

    async def close(self) -> None:
        """Stop taking commands, close connections; never raises for a connection gone."""
        ...


class Platform(Protocol):
    """One chat platform: its chats' names, its markup and limits, and its runtime."""

    @property
    def names(self) -> tuple[str, ...]:
        """The ``Chat.platform`` values of its chats (one per kind of channel it opens)."""
        ...

    def render_digest(self, digest: Digest, catalog: Catalog) -> list[Part]:
        """The digest as outbox message texts, split within the platform's limits, each with
        the ids of the stories it carries."""
        ...

    def render_alert(
        self,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str:
        """An instant alert for a story that became big, as one outbox message text, its
        count in the chat's ``digits``."""
        ...

    def render_watch(self, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
        """A watch alert (a new article matching a term the chat watches) as one outbox
        message text."""
        ...

    def configured(self, settings: Settings) -> bool:
        """Whether the settings turn the platform on."""
        ...

    async def start(self, svc: Services, *, commands: bool) -> Runtime:
        """Connect and open the channels; with ``commands`` (``digestbot run``) also take the
        chats' commands. Raises ``DigestbotError`` when the platform refuses (a bad token)."""
        ...

    async def find_chat(self, target: str, settings: Settings) -> Chat | None:
        """The chat an operator names on the command line (``digestbot subscribe TARGET``);
        None when the platform's chats are not subscribed that way. Raises ``DigestbotError``
        for a target it cannot read or find."""
        ...


@runtime_checkable
class OffersMore(Protocol):
    """A platform that can offer the stories a digest had no room for (``bot.digest.more``)."""

    def offer_more(
        self, name: str, parts: list[str], offer: MoreOffer, catalog: Catalog
    ) -> tuple[list[str], list[str | None]]:
        """The parts of a digest or page of chats stored under ``name``, with their markup
        (JSON, for the outbox) by part: the button offering the next page under the last one,
        or a hint in the last part's text where the chat has no buttons."""
        ...


class Platforms:
    """The platforms the bot knows, in the container's order; ``fallback`` (the terminal)
    renders for chats of any other name and runs when no platform is configured."""

    def __init__(self, *platforms: Platform, fallback: Platform) -> None:
        self._platforms = platforms
        self.fallback = fallback
        self._by_name = {name: p for p in (*platforms, fallback) for name in p.names}

    def __iter__(self) -> Iterator[Platform]:
        return iter(self._platforms)

    def of(self, name: str) -> Platform:
        """The platform whose chats are stored under ``name``."""
        return self._by_name.get(name, self.fallback)

    def render_digest(self, name: str, digest: Digest, catalog: Catalog) -> list[Part]:
        return self.of(name).render_digest(digest, catalog)

    def render_alert(
        self,
        name: str,
        item: DigestItem,
        *,
        lang: ChatLang,
        sources: int,
        catalog: Catalog,
        digits: Digits = "latn",
    ) -> str:
        return self.of(name).render_alert(
            item, lang=lang, sources=sources, catalog=catalog, digits=digits
        )

    def offer_more(
        self, name: str, parts: list[str], offer: MoreOffer, catalog: Catalog
    ) -> tuple[list[str], list[str | None]]:
        """``parts`` with their markup by part; none for a platform without buttons (the
        terminal: the count line says it all)."""
        platform = self.of(name)
        if isinstance(platform, OffersMore):
            return platform.offer_more(name, parts, offer, catalog)
        return parts, [None] * len(parts)

    def render_watch(
        self, name: str, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog
    ) -> str:
        return self.of(name).render_watch(alert, lang=lang, catalog=catalog)

    def configured(self, settings: Settings) -> list[Platform]:
        return [platform for platform in self._platforms if platform.configured(settings)]

    async def find_chat(self, target: str, settings: Settings) -> Chat:
        """The chat ``target`` names, asked of each platform in turn."""
        for platform in self._platforms:
            chat = await platform.find_chat(target, settings)
            if chat is not None:
                return chat
        raise DigestbotError(f"{target!r}: no chat platform subscribes chats from the command line")

    @contextlib.asynccontextmanager
    async def started(self, svc: Services, *, commands: bool) -> AsyncIterator[list[Channel]]:
        """Start every configured platform; yield their channels (empty when none is
        configured); stop them in reverse order, a failure to stop one logged."""
        runtimes: list[Runtime] = []
        try:
            for platform in self.configured(svc.settings):
                runtimes.append(await platform.start(svc, commands=commands))
            yield [channel for runtime in runtimes for channel in runtime.channels]
        finally:
            for runtime in reversed(runtimes):
                try:
                    await runtime.close()
                except Exception:
                    log.exception("stopping %s failed", type(runtime).__name__)
