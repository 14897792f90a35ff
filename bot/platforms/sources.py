"""What ``/sources`` lists, on every platform: the configured feeds, each with its outlet's
label (a feed's own ``label`` from the config, else the built-in one of the feed's host). Pure;
each platform writes the lines in its own markup."""

from __future__ import annotations

from collections.abc import Sequence

from bot.digest.labels import Labels
from bot.i18n import Catalog
from bot.models import FeedSource


def source_line(source: FeedSource, labels: Labels, lang: str, catalog: Catalog) -> str:
    """``• TASS (en) (state media)``: the feed's name, its language, its outlet's label."""
    line = f"• {source.name or source.url}"  # the operator's own names, as before
    if source.lang:
        line += f" ({source.lang})"
    kind = labels.kind(source.url, source.label)
    if kind is not None:
        line += " " + catalog.t(lang, "label.shown", label=catalog.t(lang, f"label.{kind}"))
    return line


def sources_lines(
    sources: Sequence[FeedSource], labels: Labels, lang: str, catalog: Catalog
) -> list[str]:
    """The header ("The bot reads 4 feeds:") and one line per feed."""
    header = catalog.t(lang, "bot.sources_header", count=len(sources))
    return [header, *(source_line(source, labels, lang, catalog) for source in sources)]
