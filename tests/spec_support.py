"""The shared spec checker (``../shared/tools/spec_check``) on the requests a fake received: would
the real Telegram or Discord accept them? One way to run it for every test that records them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SPEC_CHECK = (
    Path(__file__).resolve().parents[2] / "shared" / "tools" / "spec_check" / "spec_check.py"
)


def spec_problems(
    records: list[dict[str, Any]], tmp_path: Path, levels: tuple[str, ...] = ("error",)
) -> list[str]:
    """The problems of ``levels`` the checker finds (``error``: the platform refuses the
    request; ``ignored``: it drops a parameter), as lines naming the rule; [] when none.
    Skips when the checker is absent (the shared folder is not beside the project). It runs as
    a process, as a developer runs it by hand on the same file."""
    if not SPEC_CHECK.is_file():
        pytest.skip("../shared/tools/spec_check is not here")
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    found = tmp_path / "problems.json"
    done = subprocess.run(
        [sys.executable, str(SPEC_CHECK), str(path), "--json", str(found)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert not re.search(r"\b0 requests", done.stdout), done.stdout  # it read them
    assert found.is_file(), done.stdout + done.stderr
    rows = json.loads(found.read_text("utf-8"))["problems"]
    return [
        f"{r['level']} {r['platform']} {r['where']}: {r['rule']}"
        for r in rows
        if r["level"] in levels
    ]
