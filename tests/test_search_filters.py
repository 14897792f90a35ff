"""Search filters: lang:, source: and since: in a query."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store.archive import Archive
from bot.store.fts import split_filters
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
