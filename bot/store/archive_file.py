"""The archive file before SQLite opens it: what must not be opened, and how to open it for
reading only.

SQLite takes an existing file of 0 bytes for a new, empty database (and deletes the WAL file
beside it), so opening one would start over without a word: the history and search gone, and
the same stories sent again. digestbot never leaves such a file (SQLite writes its header with
the first change), so one is refused like a corrupt file, with the way to restore or remove it.
A missing file is a fresh install.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.errors import StoreError


def _newest_backup(path: Path) -> Path | None:
    """The newest copy kept beside the archive (before a migration, or by the operator)."""
    found = []
    for copy in path.parent.glob(f"{path.name}.bak*"):
        try:
            found.append((copy.stat().st_mtime, copy))
        except OSError:
            continue
    return max(found)[1] if found else None


def empty_file_message(path: Path) -> str:
    """What to tell the operator about an archive file of 0 bytes."""
    wal = path.with_name(f"{path.name}-wal")
    backup = _newest_backup(path)
    restore = (
        f"to restore the newest copy, stop digestbot and run: cp {backup} {path}"
        if backup is not None
        else "there is no copy of it here"
    )
    wal_note = (
        f"; keep {wal} with it (SQLite deletes it when it opens an empty archive)"
        if wal.exists()
        else ""
    )
    return (
        f"{path}: the archive file is empty (0 bytes) and was not opened: taken for a new"
        f" archive, its history and search would be gone and its stories sent again;"
        f" it was left as it is{wal_note}; {restore}; to start a new archive instead, stop"
        f" digestbot and run: mv {path} {path}.empty"
    )


def refuse_unusable_file(path: Path, *, read_only: bool) -> None:
    """Raise ``StoreError`` for an archive file of 0 bytes (digestbot never leaves one: SQLite
    writes its header with the first change), and, unless ``read_only``, for a file or folder
    this process may not write. A missing file is a fresh install."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the archive: {exc.strerror or exc}") from None
    if size == 0:
        raise StoreError(empty_file_message(path))
    if read_only:
        return
    for needed in (path, path.parent):
        if not os.access(needed, os.W_OK):
            raise StoreError(
                f"{needed}: read-only for this user, and digestbot writes the archive"
                f" {path.name} and its journal there; check the owner and permissions"
                " ('status', 'search' and 'stats' only read, and work as it is)"
            )


def connect_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A connection that cannot write: SQLite's ``mode=ro``; an empty archive in memory when
    there is no file yet. In a folder it may not write, SQLite cannot make the shared-memory
    file a WAL database needs; with no WAL file beside it, every change is in the file itself,
    so it is read as immutable. Returns the connection and whether it is the one in memory."""
    if not path.exists():
        return sqlite3.connect(":memory:", isolation_level=None), True
    uri = path.resolve().as_uri()
    try:
        return _first_read(f"{uri}?mode=ro"), False
    except sqlite3.Error as exc:
        if path.with_name(f"{path.name}-wal").exists() or os.access(path.parent, os.W_OK):
            raise StoreError(error_message(path, exc)) from exc
    try:
        return _first_read(f"{uri}?mode=ro&immutable=1"), False
    except sqlite3.Error as exc:
        raise StoreError(error_message(path, exc)) from exc


def _first_read(uri: str) -> sqlite3.Connection:
    """Connect and read the schema: SQLite opens files lazily, so this is where it fails."""
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def error_message(path: Path, exc: sqlite3.Error) -> str:
    """One line for an SQLite error met while using the archive: what it means and what to do."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "")  # extended codes: SQLITE_CORRUPT_VTAB, …
    if code.startswith("SQLITE_READONLY") or "readonly" in text:
        return (
            f"{path}: the archive cannot be written ({text}): check the owner and permissions"
            f" of the file, of its folder and of the -wal and -shm files beside it"
        )
    damaged = ("malformed", "not a database", "vtable constructor failed")
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or any(d in text for d in damaged):
        backup = _newest_backup(path)
        restore = (
            f"to restore the newest copy, stop digestbot and run: mv {path} {path}.damaged"
            f" && cp {backup} {path}"
            if backup is not None
            else f"to start a new archive, stop digestbot and run: mv {path} {path}.damaged"
        )
        return f"{path}: the archive is damaged ({text}); it was left as it is; {restore}"
    return f"{path}: archive error: {text}"
