"""Which stories each digest part carried to a chat: the links it showed of each, and the
platform's id of the message once it was sent. A mixin of ``Archive`` over its connection.

A story the chat was shown comes back only as an update with the links it has not seen
(``bot.digest.compose``), sent in reply to the message that first carried it. A part that was
refused or dropped (its chat left) showed nothing, so its links do not count as seen.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.store.transaction import Transaction


@dataclass(frozen=True, slots=True)
class ShownStory:
    """A story as one digest part shows it: whether as an update, and the links shown."""

    story_id: int
    update: bool
    links: tuple[str, ...]


class ArchiveStoryMessages:
    """Raises ``sqlite3.Error`` as the archive does."""

    _db: sqlite3.Connection

    def record_shown(
        self,
        *,
        platform: str,
        chat_id: int,
        digest_key: str,
        parts: Sequence[Sequence[ShownStory]],
    ) -> None:
        """Keep, for each part of the digest queued under ``digest_key``, the stories it
        carries. Idempotent, as queueing the digest is."""
        with Transaction(self._db):
            for index, shown in enumerate(parts):
                row = self._db.execute(
                    "SELECT id FROM outbox WHERE digest_key = ? AND part = ?", (digest_key, index)
                ).fetchone()
                if row is None:
                    continue
                self._db.executemany(
                    """INSERT OR IGNORE INTO story_messages (outbox_id, platform, chat_id,
                           story_id, position, is_update, links)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    [
                        (
                            row[0],
                            platform,
                            chat_id,
                            story.story_id,
                            position,
                            int(story.update),
                            json.dumps(story.links, ensure_ascii=False),
                        )
                        for position, story in enumerate(shown)
                    ],
                )

    def seen_links(
        self, platform: str, chat_id: int, story_ids: Iterable[int]
    ) -> Mapping[int, frozenset[str]]:
        """Per story of ``story_ids`` the chat was shown, the links it was shown (in parts
        queued or sent; not in parts refused or dropped)."""
        ids = list(story_ids)
        if not ids:
            return {}
        rows = self._db.execute(
            "SELECT m.story_id, m.links FROM story_messages m"
            " LEFT JOIN outbox o ON o.id = m.outbox_id"
            " WHERE m.platform = ? AND m.chat_id = ?"
            " AND m.story_id IN (SELECT value FROM json_each(?))"
            " AND coalesce(o.status, 'sent') IN ('pending', 'sent')",
            (platform, chat_id, json.dumps(ids)),
        )
        seen: dict[int, set[str]] = {}
        for story_id, links in rows:
            seen.setdefault(story_id, set()).update(json.loads(links))
        return {story_id: frozenset(links) for story_id, links in seen.items()}

    def reply_target(self, outbox_id: int) -> int | None:
        """The message an outbox part replies to: the first message sent to the chat that
        carried the part's first update (or, when that one has none, its next update's)."""
        row = self._db.execute(
            "SELECT earlier.message_id FROM story_messages u"
            " JOIN story_messages earlier ON earlier.platform = u.platform"
            " AND earlier.chat_id = u.chat_id AND earlier.story_id = u.story_id"
            " AND earlier.outbox_id < u.outbox_id AND earlier.message_id IS NOT NULL"
            " WHERE u.outbox_id = ? AND u.is_update = 1"
            " ORDER BY u.position, earlier.outbox_id LIMIT 1",
            (outbox_id,),
        ).fetchone()
        return int(row[0]) if row is not None else None

    def record_message(self, outbox_id: int, message_id: int) -> None:
        """The platform's id of the message that carried the part's stories."""
        self._db.execute(
            "UPDATE story_messages SET message_id = ? WHERE outbox_id = ?", (message_id, outbox_id)
        )

    def move_chat_stories(self, platform: str, old_id: int, new_id: int) -> None:
        """A chat's shown stories, its watch alerts and its digests' page tokens follow it to
        its new id (part of ``Archive.move_chat``). The old chat's message ids are forgotten:
        a group that became a supergroup numbers its messages anew, and an update must not
        reply to an unrelated message there."""
        with Transaction(self._db):
            self._db.execute(
                "UPDATE story_messages SET chat_id = ?, message_id = NULL"
                " WHERE platform = ? AND chat_id = ?",
                (new_id, platform, old_id),
            )
            self._db.execute(
                "UPDATE OR IGNORE watch_alerts SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new_id, platform, old_id),
            )
            self._db.execute(
                "DELETE FROM watch_alerts WHERE platform = ? AND chat_id = ?", (platform, old_id)
            )
            self._db.execute(
                "UPDATE digest_pages SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new_id, platform, old_id),
            )
