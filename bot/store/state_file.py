"""The state file before TinyDB opens it: a clear error when it is corrupt, a copy before its
format is migrated, and a last good copy to restore from.

::

    state.json            the live file (AtomicJSONStorage writes it whole, or not at all)
    state.json.bak        the last good copy, refreshed when ``digestbot run`` or ``once``
                          starts on a file that read cleanly
    state.json.bak-<UTC>  a last good copy that listed more chats or feeds than the file
                          replacing it: kept aside rather than overwritten, with a warning
    state.json.bak-vN     the file as it was at format version N, before a migration

Nothing here writes over a file it could not read: a corrupt state file stops the command
with a message naming the file, the backup and how to restore it. An existing file that is
empty is corrupt too (digestbot never writes one: a fresh install has no file at all); taking
it for a fresh install would start over without the chats and feeds, then overwrite the backup.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import StoreError

log = logging.getLogger(__name__)

StateDocument = dict[str, Any]
Migration = Callable[[StateDocument], StateDocument]

META_TABLE = "_meta"
FEEDS_TABLE = "feeds"


def _feeds_moved_out(data: StateDocument) -> StateDocument:
    """Version 2 keeps no feeds: ``StateStore`` copied them to ``feeds.sqlite`` before this
    runs (and copies them again, harmlessly, if a crash came between the two)."""
    return {table: docs for table, docs in data.items() if table != FEEDS_TABLE}


STATE_VERSION = 2
"""The format this digestbot writes. A file without a recorded version is at version 1."""
STATE_MIGRATIONS: tuple[Migration, ...] = (_feeds_moved_out,)
"""``STATE_MIGRATIONS[i]`` turns a version ``i + 1`` document into a version ``i + 2`` one."""
FEEDS_MOVED_AT = 2
"""The first version whose feeds live in ``feeds.sqlite``."""


def legacy_feeds(data: StateDocument) -> list[dict[str, Any]] | None:
    """The feed documents of a file from before they moved out; None for a newer file."""
    if format_version(data) >= FEEDS_MOVED_AT:
        return None
    docs = data.get(FEEDS_TABLE, {}).values()
    return [dict(doc) for doc in docs if isinstance(doc, dict) and isinstance(doc.get("url"), str)]


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.bak")


def migration_backup_path(path: Path, version: int) -> Path:
    """Where a store file (the state file or the archive) at ``version`` is copied before it is
    migrated."""
    return path.with_name(f"{path.name}.bak-v{version}")


def corrupt_message(path: Path, detail: str) -> str:
    """What to tell the operator about a state file that cannot be read as JSON."""
    backup = backup_path(path)
    if backup.exists():
        advice = (
            f"the last good copy is {backup}; to restore it, stop digestbot and run:"
            f" mv {path} {path}.corrupt && cp {backup} {path}"
        )
    else:
        advice = (
            f"there is no backup ({backup} does not exist); to start with no chats and feeds,"
            f" stop digestbot and run: mv {path} {path}.corrupt"
        )
    return f"{path}: the state file is corrupt ({detail}); it was left as it is; {advice}"


def read_document(path: Path) -> tuple[bytes, StateDocument] | None:
    """The file's bytes and its tables; None when it is missing. Raises ``StoreError`` naming
    the file (and its backup) when it is corrupt, empty included."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise StoreError(corrupt_message(path, "the file is empty"))
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(corrupt_message(path, str(exc))) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreError(corrupt_message(path, "not a JSON object of tables"))
    return raw, data


def format_version(data: StateDocument) -> int:
    for doc in data.get(META_TABLE, {}).values():
        if isinstance(doc, dict) and isinstance(doc.get("version"), int):
            return int(doc["version"])
    return 1


