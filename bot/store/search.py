"""Search over the archive: filters, the FTS5 match and ranking (``bot.store.ranking``). A
mixin of ``Archive`` over its connection."""

from __future__ import annotations

import sqlite3

from bot.models import Article, SearchHit
from bot.store.fts import AliasExpander, build_match, split_filters
from bot.store.ranking import (
    RANK_CANDIDATES,
    candidates_bounds_sql,
    older_matches_sql,
    ranked_page_sql,
)
from bot.store.times import from_text as _dt
from bot.store.times import to_text as _iso


class ArchiveSearch:
    """``search``: odd input never raises."""

    _db: sqlite3.Connection

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        offset: int = 0,
        expand: AliasExpander | None = None,
    ) -> list[SearchHit]:
        """Articles matching ``query``, best first (bm25 and recency, see ``bot.store.ranking``);
        odd input never raises.

        ``lang:``, ``source:`` and ``since:`` filters narrow the result (see ``split_filters``);
        a query of filters only lists the newest matching articles.
        """
        words, filters = split_filters(query)
        match = build_match(words, expand)
        if match is None and not filters.any:
            return []
        where: list[str] = []
        params: list[object] = []
        if filters.lang is not None:
            where.append("a.lang = ?")
            params.append(filters.lang)
        if filters.source is not None:
            where.append("instr(lower(a.source), ?) > 0")
            params.append(filters.source)
        if filters.since is not None:
            where.append("a.published >= ?")
            params.append(_iso(filters.since))
        if match is None:
            sql = (
                "SELECT a.* FROM articles a WHERE "
                + " AND ".join(where)
                + " ORDER BY a.published DESC LIMIT ? OFFSET ?"
            )
            try:
                rows = self._db.execute(sql, [*params, limit, offset]).fetchall()
            except sqlite3.OperationalError:
                return []
            return [_hit(row) for row in rows]
        try:
            rowids = self._ranked_matches(match, where, params, limit, offset)
            if not rowids:
                return []
            marks = ",".join("?" * len(rowids))
            found = {
                row["rowid"]: row
                for row in self._db.execute(
                    f"SELECT * FROM articles WHERE rowid IN ({marks})", rowids
                )
            }
        except sqlite3.OperationalError:
            return []  # a query the index cannot answer is "no results", never a crash
        return [_hit(found[rowid]) for rowid in rowids if rowid in found]

    def _ranked_matches(
        self, match: str, where: list[str], params: list[object], limit: int, offset: int
    ) -> list[int]:
        """Row ids of one page of matches (see ``bot.store.ranking``)."""
        filters = "".join(f" AND {clause}" for clause in where)
        rows = self._db.execute(ranked_page_sql(filters), [match, *params, limit, offset])
        page = [row[0] for row in rows]
        if len(page) == limit:
            return page
        # The page ran past the ranked candidates: are there older matches?
        count, oldest = self._db.execute(
            candidates_bounds_sql(filters), [match, *params]
        ).fetchone()
        if count < RANK_CANDIDATES:
            return page
        skip = max(0, offset - count)
        older = self._db.execute(
            older_matches_sql(filters), [match, oldest, *params, limit - len(page), skip]
        )
        return page + [row[0] for row in older]


def article_from_row(row: sqlite3.Row) -> Article:
    """An ``articles`` row as an ``Article``."""
    return Article(
        id=row["id"],
        feed_url=row["feed_url"],
        source=row["source"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        lang=row["lang"],
        published=_dt(row["published"]),
        seen_at=_dt(row["seen_at"]),
    )


def _hit(row: sqlite3.Row) -> SearchHit:
    return SearchHit(article=article_from_row(row), snippet=_snippet(row["summary"]))


def _snippet(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
