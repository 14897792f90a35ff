"""One digestbot at a time on a data folder.

``digestbot run`` holds an advisory lock on ``<data_dir>/digestbot.lock`` for as long as it
runs, and ``once`` and ``import`` take it for theirs: two of them at once would both send the
outbox (a duplicate for every part in flight) or overwrite each other's state file. A command
that finds the lock held stops with a clear error before it touches anything. Read-only
commands (``status``, ``export``, ``search``, ``stats``) do not take it. The lock goes with the
process, so a ``kill -9`` never leaves it behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.errors import DigestbotError

LOCK_FILE = "digestbot.lock"


@contextlib.contextmanager
def exclusive(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data folder's lock for the ``command`` running inside; raises
    ``DigestbotError`` when another digestbot holds it."""
    path = data_dir / LOCK_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DigestbotError(
            f"{data_dir}: cannot use this data folder: {exc.strerror or exc}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DigestbotError(
                f"{data_dir}: another digestbot (run, once or import) is working on this data"
                f" folder; stop it before '{command}'"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the file releases the lock
