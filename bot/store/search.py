"""Search over the archive: filters, the FTS5 match and ranking (``bot.search.ranking``). A
mixin of ``Archive``.

``search`` runs on the archive's connection, in the caller's thread (the CLI, tests, bench).
``search_off_loop`` is for the chat handlers: the same search in a worker thread of its own, on
a second, read-only connection, so that a slow query never holds the event loop. SQLite's WAL
lets that reader run beside the bot's writes; it sees what was committed. The reader is used by
one thread at a time (``check_same_thread=False`` only because it is closed from another).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from bot.models import Article, SearchHit
from bot.search.filters import split_filters
from bot.search.query import AliasExpander, SearchMatch, WordCount, build_search, written_match
from bot.search.ranking import (
    RANK_CANDIDATES,
    candidates_bounds_sql,
    older_matches_sql,
    ranked_page_by_sql,
    ranked_page_sql,
)
from bot.store.times import from_text as _dt
from bot.store.times import to_text as _iso

WRITTEN_CAP = 1000
"""Articles counted at most when asking how often a word is written (see ``WordCount``): the
count stops early, and past this many a word is common either way."""


class ArchiveSearch:
    """``search`` and ``search_off_loop``: odd input never raises."""

    _db: sqlite3.Connection
    path: Path
    _search_reader: _Reader | None = None
    _search_closed = False
    # Guards opening and closing the reader (of any archive: both are rare and quick).
    _search_reader_lock = threading.Lock()

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        offset: int = 0,
        expand: AliasExpander | None = None,
    ) -> list[SearchHit]:
        """Articles matching ``query``, best first (bm25 and recency, see ``bot.search.ranking``);
        odd input never raises.

        ``lang:``, ``source:`` and ``since:`` filters narrow the result (see ``split_filters``);
        a query of filters only lists the newest matching articles.
        """
        return search_on(self._db, query, limit=limit, offset=offset, expand=expand)

    async def search_off_loop(
        self,
        query: str,
        *,
        limit: int = 5,
        offset: int = 0,
        expand: AliasExpander | None = None,
    ) -> list[SearchHit]:
        """``search`` in the search thread, on the read-only connection; on the archive's own
        connection, here, when no second connection can be opened (an archive not yet on disk)."""
        reader = self._reader()
        if reader is None:
            return self.search(query, limit=limit, offset=offset, expand=expand)
        return await reader.run(query, limit=limit, offset=offset, expand=expand)

    def _reader(self) -> _Reader | None:
        with self._search_reader_lock:
            if self._search_closed:
                return None  # closed: no new thread or connection (the search fails as before)
            if self._search_reader is None:
                try:
                    self._search_reader = _Reader(self.path)
                except sqlite3.Error:
                    return None
            return self._search_reader

    def close_search(self) -> None:
        """Stop the search thread (after the search it runs) and close its connection."""
        with self._search_reader_lock:
            reader, self._search_reader = self._search_reader, None
            self._search_closed = True
        if reader is not None:
            reader.close()


class _Reader:
    """A read-only connection to the archive and the one thread that uses it."""

    def __init__(self, path: Path) -> None:
        uri = path.resolve().as_uri() + "?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("SELECT 1 FROM articles_fts LIMIT 0")  # an archive, and readable
        except BaseException:
            self._db.close()
            raise
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search")

    async def run(
        self, query: str, *, limit: int, offset: int, expand: AliasExpander | None
    ) -> list[SearchHit]:
        work = partial(search_on, self._db, query, limit=limit, offset=offset, expand=expand)
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._db.close()


def written_counter(db: sqlite3.Connection) -> WordCount:
    """``WordCount`` over the archive behind ``db``: articles whose title or text has the word
    as a word of its own, up to ``WRITTEN_CAP``; a word FTS5 cannot look up counts 0."""
    counted: dict[str, int] = {}

    def count(word: str) -> int:
        if word not in counted:
            try:
                row = db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM articles_fts"
                    " WHERE articles_fts MATCH ? LIMIT ?)",
                    [written_match(word), WRITTEN_CAP],
                ).fetchone()
                counted[word] = int(row[0])
            except sqlite3.OperationalError:
                counted[word] = 0
        return counted[word]

    return count


def search_on(
    db: sqlite3.Connection,
    query: str,
    *,
    limit: int = 5,
    offset: int = 0,
    expand: AliasExpander | None = None,
) -> list[SearchHit]:
    """``ArchiveSearch.search`` over the connection ``db``."""
    words, filters = split_filters(query)
    search = build_search(words, expand, written_counter(db))
    if search is None and not filters.any:
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
    if search is None:
        sql = (
            "SELECT a.* FROM articles a WHERE "
            + " AND ".join(where)
            + " ORDER BY a.published DESC LIMIT ? OFFSET ?"
        )
        try:
            rows = db.execute(sql, [*params, limit, offset]).fetchall()
        except sqlite3.OperationalError:
            return []
        return [_hit(row) for row in rows]
    try:
        rowids = _ranked_matches(db, search, where, params, limit, offset)
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        found = {
            row["rowid"]: row
            for row in db.execute(f"SELECT * FROM articles WHERE rowid IN ({marks})", rowids)
        }
    except sqlite3.OperationalError:
        return []  # a query the index cannot answer is "no results", never a crash
    return [_hit(found[rowid]) for rowid in rowids if rowid in found]


def _ranked_matches(
    db: sqlite3.Connection,
    search: SearchMatch,
    where: list[str],
    params: list[object],
    limit: int,
    offset: int,
) -> list[int]:
    """Row ids of one page of matches (see ``bot.search.ranking``)."""
    filters = "".join(f" AND {clause}" for clause in where)
    match = search.match
    if search.rank is None:
        rows = db.execute(ranked_page_sql(filters), [match, *params, limit, offset])
    else:
        page_sql = ranked_page_by_sql(filters)
        rows = db.execute(page_sql, [match, *params, search.rank, limit, offset])
    page = [row[0] for row in rows]
    if len(page) == limit:
        return page
    # The page ran past the ranked candidates: are there older matches?
    count, oldest = db.execute(candidates_bounds_sql(filters), [match, *params]).fetchone()
    if count < RANK_CANDIDATES:
        return page
    skip = max(0, offset - count)
    older = db.execute(
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
