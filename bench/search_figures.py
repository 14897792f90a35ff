"""The figures check of ``bench/search.py``: a quantity typed one way finds the articles that
write it another ("1,500", "1500", "١٥٠٠", "١٬٥٠٠"; "12 ألف", "١٢ ألف", "12,000", "12 thousand").

Adds, with a seeded RNG, articles that each write one of 40 quantities in one of its forms, to
the archive and to the plain FTS5 table (after the main measurements, so they change nothing
there), and asks for each quantity in each of its forms. The corpus of ``bench/search_corpus.py``
has no digits, so only these articles can answer. Also times migration 4 (the figures' tokens
added to an archive indexed before them) over the whole archive, as an upgrade would run it.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from bench.search_corpus import NOW, Corpus
from bot.models import Article, Decision
from bot.search.query import AliasExpander
from bot.store.archive import MIGRATIONS, Archive

ARTICLES_PER_VALUE = 6
INDIC = str.maketrans("0123456789,.", "٠١٢٣٤٥٦٧٨٩٬٫")
YES = Decision(relevant=True, score=1.0, matched=(), reason="bench")

timer = time.perf_counter
"""What a query's time is read from (``bench/search.py --cpu`` sets CPU time)."""

Form = tuple[str, Callable[[int], str]]  # the language of the text, the figure as written


def forms_of(value: int) -> list[Form]:
    """The ways news writes ``value``: digits with and without separators, in both scripts, and
    "N ألف" / "N thousand" for a round number of thousands."""
    forms: list[Form] = [
        ("en", lambda v: f"{v}"),
        ("en", lambda v: f"{v:,}"),
        ("ar", lambda v: f"{v}".translate(INDIC)),
        ("ar", lambda v: f"{v:,}".translate(INDIC)),
    ]
    if value % 1000 == 0:
        forms += [
            ("ar", lambda v: f"{v // 1000} ألف"),
            ("ar", lambda v: f"{v // 1000}".translate(INDIC) + " ألف"),
            ("en", lambda v: f"{v // 1000} thousand"),
        ]
    return forms


def values(rng: random.Random) -> list[int]:
    """20 round thousands (11,000-99,000, "N ألف") and 20 other figures, none a year."""
    round_ = [k * 1000 for k in rng.sample(range(11, 100), 20)]
    other = rng.sample([v for v in range(101, 9999) if not 1900 <= v <= 2099 and v % 100], 20)
    return round_ + other


def figure_check(
    corpus: Corpus,
    archive: Archive,
    plain: sqlite3.Connection,
    expand: AliasExpander,
    seed: int,
    search_plain: Callable[[sqlite3.Connection, str, int], list[int]],
    page: int,
) -> tuple[bool, str]:
    """Recall and latency of figure queries, ours and plain FTS5; ours must find more."""
    rng = random.Random(seed + 3)
    first = len(corpus.docs)
    written: dict[int, set[int]] = defaultdict(set)  # value → article numbers
    number = first
    with archive.transaction():
        for value in values(rng):
            forms = forms_of(value)
            for _ in range(ARTICLES_PER_VALUE):
                lang, form = rng.choice(forms)
                words = rng.sample(corpus.common[lang], 6)
                title = " ".join([*words[:3], form(value), *words[3:]])
                article = Article(
                    id=f"a{number}",
                    feed_url=f"https://feeds.example/{lang}",
                    source="Figures",
                    url=f"https://news.example/{number}",
                    title=title,
                    summary=" ".join(rng.sample(corpus.common[lang], 12)),
                    lang=lang,  # type: ignore[arg-type]
                    published=NOW,
                    seen_at=NOW,
                )
                archive.add_article(article, YES, announce=False)
                plain.execute(
                    "INSERT INTO plain (rowid, title, body) VALUES (?, ?, ?)",
                    (number + 1, article.title, article.summary),
                )
                written[value].add(number)
                number += 1
    recall: dict[str, list[float]] = defaultdict(list)
    ms: dict[str, list[float]] = defaultdict(list)
    queries = [(form(value), value) for value in written for _, form in forms_of(value)]
    for text, value in queries:
        relevant = written[value]
        start = timer()
        archive.search(text, limit=page, expand=expand)
        ms["ours"].append((timer() - start) * 1000)
        start = timer()
        search_plain(plain, text, page)
        ms["plain"].append((timer() - start) * 1000)
        hits = archive.search(text, limit=len(relevant) + 100, expand=expand)
        found = {int(hit.article.id[1:]) for hit in hits}
        recall["ours"].append(len(found & relevant) / len(relevant))
        found_plain = set(search_plain(plain, text, len(relevant) + 100))
        recall["plain"].append(len(found_plain & relevant) / len(relevant))
    r_ours, r_plain = statistics.fmean(recall["ours"]), statistics.fmean(recall["plain"])
    p99_ours, p99_plain = _p99(ms["ours"]), _p99(ms["plain"])
    ok = r_ours > r_plain
    return ok, (
        f"figures written another way ({len(queries)} queries, e.g. {queries[0][0]} or"
        f" {queries[-1][0]}): recall ours {r_ours:.3f} vs plain {r_plain:.3f}, ratio"
        f" {r_ours / r_plain:.2f}x; p99 {p99_ours:.2f} ms vs {p99_plain:.2f} ms plain, ratio"
        f" {p99_ours / p99_plain:.2f}x; {'PASS' if ok else 'FAIL'}"
    )


def migration_time(archive: Archive) -> str:
    """How long migration 4's statement takes over the whole archive (rolled back)."""
    db = archive._db  # the bench times the migration's own statement on the archive it built
    count = archive.counts()["articles"]
    db.execute("BEGIN IMMEDIATE")
    start = time.perf_counter()
    db.execute(MIGRATIONS[3].strip().rstrip(";"))
    seconds = time.perf_counter() - start
    db.execute("ROLLBACK")
    return (
        f"migration 4 (the figures' tokens for an archive indexed before them) over"
        f" {count:,} articles: {seconds:.1f} s"
    )


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
