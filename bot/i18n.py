"""The message catalog: every user-visible string, in Arabic and English (``data/messages``)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

LANGS = ("ar", "en")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@dataclass(frozen=True)
class Catalog:
    """Messages by language and dotted key (``bot.help``)."""

    messages: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls) -> Catalog:
        folder = resources.files("bot") / "data" / "messages"
        messages = {
            lang: _flatten(tomllib.loads((folder / f"{lang}.toml").read_text(encoding="utf-8")))
            for lang in LANGS
        }
        return cls(messages)

    def t(self, lang: str, key: str, **values: object) -> str:
        """The message ``key`` in ``lang`` (English for an unknown language), filled in."""
        table = self.messages.get(lang) or self.messages["en"]
        return table[key].format(**values) if values else table[key]

    def keys(self, lang: str) -> set[str]:
        return set(self.messages[lang])
