"""The one way tests build ``Settings`` for a bot on loopback: its data folder, its feeds, and the
sections a test is about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings


def settings_for(
    data_dir: Path, feeds: Sequence[Mapping[str, str]] = (), **sections: Mapping[str, Any]
) -> Settings:
    """Settings with the data in ``data_dir``, ``feeds`` as the ``[[feeds]]`` tables, and each
    other section as given. The fakes listen on loopback, so ``[ingest]`` allows private
    addresses; an ``ingest`` given here adds to that."""
    ingest = {"allow_private_networks": True, **sections.pop("ingest", {})}
    return Settings.model_validate(
        {
            "storage": {"data_dir": str(data_dir)},
            "ingest": ingest,
            "feeds": list(feeds),
            **sections,
        }
    )
