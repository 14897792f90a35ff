"""A word pasted with a proclitic (وبوتين, بالكرملين, وصادرات) finds what its bare form finds,
as the index already finds والكرملين for كرملين: names of the lexicon and plain words alike. A
word that merely begins with those letters (بوتين, لافروف, بيان) still finds itself, and only
itself; Latin words are left as typed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.search.query import build_match
from bot.store.archive import Archive
from bot.text.normalize import PROCLITICS
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon
from tests.test_archive import YES, article

EXPAND = TopicMatcher(load_lexicon()).alias_expander()

# Each of these is the whole list of the normalizer's proclitics, and then some by name.
ARTICLE_FORMS = tuple(p for p in PROCLITICS if p.endswith(("ال", "لل")))
PLAIN_FORMS = tuple(p for p in PROCLITICS if p not in ARTICLE_FORMS)
NAMED = ("و", "ب", "ل", "ف", "ك", "ال", "لل", "وال", "بال", "فال", "وبال", "ولل")


def glued(prefix: str, word: str) -> str:
    """``word`` as running text writes it after ``prefix``: لل + الكرملين is للكرملين."""
    if prefix.endswith(("ال", "لل")) and word.startswith("ال"):
        return prefix + word[2:] if prefix.endswith("لل") else prefix[:-2] + word
    return prefix + word


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    archive = Archive.in_dir(Path(tmp_path_factory.mktemp("clitics")))
    samples = [
        # names of the lexicon, written bare; بوتين and بيونغ begin with ب, لافروف with ل
        article("putin", "بوتين يستقبل وفدا", "قال بوتين إن المحادثات جيدة"),
        article("putin-en", "Putin hosts a delegation", "Putin said the talks went well", "en"),
        article("lavrov", "لافروف يزور المنطقة", "وصل لافروف صباحا"),
        article("kremlin", "الكرملين يعلق", "أعلن الكرملين موقفه"),
        # plain words, not in the lexicon
        article("exports", "صادرات القمح ترتفع", "ارتفعت صادرات الحبوب هذا العام"),
        article("exports2", "تقرير عن صادرات النفط", "صادرات جديدة"),
        article("drills", "مناورات بحرية مشتركة", "بدأت مناورات واسعة"),
        # a word that begins with ب and, without it, is another word (يان, a name)
        article("statement", "بيان الخارجية", "نص بيان الوزارة"),
        article("statement2", "بيان مشترك", "أصدرت الدولتان بيان"),
        article("yan", "المخرج يان يفوز بجائزة", "فاز يان بالجائزة"),
        # a name beginning with و, and Latin words
        article("weather", "الطقس غدا", "أمطار متفرقة"),
        article("band", "The band plays", "a new album from the band", "en"),
        article("and", "Trade and talks", "more trade and more talks", "en"),
    ]
    for sample in samples:
        archive.add_article(sample, YES, announce=True)
    yield archive
    archive.close()


def found(archive: Archive, query: str) -> set[str]:
    return {hit.article.id for hit in archive.search(query, limit=50, expand=EXPAND)}


@pytest.mark.parametrize("prefix", sorted(set(PROCLITICS) | set(NAMED)))
@pytest.mark.parametrize("name", ["بوتين", "لافروف", "الكرملين"])
def test_a_name_with_any_proclitic_finds_the_bare_names_articles(
    archive: Archive, name: str, prefix: str
) -> None:
    bare = found(archive, name)
    assert bare  # e.g. بوتين finds the Arabic and the English report
    assert found(archive, glued(prefix, name)) == bare


@pytest.mark.parametrize("prefix", sorted(set(PROCLITICS) | set(NAMED)))
@pytest.mark.parametrize("word", ["صادرات", "مناورات"])
def test_a_plain_word_with_any_proclitic_finds_the_bare_words_articles(
    archive: Archive, word: str, prefix: str
) -> None:
    bare = found(archive, word)
    assert bare
    assert found(archive, glued(prefix, word)) == bare
    # also beside another word, and in both orders
    assert found(archive, f"{glued(prefix, word)} {word}") == bare


def test_the_proclitic_forms_cover_the_named_combinations() -> None:
    assert set(NAMED) <= set(PROCLITICS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("بوتين", {"putin", "putin-en"}),  # not read as ب + وتين
        ("لافروف", {"lavrov"}),  # not ل + افروف
        ("بيان", {"statement", "statement2"}),  # not ب + يان: يان is written, but less often
        ("وبيان", {"statement", "statement2"}),  # و + بيان, written more often than يان
    ],
)
def test_a_word_that_begins_with_a_proclitic_finds_itself(
    archive: Archive, query: str, expected: set[str]
) -> None:
    assert found(archive, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("band", {"band"}), ("and", {"and"}), ("Putin", {"putin", "putin-en"})],
)
def test_latin_words_are_left_as_typed(archive: Archive, query: str, expected: set[str]) -> None:
    assert found(archive, query) == expected


def test_a_latin_word_is_never_stripped() -> None:
    def written(word: str) -> int:
        return 1000 if word in ("and", "nd") else 0

    assert build_match("band", None, written) == '("band")'


def test_a_proclitic_before_an_exact_alias_is_not_stripped() -> None:
    # روس ("Russians") is matched only as written: كروس is "cross", بروس "Bruce"
    assert EXPAND(["كروس"]) is None and EXPAND(["بروس"]) is None
    assert EXPAND(["وبوتين"]) == EXPAND(["بوتين"])
    assert EXPAND(["وكيم", "جونغ", "اون"]) == EXPAND(["كيم", "جونغ", "اون"])


def test_the_cli_reads_a_proclitic_too(tmp_path: Path) -> None:
    assert main(["demo", "--data-dir", str(tmp_path)], out=io.StringIO()) == 0
    answers = []
    for query in ("بوتين", "وبوتين", "كوريا الشمالية", "لكوريا الشمالية"):
        out = io.StringIO()
        main(["search", query, "--limit", "20", "--data-dir", str(tmp_path)], out=out)
        answers.append(out.getvalue())
    putin, and_putin, korea, to_korea = answers
    assert putin.count("https://") > 0 and and_putin == putin
    assert korea.count("https://") > 0 and to_korea == korea
