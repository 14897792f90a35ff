"""How search results are ordered: FTS5's bm25 relevance, boosted for recent articles.

    score = bm25 × (1 + RECENCY_BOOST / (1 + age_days / RECENCY_HALF_DAYS))

``bm25`` is FTS5's value (negative; the more relevant, the lower), the title weighted 4× the
body. ``age_days`` is how much older the article is than the newest match, so no clock is
needed and an archive whose news all is a month old still ranks its newest first. The factor is
2 for the newest match, 1.5 at two weeks older, 1.1 at four months, and tends to 1; the lowest
score ranks first. So of two equally relevant articles the newer wins, and an older article
still beats a newer one it is more than twice as relevant as.

Only the ``RANK_CANDIDATES`` matches archived last are ranked: bm25 costs FTS5 a few
microseconds per row, and a common word matches tens of thousands of articles. Older matches
follow in the order they were archived, newest first, for whoever pages that far.

When a name in the query was widened to its aliases, bm25 weighs the query's words as typed
(``bot.search.query.SearchMatch``): bm25 reads every article each phrase it weighs is in, and a
name's aliases are up to a hundred phrases, some in one article of fifteen, so that pass grew
with the archive. The candidates are still every alias's (``ranked_page_by_sql``); one written
another way only (كورسك for "Kursk") has relevance 0 and follows, newest first. The decay is
a plain quotient rather than an exponential so that SQLite computes it without its optional
math functions.
"""

from __future__ import annotations

RECENCY_BOOST = 1.0
RECENCY_HALF_DAYS = 14.0
RANK_CANDIDATES = 300
BM25_WEIGHTS = (4.0, 1.0, 1.0)  # title, body, shadow (the proclitic forms)

CANDIDATES_SQL = """
    SELECT f.rowid AS id, bm25(articles_fts, {weights}) AS relevance,
           julianday(a.published) AS day
    FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
    WHERE articles_fts MATCH ?{filters}
    ORDER BY f.rowid DESC LIMIT {limit}
"""


def ranked_page_sql(filters: str) -> str:
    """One page of the newest candidates, best first; parameters: MATCH, the filters', LIMIT,
    OFFSET. ``filters`` is `` AND …`` clauses on ``a`` (the articles row)."""
    # ORDER BY rowid DESC is answered by FTS5 itself, so bm25 runs for the candidates only,
    # however many articles match; the CTE is read twice, so SQLite computes it once.
    candidates = CANDIDATES_SQL.format(
        weights=", ".join(str(w) for w in BM25_WEIGHTS),
        filters=filters,
        limit=RANK_CANDIDATES,
    )
    return (
        f"WITH hits AS ({candidates})"
        " SELECT id FROM hits, (SELECT max(day) AS newest FROM hits)"
        f" ORDER BY relevance * (1 + {RECENCY_BOOST} / (1 + (newest - day) / {RECENCY_HALF_DAYS})),"
        " day DESC, id DESC LIMIT ? OFFSET ?"
    )


CANDIDATES_UNRANKED_SQL = """
    SELECT f.rowid AS id, julianday(a.published) AS day
    FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
    WHERE articles_fts MATCH ?{filters}
    ORDER BY f.rowid DESC LIMIT {limit}
"""


def ranked_page_by_sql(filters: str) -> str:
    """``ranked_page_sql`` with the candidates found by one expression and weighed by bm25 of
    another (``bot.search.query.SearchMatch``); parameters: the finding MATCH, the filters', the
    ranking MATCH, LIMIT, OFFSET. A candidate the ranking expression does not match has
    relevance 0, so it follows those it matches, newest first.

    bm25 reads every article each phrase of the ranking expression is in, so that one is kept
    small; the finding one runs without bm25, only as far as the newest candidates. Both
    FTS5 queries run once: ``hits`` is read several times (so SQLite computes it once), and
    ``weighed`` is MATERIALIZED, read from the oldest candidate on, never once per candidate.
    """
    candidates = CANDIDATES_UNRANKED_SQL.format(filters=filters, limit=RANK_CANDIDATES)
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    return (
        f"WITH hits AS ({candidates}),"
        " weighed AS MATERIALIZED ("
        f"SELECT rowid AS id, bm25(articles_fts, {weights}) AS relevance FROM articles_fts"
        " WHERE articles_fts MATCH ? AND rowid >= (SELECT min(id) FROM hits))"
        " SELECT hits.id FROM hits LEFT JOIN weighed ON weighed.id = hits.id,"
        " (SELECT max(day) AS newest FROM hits)"
        " ORDER BY coalesce(relevance, 0)"
        f" * (1 + {RECENCY_BOOST} / (1 + (newest - day) / {RECENCY_HALF_DAYS})),"
        " day DESC, hits.id DESC LIMIT ? OFFSET ?"
    )


def candidates_bounds_sql(filters: str) -> str:
    """How many candidates there are and the oldest one's row id; parameters: MATCH, the
    filters'."""
    return (
        "SELECT count(*), min(id) FROM ("
        "SELECT f.rowid AS id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid"
        f" WHERE articles_fts MATCH ?{filters} ORDER BY f.rowid DESC LIMIT {RANK_CANDIDATES})"
    )


def older_matches_sql(filters: str) -> str:
    """Matches older than the candidates, newest first; parameters: MATCH, the oldest
    candidate's row id, the filters', LIMIT, OFFSET."""
    return (
        "SELECT f.rowid FROM articles_fts f JOIN articles a ON a.rowid = f.rowid"
        f" WHERE articles_fts MATCH ? AND f.rowid < ?{filters}"
        " ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
    )
