"""`digestbot feeds …`: operator commands, and what they change in polling."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

CONFIG = """
[[feeds]]
url = "https://configured.example/rss"
name = "Configured"
lang = "en"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def run(config: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        ["feeds", *args, "--config", str(config), "--data-dir", str(config.parent)], out=out
    )
    return code, out.getvalue()


def test_add_list_remove(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(config, "add", "https://new.example/feed.xml", "--name", "New", "--lang", "ar")[0] == 0
    )
    code, listing = run(config, "list")
    assert code == 0
    assert "https://configured.example/rss\tConfigured\ten\tconfig" in listing
    assert "https://new.example/feed.xml\tNew\tar\toperator" in listing

    assert run(config, "add", "https://new.example/feed.xml")[0] == 2
    assert "already a feed" in capsys.readouterr().err
    assert run(config, "add", "file:///etc/passwd")[0] == 2
    assert "cannot add file:///etc/passwd" in capsys.readouterr().err
    assert run(config, "remove", "https://configured.example/rss")[0] == 2
    assert "remove it there" in capsys.readouterr().err

    assert run(config, "remove", "https://new.example/feed.xml")[0] == 0
    assert "new.example" not in run(config, "list")[1]
    assert run(config, "remove", "https://new.example/feed.xml")[0] == 2


def test_opml_round_trip(config: Path, tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="News">
    <outline type="rss" text="الجزيرة" xmlUrl="https://ar.example/rss"/>
    <outline type="rss" title="Wire" xmlUrl="https://wire.example/rss"/>
    <outline type="rss" title="Bad" xmlUrl="javascript:alert(1)"/>
  </outline>
</body></opml>""",
        encoding="utf-8",
    )
    code, text = run(config, "import", str(opml))
    assert code == 0 and "2 feeds added" in text and "skipped" in text
    code, exported = run(config, "export")
    assert code == 0
    for url in (
        "https://configured.example/rss",
        "https://ar.example/rss",
        "https://wire.example/rss",
    ):
        assert f'xmlUrl="{url}"' in exported
    assert "الجزيرة" in exported


def test_import_of_a_broken_file_is_a_clear_error(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline", encoding="utf-8")
    assert run(config, "import", str(broken))[0] == 2
    assert capsys.readouterr().err.startswith("digestbot: ")
    assert run(config, "import", str(tmp_path / "missing.opml"))[0] == 2
    assert "cannot be read" in capsys.readouterr().err


def test_status_and_enable(config: Path) -> None:
    code, text = run(config, "status")
    assert code == 0 and "Configured <https://configured.example/rss>" in text
    assert "state: ok" in text and "next poll: —" in text
    assert run(config, "enable", "https://configured.example/rss")[0] == 0


def test_add_refuses_spaces_and_twins(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "add", "http://exa mple.com/")[0] == 2
    assert "no spaces" in capsys.readouterr().err
    assert run(config, "add", "HTTPS://Configured.example/rss#top")[0] == 2
    assert "already a feed" in capsys.readouterr().err


def _opml(urls: list[str]) -> bytes:
    outlines = "".join(f'<outline type="rss" text="F" xmlUrl="{url}"/>' for url in urls)
    return f'<opml version="2.0"><body>{outlines}</body></opml>'.encode()


def _import_counting(folder: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Import an OPML file of ``size`` new feeds (and three to skip) into a state holding three
    feeds; how many times the state file was read and written."""
    from datetime import UTC, datetime

    from bot.config import Settings
    from bot.models import FeedState
    from bot.ops.feeds_admin import import_opml
    from bot.store.atomic import AtomicJSONStorage
    from bot.store.feed_table import FeedTable
    from bot.store.state import StateStore

    state = StateStore(folder)
    state.save_feeds([FeedState(url=f"https://old{i}.example/rss", name="Old") for i in range(3)])
    calls = {"read": 0, "write": 0, "transactions": 0}
    with monkeypatch.context() as patched:
        for name in ("read", "write"):
            real = getattr(AtomicJSONStorage, name)

            def counted(self: AtomicJSONStorage, *args: object, _real=real, _name=name) -> object:
                calls[_name] += 1
                return _real(self, *args)

            patched.setattr(AtomicJSONStorage, name, counted)
        real_write = FeedTable._write

        def transaction(self: FeedTable, *args: Any) -> None:
            calls["transactions"] += 1
            real_write(self, *args)

        patched.setattr(FeedTable, "_write", transaction)
        urls = [f"https://n{i}.example/rss" for i in range(size)]
        urls += ["https://old1.example/rss", "HTTPS://N0.example/rss#twin", "ftp://x.example/"]
        out = io.StringIO()
        added = import_opml(Settings(), state, datetime.now(UTC), _opml(urls), out)
    assert added == size
    assert out.getvalue().count("skipped: ") == 3
    assert len(state.feeds()) == size + 3
    state.close()
    return calls


def test_an_import_reads_and_writes_the_state_file_a_fixed_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost of an import is linear in the feeds: the state file is read and written a
    number of times that does not grow with the feeds the file lists (it was once one read of
    every feed and one rewrite of the whole file per feed: quadratic)."""
    small = _import_counting(tmp_path / "small", 5, monkeypatch)
    large = _import_counting(tmp_path / "large", 300, monkeypatch)
    assert small == large, (small, large)
    assert large["transactions"] == 1  # the feeds live in feeds.sqlite: one transaction
