"""The friendly reply to a search whose filters cannot be used, in the chat's language. Pure.

Telegram ``/search`` and inline mode, Discord ``/search`` and ``digestbot search`` all answer
``kursk since:2024-13-45`` or ``source:"Al Jazeera`` with this message, naming what was wrong and
how to write it, rather than searching the filter's text as words and finding nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Catalog
from bot.search.filters import BadFilter, split_filters


def bad_filters(query: str) -> tuple[BadFilter, ...]:
    """The filters of ``query`` that cannot be used (none for a good query)."""
    return split_filters(query)[1].bad


def named_filters(catalog: Catalog, lang: str, bad: Sequence[BadFilter]) -> str:
    """The bad filters as typed, quoted the way the language quotes."""
    return catalog.t(lang, "search.separator").join(
        catalog.t(lang, "search.quoted", text=item.text) for item in bad
    )


def bad_filters_message(catalog: Catalog, lang: str, bad: Sequence[BadFilter]) -> str:
    """What was wrong, the right way to write each kind of filter named, and an example."""
    hints = "\n".join(
        catalog.t(lang, f"search.hint_{key}") for key in dict.fromkeys(item.key for item in bad)
    )
    return catalog.t(
        lang, "search.bad_filter", filters=named_filters(catalog, lang, bad), hints=hints
    )
