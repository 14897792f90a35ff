"""What one query may cost: a word or name typed again is asked for once, a query is cut to
``MAX_UNITS`` units, bm25 weighs at most ``MAX_RANK_PHRASES`` phrases however many aliases a
name has, and the chats' searches run in a thread of their own on a read-only connection,
never on the event loop."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import SearchHit
from bot.search.query import (
    MAX_ALIAS_WORDS,
    MAX_RANK_PHRASES,
    MAX_UNITS,
    build_match,
    build_search,
    match_units,
    phrase_count,
)
from bot.store import search as search_module
from bot.store.archive import Archive
from bot.text.normalize import normalize
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon
from tests.test_archive import YES, article

EXPAND = TopicMatcher(load_lexicon()).alias_expander()


@pytest.mark.parametrize(
    "word", ["بوتين", "وبوتين", "كيم جونغ أون", "Kursk", "صادرات", "وصادرات", '"كيم جونغ"']
)
def test_a_repeated_word_or_name_is_one_unit(word: str) -> None:
    once = build_match(word, EXPAND)
    query = " ".join([word] * (201 // (len(word) + 1)))  # as long as a Telegram query may be
    assert 180 < len(query) <= 200
    assert match_units(query, EXPAND) == match_units(word, EXPAND)
    assert build_match(query, EXPAND) == once


def test_a_long_query_is_cut_to_max_units() -> None:
    names = "بوتين كيم لافروف شويغو كورسك موسكو الكرملين بيونغ يانغ فلاديفوستوك"
    words = " ".join(f"كلمه{n}" for n in range(30))
    units = match_units(f"{names} {words}", EXPAND)
    assert len(units) == MAX_UNITS
    assert units == match_units(names, EXPAND)[:MAX_UNITS]  # the first ones are kept


def test_a_repeated_word_is_counted_in_the_archive_once() -> None:
    asked: list[str] = []

    def written(word: str) -> int:
        asked.append(word)
        return 0

    build_match(" ".join(["وصادرات"] * 60), EXPAND, written)
    assert sorted(asked) == sorted(["وصادرات", "صادرات"])  # as typed, and without its و


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    archive = Archive.in_dir(tmp_path)
    archive.add_article(article("a", "بوتين يستقبل كيم", "قمة في موسكو"), YES, announce=True)
    archive.add_article(article("b", "Kursk", "North Korean troops", "en"), YES, announce=True)
    yield archive
    archive.close()


async def test_search_off_loop_runs_in_the_search_thread(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = search_module.search_on

    def recording(*args: object, **kwargs: object) -> list[SearchHit]:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "search_on", recording)
    hits = await archive.search_off_loop("وبوتين", expand=EXPAND)
    assert [hit.article.id for hit in hits] == ["a"]
    assert threads and threads[0] is not threading.current_thread()
    # the same answer as on the archive's own connection
    assert hits == archive.search("وبوتين", expand=EXPAND)


async def test_the_reader_sees_what_is_committed_and_is_read_only(archive: Archive) -> None:
    assert await archive.search_off_loop("kursk") != []
    archive.add_article(article("c", "Kursk again", "more troops", "en"), YES, announce=True)
    found = await archive.search_off_loop("kursk", limit=10)
    assert {hit.article.id for hit in found} == {"b", "c"}
    reader = archive._search_reader
    assert reader is not None
    with pytest.raises(Exception, match="readonly"):
        reader._db.execute("DELETE FROM articles")
    # searches from several chats at once share the one thread, one after the other
    many = await asyncio.gather(*(archive.search_off_loop("kursk", limit=10) for _ in range(8)))
    assert all(len(hits) == 2 for hits in many)


async def test_close_stops_the_search_thread(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    await archive.search_off_loop("kursk")
    reader = archive._search_reader
    assert reader is not None
    archive.close()
    assert archive._search_reader is None
    with pytest.raises(RuntimeError):
        reader._pool.submit(print)
    # a search still on its way after the close opens no new thread or connection
    with pytest.raises(StoreError) as closed:
        await archive.search_off_loop("kursk")
    assert isinstance(closed.value.__cause__, sqlite3.ProgrammingError)
    assert archive._search_reader is None


def test_a_repeated_name_is_looked_up_once() -> None:
    asked: list[tuple[str, ...]] = []

    def expand(tokens: Sequence[str]) -> Sequence[tuple[str, ...]] | None:
        asked.append(tuple(tokens))
        return EXPAND(tokens)

    match_units(" ".join(["كيم جونغ أون"] * 16), expand)
    assert len(asked) == len(set(asked)) <= MAX_ALIAS_WORDS


LEXICON = load_lexicon()
# Every strong alias the lexicon expands, in both languages: the worst is a name of up to a
# hundred phrases (an entity of nine officials, each in two or three spellings, the Arabic
# ones with the glued forms of their first word).
ALIASES = sorted(
    {
        alias
        for entity in LEXICON.entities
        for alias in entity.aliases
        if EXPAND(normalize(alias).split()) is not None
    }
)
WORST = max(ALIASES, key=lambda alias: phrase_count(build_match(alias, EXPAND) or ""))


def test_the_worst_name_is_found_by_all_its_aliases_but_weighed_by_its_own_words() -> None:
    search = build_search(WORST, EXPAND)
    assert search is not None and search.rank is not None
    assert search.match == build_match(WORST, EXPAND)  # what is found is not cut
    assert phrase_count(search.match) > MAX_RANK_PHRASES
    assert phrase_count(search.rank) <= MAX_RANK_PHRASES


def test_no_query_of_names_gives_bm25_more_than_max_rank_phrases() -> None:
    names = ALIASES[:: max(1, len(ALIASES) // MAX_UNITS)][:MAX_UNITS]
    for query in [*ALIASES, " ".join(names), " ".join([WORST, *names])]:
        search = build_search(query, EXPAND)
        assert search is not None
        assert phrase_count(search.rank or search.match) <= MAX_RANK_PHRASES, query


def _bm25_matches(statements: list[str]) -> list[str]:
    """The MATCH expression of the FTS5 query bm25 runs in, of each traced statement."""
    found = []
    for sql in statements:
        at = sql.find("bm25(")
        if at >= 0:
            literal = re.compile(r"MATCH '((?:[^']|'')*)'").search(sql, at)
            assert literal is not None
            found.append(literal.group(1).replace("''", "'"))
    return found


def test_the_archive_ranks_an_alias_rich_name_by_a_bounded_expression(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    search = build_search(WORST, EXPAND)
    assert search is not None
    archive.add_article(article("typed", WORST, "news"), YES, announce=True)
    statements: list[str] = []
    archive._db.set_trace_callback(statements.append)
    hits = archive.search(WORST, expand=EXPAND)
    archive._db.set_trace_callback(None)
    archive.close()
    assert [hit.article.id for hit in hits] == ["typed"]
    weighed = _bm25_matches(statements)
    assert weighed and all(phrase_count(m) <= MAX_RANK_PHRASES for m in weighed)
