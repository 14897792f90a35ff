"""One digestbot at a time on a data folder: run, once and import refuse to start beside one
another, before they touch anything; read-only commands are not held back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.app.daemon import run_forever
from bot.cli.once import once
from bot.cli.transfer import import_data
from bot.config import Settings
from bot.errors import DigestbotError
from bot.store import run_lock
from bot.store.state import STATE_FILE


def settings(data: Path) -> Settings:
    return Settings.model_validate(
        {"storage": {"data_dir": str(data)}, "feeds": [{"url": "https://f.example/", "name": "F"}]}
    )


async def test_a_second_writer_is_refused_while_one_holds_the_folder(tmp_path: Path) -> None:
    document = json.dumps(
        {"format": "digestbot-export", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}
    ).encode()
    with run_lock.exclusive(tmp_path, "run"):  # a running bot
        with pytest.raises(DigestbotError, match=r"another digestbot .* stop it before 'import'"):
            await import_data(settings(tmp_path), "file.json", document)
        with pytest.raises(DigestbotError, match="stop it before 'once'"):
            await once(settings(tmp_path), io.StringIO())
        with pytest.raises(DigestbotError, match="stop it before 'run'"):
            await run_forever(settings(tmp_path))
        assert not (tmp_path / STATE_FILE).exists()  # refused before touching anything
    # released with its holder: the import goes ahead
    assert "imported" in await import_data(settings(tmp_path), "file.json", document)


def test_the_lock_is_released_when_its_holder_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), run_lock.exclusive(tmp_path, "once"):
        raise RuntimeError("the cycle failed")
    with run_lock.exclusive(tmp_path, "once"):
        pass
