"""The archive's error contract: its public methods raise ``StoreError`` (the SQLite error as its
cause), never ``sqlite3.Error``, whatever the database does (damaged, locked, read-only)."""

from __future__ import annotations

import inspect
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Decision, Story, Summary
from bot.store.archive import ARCHIVE_FILE, Archive
from bot.store.boundary import store_boundary
from tests.test_archive_file import article, damage, used_data_folder

NOW = datetime(2024, 11, 5, 12, tzinfo=UTC)
YES = Decision(relevant=True, score=0.9, matched=("kursk",), reason="test")


def test_every_public_method_and_property_of_the_archive_is_guarded() -> None:
    """Its mixins' methods included, so a method added to any of them cannot slip past."""
    unguarded = []
    for name in dir(Archive):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(Archive, name)
        func = attr.fget if isinstance(attr, property) else attr
        if inspect.isfunction(func) and not hasattr(func, "__wrapped__"):
            unguarded.append(name)
    assert unguarded == []


def test_a_store_method_may_not_be_a_generator() -> None:
    """Its rows would be read after the guard returned, unguarded."""

    class Rows:
        path = Path("x")

        def rows(self) -> object:
            yield 1

    with pytest.raises(TypeError, match="generator"):
        store_boundary(Rows)


def test_a_damaged_archive_raises_store_error_from_every_reader(tmp_path: Path) -> None:
    used_data_folder(tmp_path, articles=60)
    archive = Archive.in_dir(tmp_path)
    damage(tmp_path / ARCHIVE_FILE)  # a page goes bad while the bot runs
    try:
        reads = (
            lambda: archive.counts(),
            lambda: archive.recent_articles(NOW - timedelta(days=365)),
            lambda: archive.articles([f"a{n}" for n in range(60)]),
            lambda: archive.search("Kursk"),
        )
        for read in reads:
            with pytest.raises(StoreError, match="the archive is damaged") as caught:
                read()
            assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    finally:
        archive.close()


async def test_a_damaged_archive_raises_store_error_from_the_search_thread(
    tmp_path: Path,
) -> None:
    used_data_folder(tmp_path, articles=60)
    archive = Archive.in_dir(tmp_path)
    damage(tmp_path / ARCHIVE_FILE)
    try:
        with pytest.raises(StoreError, match="the archive is damaged") as caught:
            await archive.search_off_loop("Kursk")
        assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    finally:
        archive.close()


def test_a_locked_archive_raises_store_error(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    archive._db.execute("PRAGMA busy_timeout=0")  # fail at once instead of waiting for it
    other = sqlite3.connect(tmp_path / ARCHIVE_FILE, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        writes = (
            lambda: archive.add_article(article(1), YES, announce=True),
            lambda: archive.add_seen(article(2)),
            lambda: archive.record_llm_use(
                "2024-11-05", "summary", calls=1, prompt_tokens=1, completion_tokens=1
            ),
            lambda: archive.attach("a1", None, entities=[], announce=True, now=NOW),
        )
        for write in writes:
            with pytest.raises(StoreError, match="database is locked") as caught:
                write()
            assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert not archive._db.in_transaction  # nothing left half done
    finally:
        other.execute("ROLLBACK")
        other.close()
        archive.close()
    archive = Archive.in_dir(tmp_path)
    archive.add_seen(article(2))  # the lock gone, the archive works as before
    assert archive.counts()["seen"] == 1
    archive.close()


def test_writing_a_read_only_archive_raises_store_error(tmp_path: Path) -> None:
    used_data_folder(tmp_path)
    archive = Archive.in_dir(tmp_path, read_only=True)
    story = Story(1, NOW, NOW, (), ())
    try:
        writes = (
            lambda: archive.add_seen(article(7)),
            lambda: archive.save_summary(story, Summary(None, None, "E", "s", "offline"), NOW),
            lambda: archive.queue_digest(
                platform="telegram",
                chat_id=42,
                thread_id=None,
                digest_key="k",
                period_end=NOW,
                parts=["part"],
                now=NOW,
            ),
            lambda: archive.prune_outbox(NOW),
        )
        for write in writes:
            with pytest.raises(StoreError, match="readonly database") as caught:
                write()
            assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert archive.counts()["articles"] == 3  # reading still works
    finally:
        archive.close()


def test_the_store_imports_no_layer_above_it() -> None:
    """The store keeps and reports; deciding (when a summary is stale, what a digest holds) is
    done above it, so it never imports the code that decides."""
    import ast

    import bot.store

    above = ("bot.summarize", "bot.pipeline", "bot.app", "bot.cli", "bot.digest", "bot.platforms")
    found = []
    for path in sorted(Path(bot.store.__path__[0]).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert found == []
