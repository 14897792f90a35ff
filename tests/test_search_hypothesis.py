"""Any text typed as a search never crashes: not the filter parser, not the MATCH builder, not
the friendly reply to bad filters, not the archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Catalog
from bot.search.filters import split_filters
from bot.search.help import bad_filters_message
from bot.search.query import MAX_UNITS, build_match, match_units
from bot.store.archive import Archive
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon
from tests.test_archive import YES, article

EXPAND = TopicMatcher(load_lexicon()).alias_expander()
CATALOG = Catalog.load()

# Arbitrary text, and text built from the pieces that make queries tricky.
PIECES = st.sampled_from(
    [
        "lang:", "source:", "since:", "ar", "en", "fr", '"', "«", "»", "“", " ", "*", "(", ")",
        ":", "NEAR", "OR", "AND", "NOT", "^", "-", "2024-11-01", "2024-13-45", "كورسك",
        "والكرملين", "كيم جونغ أون", "Kursk", "\u0640", "\u064e", "\u200c", "\x00", "'",
        "وبوتين", "بال", "ولل", "وب", "لل", "قوات", "كورية", "وقوات", "بكورسك",
        "12", "1,500", "١٥٠٠", "١٬٥٠٠", "1.5", "ألف", "آلاف", "مليون", "million", "اثنا عشر",
        "سبعة", "2024", "بـ", "KN-23", "12 September", "٫",
    ]
)  # fmt: skip
# The same word, name or piece typed over and over, as a pasted or mistyped query can be.
REPEATED = st.tuples(
    st.one_of(PIECES, st.text(max_size=12), st.lists(PIECES, max_size=4).map(" ".join)),
    st.integers(min_value=1, max_value=120),
    st.sampled_from([" ", "", "،", '"']),
).map(lambda t: t[2].join([t[0]] * t[1]))
QUERIES = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=25).map("".join), REPEATED)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    archive = Archive.in_dir(Path(tmp_path_factory.mktemp("fuzz")))
    archive.add_article(article("a", "قوات كورية في كورسك", "والكرملين صامت"), YES, announce=True)
    archive.add_article(article("b", "Kursk troops", "Kim Jong Un", "en"), YES, announce=True)
    archive.add_article(article("c", "١٢ ألف جندي", "1,500 قذيفة"), YES, announce=True)
    yield archive
    archive.close()


def archive_written(word: str) -> int:
    return 2 if len(word) % 2 else 0  # stems of either length are taken, or not


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES, page=st.integers(min_value=0, max_value=3))
def test_no_search_input_crashes(archive: Archive, query: str, page: int) -> None:
    words, filters = split_filters(query)
    assert len(match_units(words, EXPAND, archive_written)) <= MAX_UNITS
    match = build_match(words, EXPAND)
    if match is not None:
        # valid FTS5 syntax whatever was typed (the archive would turn an error into "no results")
        archive._db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [match])
    for lang in ("ar", "en"):
        if filters.bad:
            assert bad_filters_message(CATALOG, lang, filters.bad)
    hits = archive.search(query, limit=5, offset=page * 5, expand=EXPAND)
    assert len(hits) <= 5
    assert archive.counts()["articles"] == 3
