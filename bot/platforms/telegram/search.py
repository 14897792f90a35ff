"""Search in Telegram: `/search` results paged with ◀ ▶ buttons that edit the message, inline
mode (`@bot query`), and a per-user rate limit on both.

    /search q      → rate check → bad filters? friendly reply
                   → archive.search(limit + 1) → reply with page 1 and buttons
    button press   → look up the query by its short id → archive.search(offset) → edit message
    @bot q         → rate check → bad filters? one result explaining them
                   → archive.search(offset from Telegram) → answerInlineQuery

Callback data stays far below Telegram's 64 bytes: the query is kept here, in a small LRU keyed by
a short id, and only `s:<id>:<page>` travels. A page whose query has left the LRU gets a friendly
answer instead of results.
"""

from __future__ import annotations

import html
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, InlineQueryHandler

from bot.digest.render import HEADLINE_CAP, SOURCE_NAME_CAP
from bot.i18n import Catalog
from bot.models import Article, SearchHit
from bot.search.filters import BadFilter
from bot.search.help import bad_filters, bad_filters_message, named_filters
from bot.search.query import AliasExpander
from bot.store.archive import Archive
from bot.text.display import for_chat, link_url

PAGE_SIZE = 5
INLINE_PAGE_SIZE = 10
INLINE_CACHE_SECONDS = 60
MAX_QUERY = 200
KEPT_QUERIES = 512
# Each field of a hit is capped (issue 13): 5 hits at these caps, with the header, stay far below
# Telegram's 4,096 characters, whatever the archive holds.
SNIPPET_CAP = 300
INLINE_TITLE_CAP = 256
INLINE_DESCRIPTION_CAP = 512
# Each user may run a burst of 5 searches, then one every 3 seconds (commands and inline alike).
RATE_BURST = 5.0
RATE_PER_SECOND = 1 / 3


