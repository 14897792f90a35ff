"""The message catalog: every user-visible string, in Arabic and English (``data/messages``).

A message that counts something is a table of plural forms, one per CLDR plural category of its
language (Arabic has six: zero, one, two, few, many, other; English two: one, other)::

    [digest.header]
    few = "… {count} قصص …"     # 3–10, 103–110, …
    many = "… {count} قصة …"    # 11–99, 111–199, …

The form is chosen by Babel's CLDR rules from the ``count`` value, so "3 قصص", "11 قصة" and
"100 قصة" come from the data, never from hand-written conditions. Numbers can be written in
Western (0–9) or Arabic-Indic (٠–٩) digits, as a chat prefers.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale

from bot.models import Digits

LANGS = ("ar", "en")
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
DIGITS: tuple[Digits, ...] = ("latn", "arab")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

Message = str | Mapping[str, str]
"""A message, or its plural forms by CLDR category."""


def _is_plural(table: Mapping[str, Any]) -> bool:
    return (
        bool(table)
        and set(table) <= PLURAL_CATEGORIES
        and all(isinstance(v, str) for v in table.values())
    )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Message]:
    flat: dict[str, Message] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and _is_plural(value):
            flat[name] = {k: str(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def plural_categories(lang: str) -> frozenset[str]:
    """The CLDR plural categories that ``lang``'s numbers fall into."""
    return frozenset(Locale.parse(lang).plural_form.tags) | {"other"}


@cache
def plural_category(lang: str, count: int) -> str:
    """The CLDR plural category of ``count`` in ``lang`` ("few" for 3 in Arabic)."""
    return str(Locale.parse(lang).plural_form(abs(count)))


def localize_digits(text: str, digits: Digits) -> str:
    """``text`` with its Western digits written as ``digits`` asks (Arabic-Indic for "arab")."""
    return text.translate(_ARABIC_INDIC) if digits == "arab" else text


TopicWords = Mapping[str, Mapping[str, str]]
"""Per language, the topic's ``topic`` (its name) and ``about`` (what it is), as the messages
write them: ``{topic}`` and ``{about}`` are the topic file's words, never the catalog's."""


def builtin_topic_words() -> TopicWords:
    """The built-in topic file's ``[topic]`` words (for a catalog made without a topic)."""
    resource = resources.files("bot").joinpath("data", "topic", "default.toml")
    table = tomllib.loads(resource.read_text(encoding="utf-8")).get("topic", {})
    name = str(table.get("name", ""))
    return {
        "en": {"topic": name, "about": str(table.get("description") or name)},
        "ar": {
            "topic": str(table.get("name_ar") or name),
            "about": str(table.get("description_ar") or table.get("name_ar") or name),
        },
    }


def _with_topic(message: Message, words: Mapping[str, str]) -> Message:
    def fill(text: str) -> str:
        for key, value in words.items():
            # braces in a topic's name must not be read as placeholders later
            text = text.replace("{" + key + "}", value.replace("{", "(").replace("}", ")"))
        return text

    if isinstance(message, str):
        return fill(message)
    return {category: fill(form) for category, form in message.items()}


@dataclass(frozen=True)
class Catalog:
    """Messages by language and dotted key (``bot.help``)."""

    messages: Mapping[str, Mapping[str, Message]]

    @classmethod
    def load(cls, topic: TopicWords | None = None) -> Catalog:
        """The catalogs, with the words of ``topic`` (the built-in topic's when None)."""
        words = topic or builtin_topic_words()
        folder = resources.files("bot") / "data" / "messages"
        messages = {
            lang: {
                key: _with_topic(message, words.get(lang) or words["en"])
                for key, message in _flatten(
                    tomllib.loads((folder / f"{lang}.toml").read_text(encoding="utf-8"))
                ).items()
            }
            for lang in LANGS
        }
        return cls(messages)

    def t(self, lang: str, key: str, *, digits: Digits = "latn", **values: object) -> str:
        """The message ``key`` in ``lang`` (English for an unknown language), filled in.

        A plural message takes the form of ``values["count"]``'s category; whole numbers among
        the values are written in ``digits``."""
        if lang not in self.messages:
            lang = "en"
        message = self.messages[lang][key]
        if not isinstance(message, str):
            count = values.get("count")
            if not isinstance(count, int):
                raise TypeError(f"message {key!r} has plural forms and needs an int count")
            category = plural_category(lang, count)
            message = message.get(category) or message["other"]
        if not values:
            return message
        shown = {
            name: localize_digits(str(value), digits)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
            for name, value in values.items()
        }
        return message.format(**shown)

    def keys(self, lang: str) -> set[str]:
        return set(self.messages[lang])

    def forms(self, lang: str, key: str) -> Mapping[str, str] | None:
        """The plural forms of ``key`` in ``lang``, or None for a message without them."""
        message = self.messages[lang][key]
        return None if isinstance(message, str) else message
