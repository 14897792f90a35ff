"""The ``digestbot`` command line: the parser built from the declared commands, and ``main``.
Every command's help is given in English and Arabic."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot.cli.command import COMMANDS, Call, Command, bilingual
from bot.errors import DigestbotError

GROUPS = (
    "demo",
    "once",
    "search",
    "check_config",
    "classify",
    "status",
    "feeds",
    "chats",
    "transfer",
)
"""The modules of ``bot.cli`` that declare commands, in the order of ``digestbot --help``."""

for _group in GROUPS:
    importlib.import_module(f"bot.cli.{_group}")

COMMON_HELP = {
    "config": bilingual(
        "config file (default ./config.toml)", "ملف الإعدادات (الافتراضي ./config.toml)"
    ),
    "data_dir": bilingual(
        "where the state and archive live (overrides [storage] data_dir)",
        "مكان حفظ الحالة والأرشيف (يتجاوز [storage] data_dir)",
    ),
    "verbose": bilingual("log more (debug)", "سجل أكثر تفصيلًا"),
}

DESCRIPTION = bilingual(
    "News digests of one story in Arabic and English, for Telegram and Discord (the topic"
    " file says which: [topic] file, or the built-in one).",
    "موجزات أخبار قصة واحدة بالعربية والإنجليزية على تيليغرام وديسكورد (يحددها ملف الموضوع:"
    " [topic] file أو الملف المدمج).",
)


def _common(
    parser: argparse.ArgumentParser, *, top: bool = False, own: dict[str, str] | None = None
) -> None:
    """The options every command takes, before or after its name (``digestbot --config c.toml
    once`` and ``digestbot once --config c.toml``). Only the top level has defaults: a command's
    own copies leave an option unset when it is not given after the command's name, so they
    never undo a value given before it."""
    unset: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    helps = {**COMMON_HELP, **(own or {})}
    parser.add_argument("--config", type=Path, help=helps["config"], **unset)
    parser.add_argument("--data-dir", help=helps["data_dir"], **unset)
    parser.add_argument("-v", "--verbose", action="store_true", help=helps["verbose"], **unset)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digestbot", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"digestbot {__version__}")
    _common(parser, top=True)
    _add_commands(parser, COMMANDS, dest="command", metavar="COMMAND")
    return parser


def _add_commands(
    parser: argparse.ArgumentParser, declared: dict[str, Command], *, dest: str, metavar: str
) -> None:
    commands = parser.add_subparsers(dest=dest, required=True, metavar=metavar)
    for name, spec in declared.items():
        sub = commands.add_parser(name, help=spec.help, description=spec.help)
        _common(sub, own=spec.options_help)
        for argument in spec.args:
            sub.add_argument(*argument.flags, help=argument.help, **argument.options)
        if spec.actions:
            _add_commands(sub, spec.actions, dest="action", metavar="ACTION")
        else:
            sub.set_defaults(declared=spec)


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    spec: Command = args.declared
    assert spec.body is not None
    # a damaged store is a StoreError from the store's boundary, never a raw sqlite3.Error
    return spec.body(Call(args, out, spec.default_feeds))


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.ops.logs import Redactor, setup_logging  # once the arguments are good

    setup_logging(args.verbose)
    args.redact = Redactor([])
    out = out or sys.stdout
    try:
        code = _dispatch(args, out)
        out.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        # The reader stopped reading (``digestbot search … | head -1``): it has what it wanted.
        # Nothing more is written to it, not even at exit; 141 is what a shell reports for a
        # program stopped by SIGPIPE.
        _discard_stdout()
        return 141
    except DigestbotError as exc:
        print(f"digestbot: {args.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        # A bug, not a user error: the traceback goes through the redacting log formatter.
        logging.getLogger("digestbot").exception("digestbot stopped on an unexpected error")
        return 1


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # no file descriptor behind sys.stdout (a test's buffer): nothing to flush later
