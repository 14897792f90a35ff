"""The command line loads what a command uses and nothing more: importing it (and building the
parser for ``--help``) loads no chat platform and no SDK, and ``check-config`` loads neither
Discord nor Telegram. Each is checked in a fresh interpreter, where nothing was imported
before. And each command is declared once, with its help in both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cli.command import COMMANDS, Call, arg, command, group

HEAVY = ("discord", "telegram", "openai", "apscheduler", "aiohttp")

REPORT = (
    "import json, sys\n"
    "{code}\n"
    "loaded = sorted({{name.split('.')[0] for name in sys.modules}} & set({heavy!r}))\n"
    "print(json.dumps({{'loaded': loaded, 'result': result}}))\n"
)


def fresh(code: str, cwd: Path) -> dict[str, object]:
    """Run ``code`` (which sets ``result``) in a new interpreter; what it loaded of HEAVY."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY"))}
    done = subprocess.run(
        [sys.executable, "-c", REPORT.format(code=code, heavy=HEAVY)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(report, dict)
    return report


def test_importing_the_command_line_and_its_parser_loads_no_platform_or_sdk(
    tmp_path: Path,
) -> None:
    report = fresh(
        "import bot.cli\nresult = sorted(bot.cli.build_parser()._actions[-1].choices)", tmp_path
    )
    assert report["loaded"] == []
    assert report["result"] == sorted(COMMANDS)  # every command module was imported


def test_check_config_loads_neither_discord_nor_telegram(tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = fresh(
        f"from bot.cli import main\nresult = main(['check-config', '--data-dir', {str(data)!r}])",
        tmp_path,
    )
    assert report["result"] == 0
    assert report["loaded"] == []


def test_every_command_is_in_the_parser_with_its_declared_help() -> None:
    parser = build_parser()
    [choices] = [a.choices for a in parser._actions if a.dest == "command"]
    assert isinstance(choices, dict)
    assert list(choices) == list(COMMANDS)
    for name, declared in COMMANDS.items():
        assert choices[name].description == declared.help
        assert (declared.body is None) == bool(declared.actions), name


def test_a_command_is_declared_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.cli.command.COMMANDS", dict(COMMANDS))

    def body(call: Call) -> int:
        return 0

    with pytest.raises(ValueError, match="declared twice"):
        command("search", en="again", ar="مرة أخرى")(body)
    feeds = group("feeds-again", en="a group", ar="مجموعة")
    feeds.action("list", en="list", ar="عرض")(body)
    with pytest.raises(ValueError, match="declared twice"):
        feeds.action("list", en="list", ar="عرض")(body)


def test_help_is_always_given_in_both_languages() -> None:
    """The declaration takes the English and the Arabic text, and shows both."""
    option = arg("--x", en="in English", ar="بالعربية")
    assert option.help == "in English / بالعربية"
    with pytest.raises(TypeError):
        arg("--x", en="in English")  # type: ignore[call-arg]
