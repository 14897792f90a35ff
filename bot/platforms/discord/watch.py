"""Watch lists in Discord: ``/watch term:`` adds a term to the channel's list, ``/watch`` alone
shows the list (only to the member who asked) with a button per term to remove it, and
``/unwatch term:`` removes one. Changing the list takes the Manage Channel permission, like
the channel's other settings; reading it does not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.digest.watch_alerts import term_key
from bot.platforms.discord.render import MAX_CONTENT, clip, escape_markdown
from bot.search.watch import MAX_TERMS, BadWatchTerm, add_term, remove_term
from bot.text.display import for_chat

if TYPE_CHECKING:
    from bot.models import Chat
    from bot.platforms.discord.commands import DiscordCommands

WATCH_TIMEOUT_S = 600.0
BUTTON_TERM_CAP = 40
"""A term longer than this is cut on its button (Discord allows 80 characters)."""


def watch_text(handlers: DiscordCommands, chat: Chat) -> str:
    """The channel's terms, one a line, or how to add one."""
    catalog, lang = handlers.catalog, chat.ui_lang
    if not chat.watch:
        return catalog.t(lang, "watch.none")
    shown = "\n".join(f"• {escape_markdown(for_chat(term, 100))}" for term in chat.watch)
    text = catalog.t(lang, "watch.list", count=len(chat.watch), limit=MAX_TERMS, terms=shown)
    return clip(text, MAX_CONTENT)


class WatchView(discord.ui.View):
    """A remove button under each term of the list; a press redraws the list."""

    def __init__(
        self,
        handlers: DiscordCommands,
        chat: Chat,
        remove: Callable[[discord.Interaction[Any], str], Awaitable[None]],
    ) -> None:
        super().__init__(timeout=WATCH_TIMEOUT_S)
        for term in chat.watch:
            label = handlers.catalog.t(
                chat.ui_lang, "watch.remove_button", term=for_chat(term, BUTTON_TERM_CAP)
            )
            self.add_item(_RemoveButton(label, term, remove))


class _RemoveButton(discord.ui.Button[WatchView]):
    def __init__(
        self,
        label: str,
        term: str,
        remove: Callable[[discord.Interaction[Any], str], Awaitable[None]],
    ) -> None:
        super().__init__(label=label, style=discord.ButtonStyle.secondary)
        self.term = term
        self._remove = remove

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await self._remove(interaction, self.term)


class DiscordWatch:
    """The handlers of /watch, /unwatch and the remove buttons, over ``DiscordCommands``'
    stores and helpers."""

    def __init__(self, handlers: DiscordCommands) -> None:
        self.handlers = handlers

    def _t(self, chat: Chat, key: str, *, term: str = "", value: str = "") -> str:
        return self.handlers.catalog.t(chat.ui_lang, key, term=term, value=value)

    async def watch(self, interaction: discord.Interaction[Any], term: str | None) -> None:
        handlers = self.handlers
        chat = handlers.chat(interaction)
        if term is None or not term.strip():
            view = WatchView(handlers, chat, self.pressed) if chat.watch else discord.utils.MISSING
            await interaction.response.send_message(
                watch_text(handlers, chat),
                view=view,
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        if not await handlers._may_manage(interaction, chat):
            return
        try:
            terms = add_term(chat.watch, term, handlers.expand)
        except BadWatchTerm as bad:
            text = self._t(chat, bad.key, value=escape_markdown(for_chat(bad.value, 100)))
            await handlers._reply(interaction, text, ephemeral=True)
            return
        if terms == chat.watch:
            kept = next(t for t in chat.watch if term_key(t) == term_key(term))
            text = self._t(chat, "watch.already", term=escape_markdown(for_chat(kept, 100)))
            await handlers._reply(interaction, text, ephemeral=True)
            return
        handlers.state.save_chat(replace(chat, watch=terms))
        text = self._t(chat, "watch.added", term=escape_markdown(for_chat(terms[-1], 100)))
        if not chat.subscribed:
            text = f"{text}\n{self._t(chat, 'watch.not_subscribed')}"
        await handlers._reply(interaction, text)

    async def unwatch(self, interaction: discord.Interaction[Any], term: str) -> None:
        handlers = self.handlers
        chat = handlers.chat(interaction)
        if not await handlers._may_manage(interaction, chat):
            return
        try:
            terms = remove_term(chat.watch, term)
        except BadWatchTerm as bad:
            key = "watch.unwatch_usage" if not term.strip() else bad.key
            text = self._t(chat, key, value=escape_markdown(for_chat(bad.value, 100)))
            await handlers._reply(interaction, text, ephemeral=True)
            return
        removed = next(t for t in chat.watch if t not in terms)
        handlers.state.save_chat(replace(chat, watch=terms))
        await handlers._reply(
            interaction,
            self._t(chat, "watch.removed", term=escape_markdown(for_chat(removed, 100))),
        )

    async def pressed(self, interaction: discord.Interaction[Any], term: str) -> None:
        """A remove button: the term goes and the list is redrawn, or the member is told why
        not."""
        handlers = self.handlers
        chat = handlers.chat(interaction)
        if not await handlers._may_manage(interaction, chat):
            return
        if term not in chat.watch:
            await handlers._reply(interaction, self._t(chat, "watch.gone"), ephemeral=True)
            return
        chat = replace(chat, watch=tuple(t for t in chat.watch if t != term))
        handlers.state.save_chat(chat)
        view = WatchView(handlers, chat, self.pressed) if chat.watch else None
        await interaction.response.edit_message(content=watch_text(handlers, chat), view=view)
