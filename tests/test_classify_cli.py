"""`digestbot classify`: one verdict line per input line, in order, bad lines reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main


def test_classify_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text(
        "\n".join(
            [
                json.dumps({"id": "1", "title": "بوتين يستقبل كيم جونغ أون في موسكو"}),
                "{not json",
                json.dumps({"id": "3", "title": "Seoul and Moscow discuss consular matters"}),
                json.dumps({"title": "no id"}),
            ]
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    assert main(["classify", str(items), "--data-dir", str(tmp_path)], out=out) == 1
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("id") for line in lines] == ["1", None, "3", None]
    assert lines[0]["relevant"] is True and lines[0]["matched"]
    assert "error" in lines[1] and lines[1]["line"] == 2
    assert lines[2]["relevant"] is False and lines[2]["reason"]
    assert "error" in lines[3]
    assert "2 lines could not be classified" in capsys.readouterr().err


def test_classify_text(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["classify", "--text", "Pyongyang, Moscow sign pact"], out=out) == 0
    record = json.loads(out.getvalue())
    assert record["relevant"] is True


def test_classify_needs_a_file_or_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify"], out=io.StringIO()) == 2
    assert "file or --text" in capsys.readouterr().err
    assert main(["classify", str(tmp_path / "missing.jsonl")], out=io.StringIO()) == 2
    assert "cannot be read" in capsys.readouterr().err
