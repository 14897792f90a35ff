"""Every CLI command and every bot command has help text in both Arabic and English."""

from __future__ import annotations

import argparse
import re

import pytest

from bot.cli import build_parser, main
from bot.i18n import Catalog, plural_categories
from bot.platforms.telegram.commands import COMMANDS

ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"[A-Za-z]")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_cli_command_has_bilingual_help() -> None:
    commands = _subcommands()
    assert set(commands) >= {"demo", "once", "run", "search", "check-config"}
    for name, sub in commands.items():
        text = sub.description or ""
        assert ARABIC.search(text) and LATIN.search(text), name
        for action in sub._actions:
            if action.help and action.help != argparse.SUPPRESS and action.dest != "help":
                assert ARABIC.search(action.help) and LATIN.search(action.help), (name, action.dest)


@pytest.mark.parametrize("name", ["demo", "once", "run", "search", "check-config"])
def test_help_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--config" in out and "--data-dir" in out and ARABIC.search(out)


def test_every_bot_command_is_described_in_both_languages() -> None:
    catalog = Catalog.load()
    assert catalog.keys("ar") == catalog.keys("en")
    for command in COMMANDS:
        ar = catalog.t("ar", f"commands.{command}")
        en = catalog.t("en", f"commands.{command}")
        assert ARABIC.search(ar) and LATIN.search(en), command
        # and the help message lists every user command in both languages
        if command not in ("start",):
            assert f"/{command}" in catalog.t("ar", "bot.help", times="")
            assert f"/{command}" in catalog.t("en", "bot.help", times="")


def _fields(catalog: Catalog, lang: str, key: str) -> set[str]:
    """The placeholders of a message; for plural forms, of all its forms but ``count`` (a form
    such as "قصة واحدة" spells its number out)."""
    fields = re.compile(r"{(\w+)}")
    forms = catalog.forms(lang, key)
    if forms is None:
        return set(fields.findall(catalog.t(lang, key)))
    return {name for text in forms.values() for name in fields.findall(text)} - {"count"}


def test_catalog_placeholders_agree() -> None:
    catalog = Catalog.load()
    for key in catalog.keys("en"):
        assert _fields(catalog, "en", key) == _fields(catalog, "ar", key), key
    assert catalog.keys("en") == catalog.keys("ar")


def test_plural_messages_have_every_form_their_language_uses() -> None:
    catalog = Catalog.load()
    plural = [key for key in catalog.keys("en") if catalog.forms("en", key) is not None]
    assert plural  # digest.header, alert.header, ...
    for lang in ("ar", "en"):
        for key in plural:
            forms = catalog.forms(lang, key)
            assert forms is not None, (lang, key)
            assert set(forms) == plural_categories(lang), (lang, key)


def test_every_feeds_action_has_bilingual_help() -> None:
    feeds = _subcommands()["feeds"]
    action = next(a for a in feeds._actions if isinstance(a, argparse._SubParsersAction))
    assert set(action.choices) == {"list", "status", "add", "remove", "enable", "import", "export"}
    for name, sub in action.choices.items():
        text = sub.description or ""
        assert ARABIC.search(text) and LATIN.search(text), name
        for option in sub._actions:
            if option.help and option.help != argparse.SUPPRESS and option.dest != "help":
                assert ARABIC.search(option.help) and LATIN.search(option.help), (name, option.dest)
