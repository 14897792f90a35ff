"""A TinyDB storage that never leaves a half-written file.

TinyDB's own ``JSONStorage`` truncates and rewrites the file in place, so a crash or a full disk
in the middle of a write leaves broken JSON. This storage writes the whole document to a temporary
file in the same directory, fsyncs it, renames it over the old file (atomic on POSIX) and fsyncs
the directory. If the write fails, the old file is untouched and the error is raised.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.errors import StoreError
from bot.store.state_file import corrupt_message, write_file_atomically


class AtomicJSONStorage(Storage):
    """JSON storage written with temp file + fsync + rename."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self._path}: cannot be read: {exc}") from exc
        if not raw.strip():
            return None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # corrupted under a running bot (the start is checked by state_file.prepare)
            raise StoreError(corrupt_message(self._path, str(exc))) from None
        if not isinstance(data, dict):
            raise StoreError(f"{self._path}: the state file is not a JSON object")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()
        write_file_atomically(self._path, payload)

    def close(self) -> None:
        pass
