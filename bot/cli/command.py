"""How a command is declared: its name, its help in English and Arabic, its arguments and its
body, together in the module of its group (``bot/cli/search.py`` holds all of ``search``).

The declarations are read to build the parser, so a command module imports only what the
declaration needs; its body imports the stores, the platforms and the SDKs it uses when it
runs (``digestbot --help`` and ``check-config`` load no chat platform).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeVar

if TYPE_CHECKING:
    from bot.config import Settings

DefaultFeeds = Literal["no", "yes", "announce"]
"""Whether a config that lists no feeds means the built-in ones for this command (those that
poll or report on the feeds), and whether the log says so (those that poll)."""


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, with asyncio loaded only by the commands that run a loop."""
    import asyncio

    return asyncio.run(coroutine)


def bilingual(english: str, arabic: str) -> str:
    return f"{english} / {arabic}"


@dataclass(frozen=True)
class Arg:
    """One argument or option of a command, as ``argparse.add_argument`` takes it."""

    flags: tuple[str, ...]
    help: str
    options: dict[str, Any]


def arg(*flags: str, en: str, ar: str, **options: Any) -> Arg:
    return Arg(flags, bilingual(en, ar), options)


@dataclass
class Call:
    """One run of a command: its parsed arguments, where it prints, and its settings."""

    args: argparse.Namespace
    out: TextIO
    default_feeds: DefaultFeeds = "no"
    defaults: bool = False
    """Whether the built-in feeds stand in for a config that lists none."""
    loaded: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The settings of the config and the environment, loaded at the first use."""
        if self.loaded is None:
            self.loaded = self._load()
        return self.loaded

    def _load(self) -> Settings:
        from bot.config import load_settings
        from bot.ops.logs import redact_secrets

        settings = load_settings(self.args.config, data_dir=self.args.data_dir)
        self.args.redact = redact_secrets(settings, verbose=self.args.verbose)
        if not settings.feeds and self.default_feeds != "no":
            from bot.ops.feeds_admin import with_default_feeds

            self.defaults = True
            settings = with_default_feeds(settings, announce=self.default_feeds == "announce")
        return settings


Body = Callable[[Call], int]


@dataclass
class Command:
    """A command (``search``) or an action of a group (``feeds add``)."""

    name: str
    help: str
    args: tuple[Arg, ...] = ()
    body: Body | None = None
    default_feeds: DefaultFeeds = "no"
    options_help: dict[str, str] = field(default_factory=dict)
    """The command's own help for the common options (``--config``, ``--data-dir``)."""
    actions: dict[str, Command] = field(default_factory=dict)

    def action(
        self, name: str, *, en: str, ar: str, args: tuple[Arg, ...] = ()
    ) -> Callable[[Body], Body]:
        """Declare an action of this group (``feeds list``); it reads the settings as the
        group does."""

        def declare(body: Body) -> Body:
            if name in self.actions:
                raise ValueError(f"{self.name} {name} is declared twice")
            self.actions[name] = Command(name, bilingual(en, ar), args, body, self.default_feeds)
            return body

        return declare


COMMANDS: dict[str, Command] = {}
"""Every command, in the order of ``digestbot --help``."""


def command(
    name: str,
    *,
    en: str,
    ar: str,
    args: tuple[Arg, ...] = (),
    default_feeds: DefaultFeeds = "no",
    options_help: dict[str, str] | None = None,
) -> Callable[[Body], Body]:
    """Declare a command with the function below it as its body."""

    def declare(body: Body) -> Body:
        _add(Command(name, bilingual(en, ar), args, body, default_feeds, options_help or {}))
        return body

    return declare


def group(name: str, *, en: str, ar: str, default_feeds: DefaultFeeds = "no") -> Command:
    """Declare a command made of actions (``digestbot feeds list``), added with ``.action``."""
    return _add(Command(name, bilingual(en, ar), default_feeds=default_feeds))


def _add(declared: Command) -> Command:
    if declared.name in COMMANDS:
        raise ValueError(f"the command {declared.name} is declared twice")
    COMMANDS[declared.name] = declared
    return declared