def write_file_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path``, fsync it, rename it into place
    (atomic on POSIX) and fsync the folder. On failure the old file is untouched, the temporary
    one removed, and ``StoreError`` raised."""
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise StoreError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename is still atomic
    finally:
        os.close(fd)


STALE_TEMP_S = 600
"""A temporary file this old is left from a write that was killed (a write takes milliseconds;
a younger one may belong to a bot running beside this command)."""


def remove_stale_temp_files(path: Path, now: float) -> list[Path]:
    """Remove what writes of ``path`` killed before their rename left behind (``now``: the
    time as ``time.time()`` gives it); returns the files removed."""
    removed = []
    for temp in path.parent.glob(f".{path.name}.*"):
        try:
            if now - temp.stat().st_mtime > STALE_TEMP_S:
                temp.unlink()
                removed.append(temp)
        except OSError:
            continue  # gone already, or not ours to remove: nothing is lost by leaving it
    return removed


def prepare(
    path: Path,
    *,
    version: int = STATE_VERSION,
    migrations: Sequence[Migration] = STATE_MIGRATIONS,
) -> bool:
    """Check the state file at ``path`` and bring it to format ``version``.

    Returns True when a migration was applied (after copying the file to
    ``state.json.bak-vN``). Raises ``StoreError`` naming the file and its backup when it is
    corrupt, and when it was written by a newer digestbot; the file is left as it is.
    """
    read = read_document(path)
    if read is None:
        return False
    raw, data = read
    found = format_version(data)
    if found > version:
        raise StoreError(
            f"{path}: format version {found} is newer than this digestbot knows ({version})"
        )
    if found == version:
        return False
    write_file_atomically(migration_backup_path(path, found), raw)
    for migrate in migrations[found - 1 : version - 1]:
        data = migrate(data)
    data[META_TABLE] = {"1": {"version": version}}
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()
    write_file_atomically(path, payload)
    return True


def create_if_missing(path: Path) -> bool:
    """Write an empty state file at the current format where there is none; True if it did."""
    if path.exists():
        return False
    empty = {META_TABLE: {"1": {"version": STATE_VERSION}}}
    write_file_atomically(path, json.dumps(empty, sort_keys=True, indent=1).encode())
    return True


COUNTED_TABLES = ("chats", "feeds")
"""What a backup is judged by: a refresh that would lose some of these says so."""


def _counts(data: StateDocument) -> dict[str, int]:
    return {table: len(data.get(table, {})) for table in COUNTED_TABLES}


def _compared(data: StateDocument) -> tuple[str, ...]:
    """The counted tables a file of this format holds: since version 2 feeds live in
    ``feeds.sqlite``, and a backup from before must not look larger for listing them."""
    if format_version(data) >= FEEDS_MOVED_AT:
        return tuple(table for table in COUNTED_TABLES if table != FEEDS_TABLE)
    return COUNTED_TABLES


def aside_backup_path(path: Path, when: datetime) -> Path:
    """Where a backup that listed more chats or feeds is kept instead of being overwritten."""
    return path.with_name(f"{path.name}.bak-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}")


def refresh_backup(path: Path, *, now: datetime | None = None) -> bool:
    """Copy the state file to ``state.json.bak`` when it reads cleanly and differs from the
    copy there; returns True when it wrote. A corrupt file never replaces a good backup.

    A backup listing more chats or feeds than the file is not lost: it is kept aside as
    ``state.json.bak-<UTC time>`` (``now``), and a warning names both counts. The refresh
    still happens, so that the next start compares with what the bot holds now.
    """
    read = read_document(path)
    if read is None:
        return False
    raw, data = read
    backup = backup_path(path)
    try:
        old = backup.read_bytes()
    except OSError:
        old = None  # no backup yet, or an unreadable one: write a fresh copy
    if old == raw:
        return False
    if old is not None:
        _keep_a_larger_backup(path, old, data, now or datetime.now(UTC))
    write_file_atomically(backup, raw)
    return True


def _keep_a_larger_backup(path: Path, old: bytes, data: StateDocument, now: datetime) -> None:
    counts = _counts(data)
    try:
        before = _counts(json.loads(old))
    except (ValueError, TypeError, AttributeError):
        return  # a backup that cannot be read holds nothing to keep
    if all(counts[table] >= before[table] for table in _compared(data)):
        return
    aside = aside_backup_path(path, now)
    write_file_atomically(aside, old)
    log.warning(
        "%s holds fewer chats or feeds (%s) than its last backup (%s): that backup is kept as"
        " %s, and %s now copies the current file",
        path,
        _shown(counts),
        _shown(before),
        aside,
        backup_path(path),
    )


def _shown(counts: dict[str, int]) -> str:
    return ", ".join(f"{number} {table}" for table, number in counts.items())
