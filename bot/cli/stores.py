"""The stores as the commands that only look open them (``search``, ``stats``, ``status``,
``check-config``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from bot.config import Settings
from bot.models import FeedState
from bot.store.archive import Archive
from bot.store.state import StateStore


@contextlib.contextmanager
def reading(settings: Settings) -> Iterator[tuple[StateStore, Archive]]:
    """The stores for a command that only looks (``search``, ``stats``, ``status``): opened
    read-only, so they write nothing (no lock file, no migration, no new archive), work on a
    data folder this user may only read, and never wait on the running bot."""
    state = StateStore(settings.data_dir, read_only=True)
    try:
        archive = Archive.in_dir(settings.data_dir, read_only=True)
    except BaseException:
        state.close()
        raise
    try:
        yield state, archive
    finally:
        archive.close()
        state.close()


def polled_feeds(settings: Settings, state: StateStore) -> list[FeedState]:
    """The feeds a poll would see (the configured ones and the operator's), stored or not."""
    return state.sync_feeds(settings.feed_sources(), now=utc_now())


def utc_now() -> datetime:
    """The time now, for a command that reads the stores without the composition root (which
    would load the pipeline)."""
    return datetime.now(UTC)
