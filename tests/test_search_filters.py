"""Search filters: lang:, source: and since: in a query."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.i18n import Catalog
from bot.search.filters import BadFilter, split_filters
from bot.search.help import bad_filters, bad_filters_message
from bot.store.archive import Archive
from tests.test_archive import YES, article


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive.in_dir(tmp_path)
    samples = [
        replace(
            article("old", "North Korean troops in Kursk", lang="en", hours=240), source="TASS"
        ),
        replace(article("en", "Troops in Kursk again", lang="en"), source="Al Jazeera English"),
        replace(article("ar", "قوات في كورسك", "جنود كوريون في كورسك"), source="الجزيرة"),
    ]
    for sample in samples:
        archive.add_article(sample, YES, announce=True)
    return archive


def ids(archive: Archive, query: str) -> set[str]:
    return {hit.article.id for hit in archive.search(query, limit=10)}


def test_split_filters_reads_each_filter_and_keeps_the_words() -> None:
    words, filters = split_filters('kursk lang:EN source:"Al Jazeera" since:2024-11-01 troops')
    assert words == "kursk troops"
    assert filters.lang == "en" and filters.source == "al jazeera"
    assert filters.since == datetime(2024, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["lang:fr", "since:yesterday", "since:2024-13-40"])
def test_a_filter_it_cannot_take_stays_a_word(text: str) -> None:
    words, filters = split_filters(f"kursk {text}")
    assert not filters.any
    assert words == "kursk " + text.split(":", 1)[1]


def test_filters_narrow_the_results(archive: Archive) -> None:
    assert ids(archive, "Kursk") == {"old", "en"}
    assert ids(archive, "Kursk lang:ar") == set()
    assert ids(archive, "كورسك lang:ar") == {"ar"}
    assert ids(archive, "Kursk source:tass") == {"old"}
    assert ids(archive, 'Kursk source:"jazeera english"') == {"en"}
    assert ids(archive, "Kursk since:2024-11-01") == {"en"}


def test_filters_alone_list_the_newest(archive: Archive) -> None:
    hits = archive.search("lang:en", limit=10)
    assert [hit.article.id for hit in hits] == ["en", "old"]
    assert ids(archive, "since:2024-11-01 source:الجزيرة") == {"ar"}


@pytest.mark.parametrize(
    ("query", "key", "typed"),
    [
        ("kursk since:2024-13-45", "since", "since:2024-13-45"),
        ("kursk since:2024-02-30", "since", "since:2024-02-30"),
        ("since:yesterday kursk", "since", "since:yesterday"),
        ("kursk since:", "since", "since:"),
        ("lang:fr kursk", "lang", "lang:fr"),
        ("LANG:FR kursk", "lang", "LANG:FR"),
        ("kursk lang:", "lang", "lang:"),
        ("kursk lang:arabic", "lang", "lang:arabic"),
        ('kursk source:"', "source", 'source:"'),
        ('kursk source:"Al Jazeera', "source", 'source:"Al Jazeera'),
        ('kursk source:""', "source", 'source:""'),
        ("kursk source:", "source", "source:"),
        ('kursk source:tass"', "source", 'source:tass"'),
    ],
)
def test_a_filter_it_cannot_use_is_reported_as_typed(query: str, key: str, typed: str) -> None:
    _, filters = split_filters(query)
    assert filters.bad == (BadFilter(key=key, text=typed),)
    assert not filters.any


@pytest.mark.parametrize(
    "query",
    [
        "kursk",
        "kursk lang:AR",
        'source:"Al Jazeera" kursk',
        "source:tass since:2024-11-01",
        "since:2024-1-5",
        "language:fr kursk",  # not a filter: a word
        "kursk:lang",
    ],
)
def test_good_queries_report_nothing(query: str) -> None:
    assert split_filters(query)[1].bad == ()


def test_every_bad_filter_is_named_once_with_the_valid_syntax() -> None:
    catalog = Catalog.load()
    bad = bad_filters('kursk since:2024-13-45 lang:fr source:"Al Jazeera')
    assert [b.key for b in bad] == ["since", "lang", "source"]
    english = bad_filters_message(catalog, "en", bad)
    assert '“since:2024-13-45”, “lang:fr”, “source:"Al Jazeera”' in english
    assert "since:YYYY-MM-DD" in english and "lang:ar or lang:en" in english
    assert 'source:"Al Jazeera"' in english  # how to write it, with both quotes
    arabic = bad_filters_message(catalog, "ar", bad)
    assert "«since:2024-13-45»، «lang:fr»" in arabic and "التاريخ" in arabic
    assert "since:YYYY-MM-DD" in arabic and "lang:ar أو lang:en" in arabic
    # a kind of filter named twice gets its hint once
    twice = bad_filters_message(catalog, "en", bad_filters("lang:fr lang:de"))
    assert twice.count("lang:ar or lang:en") == 1 and "“lang:de”" in twice


def test_the_archive_still_answers_a_query_with_a_bad_filter(archive: Archive) -> None:
    # the chat explains; the archive itself never fails on one
    assert ids(archive, "Kursk since:2024-13-45") == set()
    assert ids(archive, "Kursk lang:fr") == set()
    assert ids(archive, 'Kursk source:"') == {"old", "en"}
