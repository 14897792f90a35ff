"""The watch step of a poll: the articles the poll archived and grouped into stories are run
against every distinct watched term once, and each chat watching a matching term gets one
short alert per story, queued in the outbox like the other alerts.

::

    chats' terms ──distinct (term_key)──▶ one FTS5 match per term, over the new articles only
        ──▶ matches per term ──share_out (pure)──▶ (chat, story, terms) not alerted before
        ──▶ rendered by the chat's platform ──▶ outbox + watch_alerts + mark, one transaction

The work of a poll is (distinct terms) × (index seeks over the poll's new articles), plus one
message per alert; it does not grow with the number of chats watching a term, nor with the
archive (``bench/watch.py`` measures it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from bot.digest.watch_alerts import (
    Match,
    WatchAlert,
    WatchWriter,
    distinct_terms,
    share_out,
    term_key,
)
from bot.i18n import Catalog
from bot.models import Chat
from bot.search.query import AliasExpander
from bot.search.watch import BadWatchTerm, watch_match
from bot.store.archive import Archive
from bot.store.watch import WatchMessage

log = logging.getLogger(__name__)


def watch_chats(chats: Iterable[Chat], platforms: Iterable[str]) -> list[Chat]:
    """Subscribed chats that watch a term, on a platform the bot is running."""
    running = set(platforms)
    return [c for c in chats if c.subscribed and c.watch and c.platform in running]


def queue_watch_alerts(
    *,
    archive: Archive,
    chats: list[Chat],
    expand: AliasExpander,
    catalog: Catalog,
    writer: WatchWriter,
    now: datetime,
) -> int:
    """Run the watched terms of ``chats`` against the articles archived since the last run;
    queue the alerts; returns how many were queued. The mark moves on even when no chat
    watches anything, so a term added later alerts on news from then on, not on the past."""
    window = archive.watch_window()
    if window.empty:
        return 0
    matches: dict[str, list[Match]] = {}
    for key, term in distinct_terms(chats).items():
        try:
            expression = watch_match(term, expand)
        except BadWatchTerm:
            continue  # saved before the engine read it otherwise: matches nothing
        stories: dict[int, Match] = {}
        for hit in archive.watch_hits(expression, window):
            stories.setdefault(hit.story_id, Match(hit.story_id, hit.title, hit.url))
        if stories:
            matches[key] = list(stories.values())
    story_ids = {m.story_id for found in matches.values() for m in found}
    alerted = archive.watch_alerted(story_ids) if story_ids else set()
    messages: list[WatchMessage] = []
    texts: dict[tuple[str, str, int, tuple[str, ...]], str] = {}
    summaries = {story_id: archive.summary(story_id) for story_id in sorted(story_ids)}
    for chat, match, terms in share_out(chats, matches, alerted):
        cache = (chat.platform, chat.lang, match.story_id, terms)
        if cache not in texts:
            summary = summaries[match.story_id]
            headlines = (
                {code: summary.headline(code) or "" for code in ("ar", "en")} if summary else {}
            )
            alert = WatchAlert(match.story_id, terms, headlines, match.title, match.url)
            texts[cache] = writer.render_watch(
                chat.platform, alert, lang=chat.lang, catalog=catalog
            )
        keys = tuple(term_key(term) for term in terms)
        messages.append(
            WatchMessage(
                chat.platform, chat.chat_id, chat.thread_id, match.story_id, keys, texts[cache]
            )
        )
    archive.queue_watch_alerts(messages, window, now)
    if messages:
        log.info(
            "watch: %d terms matched %d stories, %d alerts",
            len(matches),
            len(story_ids),
            len(messages),
        )
    return len(messages)
