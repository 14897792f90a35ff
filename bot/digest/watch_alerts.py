"""Watch alerts: a new article matching a term a chat watches (``/watch``) is sent to that
chat as one short message, once per story and term. Pure: who gets which alert, and what it
says (its layout; each chat's platform writes it in its own markup).

The terms are run against the archive once per distinct term (``bot.store.watch``); here the
matches are shared out to the chats that watch each term. A story matching several of a
chat's terms in one poll is one alert naming them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from bot.digest.render import HEADLINE_CAP, Block, Line, Span, langs
from bot.i18n import Catalog
from bot.models import Chat, ChatLang
from bot.search.watch import MAX_TERM_CHARS
from bot.text.display import for_chat, link_url
from bot.text.normalize import normalize

TERMS_CAP = 300
"""The terms an alert names are cut at this many characters (a short message)."""
_SEPARATOR = {"ar": "، ", "en": ", "}


@dataclass(frozen=True, slots=True)
class WatchAlert:
    """What one alert shows: the chat's terms that matched, the story's headline in each
    language (the matching article's title where the story has no summary yet) and the link
    of the article that matched."""

    story_id: int
    terms: tuple[str, ...]
    headlines: Mapping[str, str]
    title: str
    url: str

    def headline(self, lang: str) -> str:
        return self.headlines.get(lang) or self.title


@dataclass(frozen=True, slots=True)
class Match:
    """The first new article of a story that a term matched."""

    story_id: int
    title: str
    url: str


class WatchWriter(Protocol):
    """Writes a watch alert for the chats of one platform (``bot.platforms.base.Platforms``)."""

    def render_watch(
        self, platform: str, alert: WatchAlert, *, lang: ChatLang, catalog: Catalog
    ) -> str: ...


@lru_cache(maxsize=8192)
def term_key(term: str) -> str:
    """What a term is remembered and compared by: its words as the search engine reads them."""
    return normalize(" ".join(term.split()))


def distinct_terms(chats: Iterable[Chat]) -> dict[str, str]:
    """Each distinct watched term (by ``term_key``), with one of the ways it was typed."""
    terms: dict[str, str] = {}
    for chat in chats:
        for term in chat.watch:
            terms.setdefault(term_key(term), term)
    return terms


def share_out(
    chats: Sequence[Chat],
    matches: Mapping[str, Sequence[Match]],
    alerted: set[tuple[str, int, int, str]],
) -> list[tuple[Chat, Match, tuple[str, ...]]]:
    """(chat, story, the chat's terms it matched) for each story that matched a term of the
    chat that was not alerted there before; in chat order, then the story's first match."""
    found: list[tuple[Chat, Match, tuple[str, ...]]] = []
    for chat in chats:
        by_story: dict[int, tuple[Match, list[str]]] = {}
        for term in chat.watch:
            key = term_key(term)
            for match in matches.get(key, ()):
                if (chat.platform, chat.chat_id, match.story_id, key) in alerted:
                    continue
                entry = by_story.setdefault(match.story_id, (match, []))
                if term not in entry[1]:
                    entry[1].append(term)
        found.extend((chat, match, tuple(terms)) for match, terms in by_story.values())
    return found


@lru_cache(maxsize=8192)
def _display(text: str, limit: int) -> str:
    # a poll renders the same terms and headlines for many chats: each is made safe once
    return for_chat(text, limit)


def _shown(terms: Sequence[str], lang: str) -> str:
    # ten terms of 100 characters would crowd out the headline: the line is cut instead
    return _display(_SEPARATOR[lang].join(terms), TERMS_CAP)


def watch_layout(alert: WatchAlert, lang: ChatLang, catalog: Catalog) -> Block:
    """The alert line (the terms) in each of the chat's languages, then the story's headline
    in each, the first linked to the article."""
    terms = [_display(term, MAX_TERM_CHARS) for term in alert.terms]
    lines: list[Line] = [
        (Span(catalog.t(code, "watch.alert", terms=_shown(terms, code)), "bold"),)
        for code in langs(lang)
    ]
    url = link_url(alert.url)
    headlines = dict.fromkeys(_display(alert.headline(code), HEADLINE_CAP) for code in langs(lang))
    for index, headline in enumerate(h for h in headlines if h):
        if index == 0 and url is not None:
            lines.append((Span(headline, "link", href=url),))
        else:
            lines.append((Span(headline),))
    if url is not None and not any(span.style == "link" for line in lines for span in line):
        lines.append((Span(url, "link", href=url),))
    return tuple(lines)
