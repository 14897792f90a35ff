"""docs/architecture.md describes the house as it is: every module of bot/ and every command."""

from __future__ import annotations

import re
from pathlib import Path

import bot.cli.parser  # noqa: F401  (declares the commands)
from bot.cli.command import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_module_of_bot_is_described() -> None:
    modules = sorted(p.relative_to(ROOT / "bot").as_posix() for p in (ROOT / "bot").rglob("*.py"))
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", DOC, flags=re.M))
    assert [m for m in modules if m not in listed] == []
    assert [m for m in listed if m not in modules] == []  # nor a module that is gone


def test_every_command_is_described() -> None:
    for name, declared in COMMANDS.items():
        assert f"`digestbot {name}" in DOC, name
        for action in declared.actions:
            assert f"`digestbot {name} {action}" in DOC, (name, action)
