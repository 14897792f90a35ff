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

from bot.store.state_file import META_TABLE, STATE_VERSION, read_document, write_file_atomically


class AtomicJSONStorage(Storage):
    """JSON storage written with temp file + fsync + rename."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # The folder is made by ``StateStore``, which opens a storage for every change.
        self._path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        # a file corrupted under a running bot is reported like one found at start
        read = read_document(self._path)
        return None if read is None else read[1]

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if META_TABLE not in data:
            # A file this storage starts is at the current format (files from before were
            # migrated when the store opened): without the mark it would read as version 1.
            data = {**data, META_TABLE: {"1": {"version": STATE_VERSION}}}
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()
        write_file_atomically(self._path, payload)

    def close(self) -> None:
        pass
