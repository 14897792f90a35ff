"""Typed values passed between the pipeline's stages.

All are frozen dataclasses: the deciding stages (parse, normalize, filter, cluster, compose,
render) take and return these and never touch the network, the clock or a database.
Datetimes are always timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

TextLang = Literal["ar", "en", "other"]
"""The language of a text as decided from its script (never from a feed's language tag)."""

ChatLang = Literal["ar", "en", "both"]
"""The language(s) a chat reads its digests in."""

SummaryMethod = Literal["llm", "offline"]

Digits = Literal["latn", "arab"]
"""How a chat's numbers are written: Western (0–9) or Arabic-Indic (٠–٩) digits."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed as the operator configured it."""

    url: str
    name: str
    lang: str | None = None
    label: str | None = None
    """The operator's label for the outlet ("state", "public", "independent", or "" for none);
    None leaves it to the built-in labels (``bot.digest.labels``)."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the bot remembers about a feed between polls (kept in the state store)."""

    url: str
    name: str
    lang: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_status: int | None = None
    last_fetch_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    failing_since: datetime | None = None
    items: int = 0
    added_at: datetime | None = None
    next_poll_at: datetime | None = None
    disabled: bool = False
    fetch_url: str | None = None
    """Where the feed is fetched from after a permanent redirect (``url`` stays its identity)."""
    origin: str = "config"
    """``config`` (listed in the config file) or ``operator`` (added with ``digestbot feeds``)."""
    body_hash: str | None = None
    """The digest of the last body read in full (``bot.ingest.policy.body_digest``): a 200
    with the same one is unchanged, like a 304. Stored only once a body was read through, so
    a body that failed to parse is read again."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP exchange for a feed. ``body`` is empty when the server answered 304."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    permanent_url: str | None = None
    """Where every redirect on the way was permanent (301/308), the URL it ended at."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item as parsed, before cleaning. Text fields may hold HTML."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned feed item: plain text, UTC dates, language decided by script."""

    id: str
    """Stable across polls and scoped to the feed: two feeds never share an id
    (``bot.ingest.articles``)."""
    feed_url: str
    source: str
    url: str
    """The item's own link; "" when it has none (never the feed's URL)."""
    title: str
    summary: str
    lang: TextLang
    published: datetime
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """The topic filter's verdict on one item, with its reasons."""

    relevant: bool
    score: float
    matched: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet's report of a story, as linked from a digest."""

    name: str
    url: str
    title: str
    lang: TextLang
    published: datetime
    label: str | None = None
    """Who controls the outlet ("state", "public", "independent"); None when not known."""


@dataclass(frozen=True, slots=True)
class Story:
    """Articles from one or more outlets that report the same event."""

    id: int
    created_at: datetime
    updated_at: datetime
    articles: tuple[Article, ...]
    entities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    """A story's headline and summary in each language; ``None`` where none could be made."""

    headline_ar: str | None
    summary_ar: str | None
    headline_en: str | None
    summary_en: str | None
    method: SummaryMethod
    model: str | None = None

    def headline(self, lang: str) -> str | None:
        return self.headline_ar if lang == "ar" else self.headline_en

    def text(self, lang: str) -> str | None:
        return self.summary_ar if lang == "ar" else self.summary_en


@dataclass(frozen=True, slots=True)
class SummaryState:
    """What a stored summary was made from (whether it is stale: ``bot.summarize.refresh``)."""

    articles: int
    langs: frozenset[str]
    method: str
    """``"llm"`` or ``"offline"``, as in ``Summary.method``."""


@dataclass(frozen=True, slots=True)
class EntityName:
    """An entity's canonical names, for the bilingual entity line of an untranslated item."""

    id: str
    ar: str
    en: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story as it appears in a digest."""

    story_id: int
    summary: Summary
    sources: tuple[Source, ...]
    entities: tuple[EntityName, ...]
    updated_at: datetime
    update: bool = False
    """The chat was sent this story before; ``sources`` are only the ones it has not seen."""


@dataclass(frozen=True, slots=True)
class Digest:
    """The stories one chat is due, for one period.

    ``rest`` are the stories past ``[digest] max_stories``, in the digest's order: the digest
    says how many there are and offers them, page by page; none is dropped silently."""

    lang: ChatLang
    period_start: datetime | None
    period_end: datetime
    items: tuple[DigestItem, ...]
    rest: tuple[int, ...] = ()
    digits: Digits = "latn"
    """How the chat's numbers are written (counts, dates and times the bot writes; never a
    link, a title or a summary)."""


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot talks to, and its settings (kept in the state store).

    ``lang`` is the language of its digests (possibly both); ``ui_lang`` that of the bot's replies.
    ``digest_times`` ("HH:MM", local) and ``timezone`` (an IANA name) are the chat's own schedule;
    empty means the configured defaults. ``alerts`` asks for big stories as soon as they break.
    """

    platform: str
    chat_id: int
    lang: ChatLang = "en"
    ui_lang: Literal["ar", "en"] = "en"
    subscribed: bool = False
    thread_id: int | None = None
    title: str = ""
    subscribed_at: datetime | None = None
    last_digest_at: datetime | None = None
    digest_times: tuple[str, ...] = ()
    timezone: str = ""
    alerts: bool = False
    digits: Digits = "latn"
    """Western (``latn``) or Arabic-Indic (``arab``) digits in the bot's counts and dates."""
    watch: tuple[str, ...] = ()
    """The terms the chat watches (``/watch``), as typed and checked (``bot.search.watch``)."""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One archived article matching a search."""

    article: Article
    snippet: str
