"""Operator commands for feeds: ``digestbot feeds list | add | remove | enable | status |
import | export``.

Feeds listed in the config file are managed there; feeds added here live in the state store
(origin ``operator``) and are polled alongside the configured ones.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import TextIO

from bot.config import FeedSettings, Settings
from bot.errors import BlockedURLError, DigestbotError
from bot.ingest.articles import canonical_url
from bot.models import FeedSource, FeedState
from bot.store.state import StateStore

log = logging.getLogger(__name__)

DEFAULT_FEEDS_FILE = "data/feeds/default.toml"


def default_feeds() -> list[FeedSettings]:
    """The built-in list of real outlets (``bot/data/feeds/default.toml``)."""
    text = (resources.files("bot") / DEFAULT_FEEDS_FILE).read_text(encoding="utf-8")
    return [
        FeedSettings(url=feed["url"], name=feed["name"], lang=feed["lang"])
        for feed in tomllib.loads(text)["feeds"]
    ]


def with_default_feeds(settings: Settings, *, announce: bool = False) -> Settings:
    """The settings with the built-in feeds when the config lists none, so that a bot started
    with a token alone reads the news; ``announce`` says so in the log (for the commands that
    poll). A config that lists feeds is left as it is."""
    if settings.feeds:
        return settings
    feeds = default_feeds()
    if announce:
        log.info(
            "no [[feeds]] in the config: polling the %d built-in feeds (bot/%s);"
            " list your own [[feeds]] in the config to replace them",
            len(feeds),
            DEFAULT_FEEDS_FILE,
        )
    return settings.model_copy(update={"feeds": feeds})


def _configured(settings: Settings) -> set[str]:
    return {feed.url for feed in settings.feeds}


def _all_feeds(settings: Settings, state: StateStore, now: datetime) -> list[FeedState]:
    """Every feed that is polled, configured ones first."""
    return state.sync_feeds(settings.feed_sources(), now=now)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def list_feeds(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
    feeds = _all_feeds(settings, state, now)
    if not feeds:
        out.write(
            "no feeds: list them as [[feeds]] in the config, or add one with"
            " 'digestbot feeds add URL' / لا خلاصات: أدرجها في ملف الإعدادات تحت [[feeds]]"
            " أو أضف واحدة بالأمر 'digestbot feeds add URL'\n"
        )
    for feed in feeds:
        flag = " [disabled]" if feed.disabled else ""
        out.write(f"{feed.url}\t{feed.name}\t{feed.lang or '-'}\t{feed.origin}{flag}\n")


def status(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
    """Last fetch, HTTP status, items, errors and next poll of every feed."""
    for feed in _all_feeds(settings, state, now):
        health = "DISABLED" if feed.disabled else ("failing" if feed.failures else "ok")
        out.write(
            f"{feed.name} <{feed.url}>\n"
            f"  state: {health}; last fetch: {_when(feed.last_fetch_at)};"
            f" HTTP {feed.last_status or '—'}; items: {feed.items};"
            f" failures in a row: {feed.failures}\n"
            f"  next poll: {_when(feed.next_poll_at) if not feed.disabled else '—'}"
            + (f"; moved to: {feed.fetch_url}" if feed.fetch_url else "")
            + "\n"
        )
        if feed.last_error:
            out.write(f"  last error: {feed.last_error}\n")


def _checked(url: str) -> None:
    """Raise ``DigestbotError`` for a URL the fetcher would refuse."""
    from bot.ingest.guard import check_url  # loads the HTTP client: only when a feed is added

    try:
        if url != url.strip() or any(c.isspace() for c in url):
            raise BlockedURLError("a URL has no spaces")
        check_url(url)
    except BlockedURLError as exc:
        raise DigestbotError(f"cannot add {url}: {exc}") from None


def _known(settings: Settings, state: StateStore) -> set[str]:
    """The canonical URL of every feed, stored or configured: a feed is added once."""
    return {canonical_url(f.url) for f in state.feeds()} | {
        canonical_url(u) for u in _configured(settings)
    }


def _new_feed(url: str, name: str | None, lang: str | None, now: datetime) -> FeedState:
    return FeedState(
        url=url,
        name=name or url.split("//", 1)[-1].split("/", 1)[0],
        lang=lang,
        added_at=now,
        origin="operator",
    )


def add(
    settings: Settings,
    state: StateStore,
    now: datetime,
    *,
    url: str,
    name: str | None,
    lang: str | None,
) -> FeedState:
    _checked(url)
    if canonical_url(url) in _known(settings, state):
        raise DigestbotError(f"{url} is already a feed")
    feed = _new_feed(url, name, lang, now)
    state.save_feed(feed)
    return feed


def remove(settings: Settings, state: StateStore, url: str) -> None:
    if url in _configured(settings):
        raise DigestbotError(f"{url} is listed in the config file: remove it there")
    if not state.remove_feed(url):
        raise DigestbotError(f"{url} is not a feed")


def enable(state: StateStore, url: str, now: datetime) -> FeedState:
    """Turn a disabled feed back on; its backlog is not announced (``added_at`` is now)."""
    feed = state.feed(url)
    if feed is None:
        raise DigestbotError(f"{url} is not a feed")
    feed = replace(
        feed,
        disabled=False,
        failures=0,
        failing_since=None,
        next_poll_at=None,
        last_error=None,
        added_at=now,
    )
    state.save_feed(feed)
    return feed


def import_opml(
    settings: Settings, state: StateStore, now: datetime, data: bytes, out: TextIO
) -> int:
    """Add every feed of an OPML file that is not a feed yet; returns how many were added.

    The feeds known are read once and the new ones saved in one write: one ``add`` per feed
    would read and rewrite the whole state file per feed, quadratic in the size of the file.
    """
    from bot.ingest.opml import parse_opml

    sources, skipped = parse_opml(data)
    known = _known(settings, state)
    added: list[FeedState] = []
    for source in sources:
        try:
            _checked(source.url)
            same = canonical_url(source.url)
            if same in known:
                raise DigestbotError(f"{source.url} is already a feed")
        except DigestbotError as exc:
            out.write(f"skipped: {exc}\n")
            continue
        known.add(same)
        added.append(_new_feed(source.url, source.name, source.lang, now))
    state.save_feeds(added)
    for reason in skipped:
        out.write(f"skipped: {reason}\n")
    out.write(f"{len(added)} feeds added\n")
    return len(added)


def export(settings: Settings, state: StateStore, now: datetime) -> bytes:
    from bot.ingest.opml import export_opml

    feeds = [FeedSource(f.url, f.name, f.lang) for f in _all_feeds(settings, state, now)]
    return export_opml(feeds, title="digestbot feeds")


def progress_bar(stream: TextIO) -> Callable[[int, int], None]:
    """A one-line progress bar for polls run in a terminal."""

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\rpolling feeds [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show
