"""What `/latest`, `/sources` and the `/start` language keyboard show: pure formatting."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.digest.labels import Labels, builtin_labels
from bot.digest.render import HEADLINE_CAP, SOURCE_NAME_CAP
from bot.i18n import Catalog, localize_digits
from bot.models import Digits, FeedSource, Story, Summary
from bot.platforms.sources import sources_lines
from bot.text.display import for_chat, link_url

LATEST_DEFAULT = 5
LATEST_MAX = 10
LATEST_DAYS = 7


def latest_count(args: list[str]) -> int:
    """`/latest [n]`: n capped to 1…LATEST_MAX; anything else is the default."""
    if args and args[0].isdigit():
        return max(1, min(LATEST_MAX, int(args[0])))
    return LATEST_DEFAULT


def format_latest(
    stories: list[tuple[Story, Summary | None]],
    lang: str,
    catalog: Catalog,
    digits: Digits = "latn",
) -> str:
    """The newest stories as Telegram HTML: headline in bold, the first source as a link; the
    count and dates in the chat's ``digits``."""
    header = catalog.t(lang, "bot.latest_header", count=len(stories), digits=digits)
    lines = [html.escape(header, quote=False)]
    for number, (story, summary) in enumerate(stories, start=1):
        # the first article with a link of its own (an older archive may hold one without)
        first = next((a for a in story.articles if a.url), story.articles[0])
        headline = (summary.headline(lang) if summary else None) or first.title
        # capped, no hidden characters, nothing clickable but the article's own link: ten
        # stories always fit in one message (see bot.text.display)
        title = for_chat(headline, HEADLINE_CAP) or "…"
        name = html.escape(for_chat(first.source, SOURCE_NAME_CAP) or "…", quote=False)
        url = link_url(first.url)
        link = f'<a href="{html.escape(url, quote=True)}">{name}</a>' if url else name
        lines.append(
            f"\n{number}. <b>{html.escape(title, quote=False)}</b>\n"
            f"{link} · {localize_digits(f'{story.updated_at:%Y-%m-%d}', digits)}"
        )
    return "\n".join(lines)


def format_sources(
    sources: list[FeedSource], lang: str, catalog: Catalog, labels: Labels | None = None
) -> str:
    """The configured feeds, each with its outlet's label (plain text)."""
    return "\n".join(sources_lines(sources, labels or builtin_labels(), lang, catalog))


def language_keyboard(catalog: Catalog, lang: str) -> InlineKeyboardMarkup:
    """Buttons to pick the digest language; the reply language follows (Arabic for both)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    catalog.t(lang, f"bot.lang_{choice}"), callback_data=f"lang:{choice}"
                )
                for choice in ("ar", "en", "both")
            ]
        ]
    )


TIME_PRESETS = ("08:00,20:00", "07:00,19:00", "09:00")


def settings_keyboard(catalog: Catalog, lang: str, alerts: bool) -> InlineKeyboardMarkup:
    """/settings buttons: `set:KEY:VALUE`, the same changes as `/settings KEY VALUE`."""
    languages = [
        InlineKeyboardButton(catalog.t(lang, f"bot.lang_{c}"), callback_data=f"set:lang:{c}")
        for c in ("ar", "en", "both")
    ]
    times = [InlineKeyboardButton(f"🕗 {p}", callback_data=f"set:times:{p}") for p in TIME_PRESETS]
    switch = "off" if alerts else "on"
    toggle = InlineKeyboardButton(
        catalog.t(lang, f"bot.alerts_turn_{switch}"), callback_data=f"set:alerts:{switch}"
    )
    return InlineKeyboardMarkup([languages, times, [toggle]])
