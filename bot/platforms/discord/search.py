"""Search results in Discord: one ephemeral embed per page of hits, turned with buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.digest.render import HEADLINE_CAP, SOURCE_NAME_CAP
from bot.i18n import Catalog
from bot.models import SearchHit
from bot.platforms.discord.render import MAX_DESCRIPTION, MAX_TITLE, clip, escape_markdown
from bot.text.display import for_chat, link_url

SEARCH_PAGE = 5
SEARCH_TIMEOUT_S = 600.0
MAX_QUERY = 200
# Each field of a hit is capped (issue 13) so that a page of 5 hits fits in one description of
# 4,096 characters with its markdown intact; a longer URL is not linked (a cut one is broken).
SEARCH_SNIPPET_CAP = 300
SEARCH_URL_CAP = 400


def search_embed(
    hits: Sequence[SearchHit], query: str, page: int, lang: str, catalog: Catalog
) -> discord.Embed:
    """One page of search results: each hit's title linked to the article, outlet, date and a
    snippet. Pure apart from building the embed."""
    lines = []
    for number, hit in enumerate(hits, start=page * SEARCH_PAGE + 1):
        article = hit.article
        title = escape_markdown(for_chat(article.title, HEADLINE_CAP) or "…")
        url = link_url(article.url)
        if url is not None:
            url = url.replace("(", "%28").replace(")", "%29")
        linked = f"[{title}]({url})" if url and len(url) <= SEARCH_URL_CAP else title
        lines.append(
            f"**{number}. {linked}**\n"
            f"{escape_markdown(for_chat(article.source, SOURCE_NAME_CAP))} · "
            f"{article.published:%Y-%m-%d}\n"
            f"{escape_markdown(for_chat(hit.snippet, SEARCH_SNIPPET_CAP))}"
        )
    description = clip("\n\n".join(lines), MAX_DESCRIPTION)
    shown_query = for_chat(query, MAX_QUERY)
    title = clip(catalog.t(lang, "bot.search_results", query=shown_query), MAX_TITLE)
    embed = discord.Embed(title=title, description=description)
    embed.set_footer(text=catalog.t(lang, "discord.search_page", page=page + 1))
    return embed


class SearchView(discord.ui.View):
    """Previous/next buttons under an ephemeral page of search results."""

    def __init__(
        self,
        *,
        search: Callable[[str, int, int], Awaitable[list[SearchHit]]],
        query: str,
        lang: str,
        catalog: Catalog,
        page: int = 0,
        has_next: bool = False,
    ) -> None:
        super().__init__(timeout=SEARCH_TIMEOUT_S)
        self._search = search
        self.query = query
        self.lang = lang
        self.catalog = catalog
        self.page = page
        self.previous_page.label = catalog.t(lang, "discord.previous")
        self.next_page.label = catalog.t(lang, "discord.next")
        self.enable(has_next)

    def enable(self, has_next: bool) -> None:
        self.previous_page.disabled = self.page == 0
        self.next_page.disabled = not has_next

    async def fetch(self, page: int) -> tuple[list[SearchHit], bool]:
        """The hits of ``page`` and whether a next page exists (one more hit is asked for)."""
        hits = await self._search(self.query, SEARCH_PAGE + 1, page * SEARCH_PAGE)
        return hits[:SEARCH_PAGE], len(hits) > SEARCH_PAGE

    async def show(self, interaction: discord.Interaction[Any], page: int) -> None:
        hits, has_next = await self.fetch(page)
        if not hits and page > 0:  # the archive changed under us: stay where we are
            page, (hits, has_next) = self.page, await self.fetch(self.page)
        self.page = page
        self.enable(has_next)
        embed = search_embed(hits, self.query, page, self.lang, self.catalog)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchView]
    ) -> None:
        await self.show(interaction, max(0, self.page - 1))

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchView]
    ) -> None:
        await self.show(interaction, self.page + 1)
