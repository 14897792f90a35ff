"""The archive's record of which stories each digest part carried to a chat
(``bot.store.story_messages``): what counts as seen, which message an update replies to, and
that the record follows a moved chat and leaves with its story."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store.archive import Archive
from bot.store.story_messages import ShownStory
from tests.test_updates import report

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
CHAT = 77


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive.in_dir(tmp_path)


def queue(archive: Archive, key: str, parts: list[list[ShownStory]], chat: int = CHAT) -> list[int]:
    """Queue a digest of ``parts`` for ``chat``; its outbox ids, part by part."""
    archive.queue_digest(
        platform="telegram",
        chat_id=chat,
        thread_id=None,
        digest_key=key,
        period_end=NOW,
        parts=[f"{key} part {index}" for index in range(len(parts))],
        now=NOW,
    )
    archive.record_shown(platform="telegram", chat_id=chat, digest_key=key, parts=parts)
    return [item.id for item in archive.pending("telegram") if item.digest_key == key]


def sent(archive: Archive, outbox_id: int, message_id: int) -> None:
    archive.mark_sent(outbox_id, message_id, NOW)
    archive.record_message(outbox_id, message_id)


def test_a_refused_part_showed_nothing_and_a_pending_one_counts(archive: Archive) -> None:
    [refused, pending] = queue(
        archive,
        "d1",
        [[ShownStory(1, False, ("https://a/1",))], [ShownStory(2, False, ("https://b/2",))]],
    )
    archive.mark_failed(refused, "400 Bad Request", final=True)
    seen = archive.seen_links("telegram", CHAT, [1, 2, 3])
    assert seen == {2: frozenset({"https://b/2"})}
    assert pending  # still waiting: the chat will see it, so its links count


def test_links_add_up_over_digests_and_only_for_the_stories_asked(archive: Archive) -> None:
    [first] = queue(
        archive, "d1", [[ShownStory(1, False, ("u1", "u2")), ShownStory(2, False, ("v",))]]
    )
    sent(archive, first, 500)
    [second] = queue(archive, "d2", [[ShownStory(1, True, ("u3",))]])
    sent(archive, second, 501)
    assert archive.seen_links("telegram", CHAT, [1]) == {1: frozenset({"u1", "u2", "u3"})}
    assert archive.seen_links("telegram", CHAT + 1, [1, 2]) == {}


def test_an_update_replies_to_the_first_message_of_its_first_update_that_has_one(
    archive: Archive,
) -> None:
    [carried_1] = queue(archive, "d1", [[ShownStory(1, False, ("a",))]])
    sent(archive, carried_1, 500)
    [carried_2, never_sent] = queue(
        archive, "d2", [[ShownStory(2, False, ("b",))], [ShownStory(3, False, ("c",))]]
    )
    sent(archive, carried_2, 600)
    archive.mark_failed(never_sent, "refused", final=True)
    [update_1] = queue(archive, "d3", [[ShownStory(1, True, ("a2",))]])
    sent(archive, update_1, 700)
    # story 3's first message was never sent: the part replies for its next update, story 2
    [part] = queue(
        archive,
        "d4",
        [
            [
                ShownStory(3, True, ("c2",)),
                ShownStory(2, True, ("b2",)),
                ShownStory(1, True, ("a3",)),
            ]
        ],
    )
    assert archive.reply_target(part) == 600
    [later] = queue(archive, "d5", [[ShownStory(1, True, ("a4",))]])
    assert archive.reply_target(later) == 500  # the first message, not the update's
    [fresh] = queue(archive, "d6", [[ShownStory(9, False, ("z",))]])
    assert archive.reply_target(fresh) is None


def test_the_record_follows_a_moved_chat_and_leaves_with_its_story(archive: Archive) -> None:
    story = report(archive, "a", 0, NOW, None)
    [part] = queue(archive, "d1", [[ShownStory(story, False, ("a",))]])
    sent(archive, part, 500)
    archive.move_chat("telegram", CHAT, -100123)
    assert archive.seen_links("telegram", -100123, [story]) == {story: frozenset({"a"})}
    assert archive.seen_links("telegram", CHAT, [story]) == {}
    count = archive._db.execute("SELECT count(*) FROM story_messages").fetchone()[0]
    assert count == 1
    archive.prune_articles(datetime(2100, 1, 1, tzinfo=UTC), now=NOW)  # the story leaves
    assert archive._db.execute("SELECT count(*) FROM story_messages").fetchone()[0] == 0


def test_a_moved_chat_forgets_its_old_message_ids_and_keeps_its_pages_and_watch_alerts(
    archive: Archive,
) -> None:
    story = report(archive, "a", 0, NOW, None)
    [part] = queue(archive, "d1", [[ShownStory(story, False, ("a",))]])
    sent(archive, part, 500)
    token = archive.save_pages(
        platform="telegram",
        chat_id=CHAT,
        digest_key="d1",
        story_ids=(story,),
        offset=0,
        period_start=None,
        period_end=NOW,
        now=NOW,
    )
    archive._db.execute(
        "INSERT INTO watch_alerts (platform, chat_id, story_id, term, alerted_at)"
        " VALUES ('telegram', ?, ?, 'kursk', '2024-11-05T09:00:00+00:00')",
        (CHAT, story),
    )
    archive.move_chat("telegram", CHAT, -100123)
    # a supergroup numbers its messages anew: the group's ids must not be replied to there
    ids = archive._db.execute("SELECT message_id FROM story_messages").fetchall()
    assert [row[0] for row in ids] == [None]
    assert archive.watch_alerted([story]) == {("telegram", -100123, story, "kursk")}
    taken = archive.take_page(token=token, platform="telegram", chat_id=-100123, offset=0, size=1)
    assert taken != "stale"


def test_a_merged_story_keeps_what_each_chat_was_shown(archive: Archive) -> None:
    older = report(archive, "a", 0, NOW, None)
    younger = report(archive, "b", 1, NOW, None)
    [part] = queue(archive, "d1", [[ShownStory(younger, False, ("b1", "b2"))]])
    sent(archive, part, 700)
    archive.merge_stories(older, younger, now=NOW)
    # the survivor's next digest is an update of what the chat saw, replying to its message
    assert archive.seen_links("telegram", CHAT, [older]) == {older: frozenset({"b1", "b2"})}
    [update] = queue(archive, "d2", [[ShownStory(older, True, ("a1",))]])
    assert archive.reply_target(update) == 700
