"""The archive's record of LLM use: calls and tokens per day and client (what the daily token
budget is checked against), and the answers rejected, by reason. A mixin of ``Archive`` over
its connection."""

from __future__ import annotations

import sqlite3

# In an ``llm_usage`` kind, what separates the client ("summary") from a rejection's reason.
REJECTED = " rejected: "


class ArchiveUsage:
    """LLM calls, tokens and rejected answers per day."""

    _db: sqlite3.Connection

    def record_llm_use(
        self, day: str, kind: str, *, calls: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        self._db.execute(
            """INSERT INTO llm_usage (day, kind, calls, prompt_tokens, completion_tokens)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (day, kind) DO UPDATE SET calls = calls + excluded.calls,
                   prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                   completion_tokens = completion_tokens + excluded.completion_tokens""",
            (day, kind, calls, prompt_tokens, completion_tokens),
        )

    def record_llm_rejections(self, day: str, kind: str, reason: str, count: int) -> None:
        """Count ``count`` answers of ``kind`` rejected for ``reason`` (``format``, ``number``,
        ``name``, ``instruction``). Kept as rows of ``llm_usage`` whose kind carries
        ``REJECTED`` and whose ``calls`` is the count, with no tokens: no new table, and the
        rows stay out of ``llm_usage()`` and the token budget."""
        self.record_llm_use(
            day, f"{kind}{REJECTED}{reason}", calls=count, prompt_tokens=0, completion_tokens=0
        )

    def llm_rejections(self, days: int = 7) -> list[tuple[str, str, str, int]]:
        """(day, kind, reason, answers rejected), newest day first, over the last ``days`` days
        with any LLM use."""
        rows = self._db.execute(
            "SELECT day, kind, calls FROM llm_usage WHERE instr(kind, ?) > 0"
            " AND day IN (SELECT DISTINCT day FROM llm_usage ORDER BY day DESC LIMIT ?)"
            " ORDER BY day DESC, kind",
            (REJECTED, days),
        )
        out = []
        for day, key, count in rows:
            kind, _, reason = key.partition(REJECTED)
            out.append((day, kind, reason, count))
        return out

    def llm_tokens(self, day: str) -> int:
        row = self._db.execute(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_usage"
            " WHERE day = ?",
            (day,),
        ).fetchone()
        return int(row[0])

    def llm_usage(self, days: int = 7) -> list[tuple[str, str, int, int, int]]:
        """(day, kind, calls, prompt tokens, completion tokens), newest day first."""
        rows = self._db.execute(
            "SELECT day, kind, calls, prompt_tokens, completion_tokens FROM llm_usage"
            " WHERE day IN (SELECT DISTINCT day FROM llm_usage ORDER BY day DESC LIMIT ?)"
            " AND instr(kind, ?) = 0 ORDER BY day DESC, kind",
            (days, REJECTED),
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]
