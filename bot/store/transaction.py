"""The archive's transactions: SQLite savepoints that never stay open after an error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.errors import StoreError
from bot.store.archive_file import error_message


class Transaction:
    """A SAVEPOINT: a transaction of its own at the top level, a nested one inside another.

    It never stays open after an error. On a full disk SQLite may roll the whole transaction
    back by itself (then there is no savepoint left to undo), or refuse the commit and keep the
    transaction open: left so, every later write would join a transaction that is never
    committed, and be lost when the archive closes.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._outermost = False

    def __enter__(self) -> None:
        self._outermost = not self._db.in_transaction
        self._db.execute("SAVEPOINT digestbot")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type:
            self._undo()
            return
        try:
            self._db.execute("RELEASE digestbot")
        except sqlite3.Error:
            self._undo()
            raise

    def _undo(self) -> None:
        if not self._db.in_transaction:
            return  # SQLite already rolled the whole transaction back
        try:
            self._db.execute("ROLLBACK TO digestbot")
            self._db.execute("RELEASE digestbot")
        except sqlite3.Error:
            if not self._outermost:
                raise
            self._db.execute("ROLLBACK")


class StoreTransaction(Transaction):
    """A ``Transaction`` for the store's callers: an SQLite error on entering or on committing
    (a full disk refusing the commit) comes out as ``StoreError``, as from the store's methods
    (``bot.store.boundary``)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        super().__init__(db)
        self._path = path

    def __enter__(self) -> None:
        try:
            super().__enter__()
        except sqlite3.Error as exc:
            raise StoreError(error_message(self._path, exc)) from exc

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        except sqlite3.Error as error:
            raise StoreError(error_message(self._path, error)) from error