@dataclass
class RateLimiter:
    """A token bucket per user; ``clock`` returns seconds (monotonic)."""

    burst: float = RATE_BURST
    per_second: float = RATE_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(user_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > 10_000:  # forget the oldest users rather than grow forever
            self._buckets.pop(next(iter(self._buckets)))
        return True


class QueryStore:
    """Recent search queries by short id (an LRU), so callback data carries only the id."""

    def __init__(self, size: int = KEPT_QUERIES) -> None:
        self._size = size
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._ids = itertools.count(1)

    def keep(self, query: str) -> str:
        key = format(next(self._ids), "x")
        self._queries[key] = query
        while len(self._queries) > self._size:
            self._queries.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        query = self._queries.get(key)
        if query is not None:
            self._queries.move_to_end(key)
        return query


def page_buttons(key: str, page: int, has_next: bool) -> InlineKeyboardMarkup | None:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"s:{key}:{page - 1}"))
    if has_next:
        row.append(InlineKeyboardButton("▶", callback_data=f"s:{key}:{page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


def _source_link(article: Article) -> str:
    """The outlet's name as Telegram HTML, linked to the article when its URL may be linked."""
    name = html.escape(for_chat(article.source, SOURCE_NAME_CAP) or "…", quote=False)
    url = link_url(article.url)
    return f'<a href="{html.escape(url, quote=True)}">{name}</a>' if url else name


def _title(article: Article, cap: int = HEADLINE_CAP) -> str:
    """The title as shown: capped, no hidden characters, nothing clickable; never empty."""
    return for_chat(article.title, cap) or for_chat(article.source, cap) or "…"


def format_page(hits: list[SearchHit], query: str, page: int, lang: str, catalog: Catalog) -> str:
    """One page of results as Telegram HTML: title in bold, outlet as a link, date, snippet."""
    header = catalog.t(lang, "bot.search_results", query=for_chat(query, MAX_QUERY))
    if page > 0:
        header += " " + catalog.t(lang, "bot.search_page", page=page + 1)
    lines = [html.escape(header, quote=False)]
    for number, hit in enumerate(hits, start=page * PAGE_SIZE + 1):
        article = hit.article
        snippet = for_chat(hit.snippet, SNIPPET_CAP)
        lines.append(
            f"\n{number}. <b>{html.escape(_title(article), quote=False)}</b>\n"
            f"{_source_link(article)} · {article.published:%Y-%m-%d}\n"
            f"{html.escape(snippet, quote=False)}"
        )
    return "\n".join(lines)


def inline_result(hit: SearchHit, result_id: str) -> InlineQueryResultArticle:
    """One hit as an inline result, every field within Telegram's limits."""
    article = hit.article
    source = for_chat(article.source, SOURCE_NAME_CAP)
    url = link_url(article.url)
    return InlineQueryResultArticle(
        id=result_id,
        title=_title(article, INLINE_TITLE_CAP),
        description=for_chat(f"{source} · {article.published:%Y-%m-%d}", INLINE_DESCRIPTION_CAP),
        input_message_content=InputTextMessageContent(
            f"<b>{html.escape(_title(article), quote=False)}</b>\n{_source_link(article)}",
            parse_mode=ParseMode.HTML,
        ),
        url=url,
    )


class TelegramSearch:
    """The /search command, its paging buttons and inline mode."""

    def __init__(
        self,
        *,
        archive: Archive,
        catalog: Catalog,
        expand: AliasExpander,
        ui_lang: Callable[[Update], str],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.archive = archive
        self.catalog = catalog
        self.expand = expand
        self.ui_lang = ui_lang
        self.limiter = limiter or RateLimiter()
        self.queries = QueryStore()

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CallbackQueryHandler(self.on_page, pattern=r"^s:"))
        application.add_handler(InlineQueryHandler(self.on_inline))

    async def _search(self, query: str, page: int, size: int) -> tuple[list[SearchHit], bool]:
        # off the event loop, so that a slow query never holds the other chats' updates
        hits = await self.archive.search_off_loop(
            query, limit=size + 1, offset=page * size, expand=self.expand
        )
        return hits[:size], len(hits) > size

    def _allowed(self, update: Update) -> bool:
        user = update.effective_user
        return user is None or self.limiter.allow(user.id)

    async def cmd_search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        lang = self.ui_lang(update)
        query = " ".join(context.args or []).strip()[:MAX_QUERY]
        if not query:
            await message.reply_text(self.catalog.t(lang, "bot.search_usage"), do_quote=False)
            return
        if not self._allowed(update):
            await message.reply_text(self.catalog.t(lang, "bot.search_slow_down"), do_quote=False)
            return
        bad = bad_filters(query)
        if bad:
            text = bad_filters_message(self.catalog, lang, bad)
            await message.reply_text(text, do_quote=False)
            return
        hits, has_next = await self._search(query, 0, PAGE_SIZE)
        if not hits:
            text = self.catalog.t(lang, "bot.search_none", query=for_chat(query, MAX_QUERY))
            await message.reply_text(text, do_quote=False)
            return
        await message.reply_text(
            format_page(hits, query, 0, lang, self.catalog),
            parse_mode=ParseMode.HTML,
            do_quote=False,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=page_buttons(self.queries.keep(query), 0, has_next),
        )

    async def on_page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        press = update.callback_query
        if press is None or press.data is None:
            return
        lang = self.ui_lang(update)
        _, key, page_text = [*press.data.split(":"), "", ""][:3]
        query = self.queries.get(key)
        if query is None or not page_text.isdigit():
            await press.answer(self.catalog.t(lang, "bot.search_expired"), show_alert=True)
            return
        page = int(page_text)
        hits, has_next = await self._search(query, page, PAGE_SIZE)
        if not hits:
            await press.answer(self.catalog.t(lang, "bot.search_no_more"))
            return
        await press.answer()
        try:
            await press.edit_message_text(
                format_page(hits, query, page, lang, self.catalog),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=page_buttons(key, page, has_next),
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():  # a double press changes nothing
                raise

    def _bad_filter_result(self, bad: tuple[BadFilter, ...], lang: str) -> InlineQueryResultArticle:
        message = bad_filters_message(self.catalog, lang, bad)
        return InlineQueryResultArticle(
            id="bad-filter",
            title=self.catalog.t(
                lang, "search.inline_bad_filter", filters=named_filters(self.catalog, lang, bad)
            )[:256],
            description=message.split("\n", 1)[1][:512],
            input_message_content=InputTextMessageContent(message),
        )

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inline = update.inline_query
        if inline is None:
            return
        query = inline.query.strip()[:MAX_QUERY]
        offset = int(inline.offset) if inline.offset.isdigit() else 0
        if not query or not self._allowed(update):
            await inline.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True)
            return
        bad = bad_filters(query)
        if bad:
            # No message to reply to: the explanation is the one result, shown as it is typed.
            await inline.answer(
                [self._bad_filter_result(bad, self.ui_lang(update))],
                cache_time=INLINE_CACHE_SECONDS,
                is_personal=True,
            )
            return
        hits = await self.archive.search_off_loop(
            query, limit=INLINE_PAGE_SIZE + 1, offset=offset, expand=self.expand
        )
        more = len(hits) > INLINE_PAGE_SIZE
        results = [
            inline_result(hit, f"{offset + n}") for n, hit in enumerate(hits[:INLINE_PAGE_SIZE])
        ]
        await inline.answer(
            results,
            cache_time=INLINE_CACHE_SECONDS,
            next_offset=str(offset + INLINE_PAGE_SIZE) if more else "",
        )
