"""Search finds a figure however an article writes it: "12 ألف", "12,000", "١٢ ألف", "اثنا عشر
ألف" are one quantity, in either script; years, dates and small figures stay plain words."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.search.query import MAX_UNITS, index_text, match_units
from bot.store.archive import ARCHIVE_FILE, MIGRATIONS, Archive
from bot.text.normalize import normalize, tokenize
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon
from tests.test_archive import YES, article

EXPAND = TopicMatcher(load_lexicon()).alias_expander()

# Each group: one quantity as news writes it, one article per way (Arabic and English).
GROUPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "12000": (
        ("ar", "وصول 12 ألف جندي كوري إلى روسيا", ""),
        ("ar", "وصول ١٢ ألف جندي كوري إلى روسيا", ""),
        ("ar", "بيونغ يانغ أرسلت اثنا عشر ألف جندي", ""),
        ("ar", "نحو ١٢٬٠٠٠ جندي في كورسك", ""),
        ("en", "About 12,000 North Korean troops in Kursk", ""),
        ("en", "Seoul: 12000 soldiers sent", ""),
        ("en", "Pyongyang sent twelve thousand soldiers", ""),
    ),
    "1500": (
        ("ar", "شحن 1500 حاوية ذخائر", ""),
        ("ar", "شحن ١٥٠٠ حاوية ذخائر", ""),
        ("ar", "شحن بـ١٬٥٠٠ حاوية", ""),
        ("en", "1,500 containers of shells shipped", ""),
    ),
    "1500000": (
        ("ar", "روسيا ترسل ١٫٥ مليون طن من القمح", ""),
        ("en", "Russia to send 1.5 million tonnes of wheat", ""),
        ("en", "Russia to send 1,500,000 tonnes of wheat", ""),
    ),
}
# Articles no figure query above may find: other figures, a year, a date, a small figure.
OTHERS = (
    ("ar", "وصول 12 جنديا إلى الحدود", ""),
    ("en", "1,200 containers and 15 ships", ""),
    ("en", "Talks resume on 12 September", ""),
    ("ar", "منذ عام 2024 والعلاقات تتعمق", ""),
    ("en", "In 2024, the treaty was signed", ""),
    ("en", "Troops number 2,024, the ministry says", ""),
    ("ar", "7 دبابات وخمسة جنود", ""),
)
QUERIES = {
    "12000": ("12000", "12,000", "12 ألف", "١٢ ألف", "١٢٠٠٠", "اثنا عشر ألف", "12 thousand"),
    "1500": ("1500", "1,500", "١٥٠٠", "١٬٥٠٠"),
    "1500000": ("1.5 million", "1,500,000", "١٫٥ مليون", "1.5 مليون"),
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    archive = Archive.in_dir(Path(tmp_path_factory.mktemp("numbers")))
    for group, forms in GROUPS.items():
        for number, (lang, title, body) in enumerate(forms):
            archive.add_article(article(f"{group}-{number}", title, body, lang), YES, announce=True)
    for number, (lang, title, body) in enumerate(OTHERS):
        archive.add_article(article(f"other-{number}", title, body, lang), YES, announce=True)
    yield archive
    archive.close()


def found(archive: Archive, query: str) -> set[str]:
    return {hit.article.id for hit in archive.search(query, limit=100, expand=EXPAND)}


def group_ids(group: str) -> set[str]:
    return {f"{group}-{number}" for number in range(len(GROUPS[group]))}


@pytest.mark.parametrize(
    ("group", "query"), [(group, query) for group, queries in QUERIES.items() for query in queries]
)
def test_a_figure_finds_every_way_it_is_written(archive: Archive, group: str, query: str) -> None:
    assert found(archive, query) == group_ids(group)


def test_a_figure_and_a_word_must_both_occur(archive: Archive) -> None:
    assert found(archive, "١٢ ألف كورسك") == {"12000-3", "12000-4"}
    assert found(archive, "soldiers 12,000") == {"12000-5", "12000-6"}


def test_a_year_is_a_plain_word(archive: Archive) -> None:
    # Not the figure 2,024: a year in a query is the year as written.
    assert found(archive, "2024") == {"other-3", "other-4"}
    assert not [unit for unit in match_units("2024") if "qty" in unit]


def written_as_word(word: str) -> set[str]:
    """The articles of the fixture whose text has ``word`` as a word of its own."""
    texts = {
        f"{g}-{n}": f"{t} {b}" for g, forms in GROUPS.items() for n, (_, t, b) in enumerate(forms)
    }
    texts |= {f"other-{n}": f"{t} {b}" for n, (_, t, b) in enumerate(OTHERS)}
    return {key for key, text in texts.items() if word in tokenize(normalize(text))}


def test_digits_typed_as_one_word_find_what_they_found_before(archive: Archive) -> None:
    # "12" is also in "12 September", "12 ألف" and "12,000": the word as written is found, as
    # before figures were read, and no figure 12 without the word (there is none here).
    assert {"other-0", "other-2", "12000-0", "12000-4"} <= written_as_word("12")
    assert found(archive, "12") == written_as_word("12")
    assert found(archive, "7") == written_as_word("7") == {"other-6"}


def test_a_figure_of_several_words_is_the_figure_only(archive: Archive) -> None:
    # 1,500 is not 1,500,000, although both write the words 1 and 500.
    assert written_as_word("1") & written_as_word("500") >= {"1500000-2"}
    assert found(archive, "1,500") == group_ids("1500")


def test_years_dates_and_small_figures_get_no_token() -> None:
    shadow = index_text("In 2024, 5 ships on 12 September", "خمسة جنود و7 دبابات منذ 2022").shadow
    assert "qty" not in shadow
    assert index_text("١٢ ألف جندي", "12,000 troops").shadow.split().count("qty12000") == 1


def test_a_quoted_figure_is_the_phrase_as_typed(archive: Archive) -> None:
    assert found(archive, '"12 ألف"') == {"12000-0", "12000-1"}


def test_a_figure_is_one_unit_of_the_bounded_query() -> None:
    assert len(match_units("اثنا عشر ألف جندي")) == 2
    figures = " ".join(f"{n},000" for n in range(11, 11 + MAX_UNITS + 4))
    assert len(match_units(figures)) == MAX_UNITS


def test_a_name_with_a_number_is_still_the_name() -> None:
    # KN-23 is an entity of the lexicon: its aliases are asked for, not the figure 23.
    (unit,) = match_units("KN-23", EXPAND)
    assert "kn23" in unit and "qty23" not in unit


def test_an_archive_indexed_before_figures_finds_them_after_the_upgrade(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    archive.add_article(article("old", "وصول ١٢ ألف جندي", "", "ar"), YES, announce=True)
    archive.close()
    db = sqlite3.connect(tmp_path / ARCHIVE_FILE, isolation_level=None)
    before = [t for t in index_text("وصول ١٢ ألف جندي", "").shadow.split() if "qty" not in t]
    # the shadow column as digestbot indexed it before figures had tokens
    db.execute("UPDATE articles_fts SET shadow = ?", [" ".join(before)])
    assert "qty" not in db.execute("SELECT shadow FROM articles_fts").fetchone()[0]
    db.execute("ALTER TABLE stories DROP COLUMN merged_into")  # added by schema 5
    db.execute("DROP TABLE story_messages")  # added by schema 6
    db.execute("ALTER TABLE outbox DROP COLUMN markup")  # added by schema 7
    db.execute("DROP TABLE digest_pages")  # added by schema 7
    db.execute("PRAGMA user_version = 3")
    db.close()
    assert MIGRATIONS[3:]  # there is a migration to take it
    upgraded = Archive.in_dir(tmp_path)
    try:
        assert found(upgraded, "12,000") == {"old"}
        (shadow,) = upgraded._db.execute("SELECT shadow FROM articles_fts").fetchone()
        assert shadow == index_text("وصول ١٢ ألف جندي", "").shadow
    finally:
        upgraded.close()


def test_search_works_before_there_is_an_archive(tmp_path: Path) -> None:
    # ``digestbot search`` on a fresh install reads an empty archive in memory, migrated there.
    archive = Archive.in_dir(tmp_path, read_only=True)
    try:
        assert archive.search("1,500") == []
    finally:
        archive.close()
    assert not (tmp_path / ARCHIVE_FILE).exists()
