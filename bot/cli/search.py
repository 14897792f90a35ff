"""``digestbot search``: the archive, searched from the terminal as ``/search`` does in a chat."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, command, run_async

if TYPE_CHECKING:
    from bot.config import Settings


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to 1000, not {text!r}")
    return value


@command(
    "search",
    en="search the archive in Arabic or English",
    ar="البحث في الأرشيف بالعربية أو الإنجليزية",
    args=(
        arg("query", nargs="+", en="words to look for", ar="الكلمات المطلوب البحث عنها"),
        arg(
            "--limit",
            type=_positive,
            default=10,
            en="how many results (default 10)",
            ar="عدد النتائج (الافتراضي 10)",
        ),
    ),
)
def search_command(call: Call) -> int:
    query = " ".join(call.args.query)
    if _bad_search_filters(query):
        return 2
    found = run_async(search(call.settings, query, call.args.limit, call.out))
    if not found:
        call.out.write("no results / لا نتائج\n")
    return 0


async def search(settings: Settings, query: str, limit: int, out: TextIO) -> int:
    from bot.cli.stores import reading
    from bot.topic.configured import build_matcher

    expand = build_matcher(settings).alias_expander()
    with reading(settings) as (_, archive):
        hits = archive.search(query, limit=limit, expand=expand)
        for number, hit in enumerate(hits, start=1):
            article = hit.article
            out.write(
                f"{number}. {article.title}\n   {article.source} · {article.published:%Y-%m-%d}"
                + (f" · {article.url}" if article.url else "")
                + f"\n   {hit.snippet}\n"
            )
        return len(hits)


def _bad_search_filters(query: str) -> bool:
    """Explain, in both languages like the rest of the command line, filters that cannot be
    used (``since:2024-13-45``); True when there were any."""
    from bot.i18n import LANGS, Catalog
    from bot.search.help import bad_filters, bad_filters_message

    bad = bad_filters(query)
    if bad:
        catalog = Catalog.load()
        # an error: standard error, like every other one; the chat's example command becomes
        # the terminal's
        text = "\n\n".join(bad_filters_message(catalog, lang, bad) for lang in LANGS)
        print(text.replace("/search ", "digestbot search "), file=sys.stderr)
    return bool(bad)
