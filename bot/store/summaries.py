"""The archive's summaries: one per story, with what it was made from (how many articles, in
which languages, by which method), so that the summarizer can tell when a story outgrew it
(``bot.summarize.refresh``; the store only reports, the rule decides). A mixin of ``Archive``
over its connection."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.models import Story, Summary, SummaryState
from bot.store.merges import content_key
from bot.store.stories import read_story
from bot.store.times import to_text


class ArchiveSummaries:
    """Stories' summaries."""

    _db: sqlite3.Connection

    def summaries_to_check(
        self, *, since: datetime | None = None
    ) -> list[tuple[Story, SummaryState | None]]:
        """Each story never summarized (with None), and each story whose articles changed
        since its summary was made (with what that summary was made from), oldest story first.
        Changed stories are looked for among those updated after ``since`` only (older ones no
        longer grow), so this stays cheap however large the archive gets. Whether a changed
        story needs a new summary is ``bot.summarize.refresh``'s to decide."""
        rows = self._db.execute(
            "SELECT s.id, m.articles, m.langs, m.method, m.content_key FROM stories s"
            " LEFT JOIN summaries m ON m.story_id = s.id"
            " WHERE s.merged_into IS NULL AND (m.content_key IS NULL"
            " OR (m.content_key != s.content_key AND s.updated_at >= ?)) ORDER BY s.id",
            (to_text(since) if since else "",),
        ).fetchall()
        found: list[tuple[Story, SummaryState | None]] = []
        for row in rows:
            done = (
                None
                if row["content_key"] is None
                else SummaryState(
                    row["articles"], frozenset(row["langs"].split(",")) - {""}, row["method"]
                )
            )
            found.append((read_story(self._db, row["id"]), done))
        return found

    def save_summary(self, story: Story, summary: Summary, now: datetime) -> None:
        self._db.execute(
            """INSERT INTO summaries (story_id, content_key, headline_ar, summary_ar, headline_en,
                   summary_en, method, model, created_at, articles, langs)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (story_id) DO UPDATE SET content_key = excluded.content_key,
                   headline_ar = excluded.headline_ar, summary_ar = excluded.summary_ar,
                   headline_en = excluded.headline_en, summary_en = excluded.summary_en,
                   method = excluded.method, model = excluded.model,
                   created_at = excluded.created_at, articles = excluded.articles,
                   langs = excluded.langs""",
            (
                story.id,
                content_key(a.id for a in story.articles),
                summary.headline_ar,
                summary.summary_ar,
                summary.headline_en,
                summary.summary_en,
                summary.method,
                summary.model,
                to_text(now),
                len(story.articles),
                ",".join(sorted({a.lang for a in story.articles})),
            ),
        )

    def summary(self, story_id: int) -> Summary | None:
        row = self._db.execute("SELECT * FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
        if row is None:
            return None
        return Summary(
            headline_ar=row["headline_ar"],
            summary_ar=row["summary_ar"],
            headline_en=row["headline_en"],
            summary_en=row["summary_en"],
            method=row["method"],
            model=row["model"],
        )
