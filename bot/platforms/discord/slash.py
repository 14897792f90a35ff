"""The slash commands as Discord registers them: names, bilingual descriptions (English ·
Arabic, and English alone for English clients through a ``Translator``), options and choices,
each calling its handler in ``bot.platforms.discord.commands``."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.i18n import Catalog
from bot.platforms.discord.commands import DiscordCommands

MAX_DESCRIPTION_TEXT = 100  # Discord's limit for command, option and choice descriptions
ENGLISH_LOCALES = frozenset({discord.Locale.american_english, discord.Locale.british_english})


def bilingual(catalog: Catalog, key: str) -> locale_str:
    """The text Discord shows by default: English · Arabic, within Discord's 100 characters."""
    text = f"{catalog.t('en', key)} · {catalog.t('ar', key)}"
    if len(text) > MAX_DESCRIPTION_TEXT:
        text = catalog.t("en", key)[:MAX_DESCRIPTION_TEXT]
    return locale_str(text, key=key)


class CatalogTranslator(app_commands.Translator):
    """English descriptions and choice names for English Discord clients, from the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or locale not in ENGLISH_LOCALES:
            return None
        return self.catalog.t("en", key)[:MAX_DESCRIPTION_TEXT]


def _digit_choices(catalog: Catalog) -> list[Choice[str]]:
    return [
        Choice(name=bilingual(catalog, f"bot.digits_{style}"), value=style)
        for style in ("latn", "arab")
    ]


def _lang_choices(catalog: Catalog) -> list[Choice[str]]:
    return [
        Choice(name=bilingual(catalog, f"bot.lang_{lang}"), value=lang)
        for lang in ("ar", "en", "both")
    ]


def build_commands(handlers: DiscordCommands) -> list[app_commands.Command[Any, ..., None]]:
    """The slash commands, each a thin callback into ``handlers``."""
    catalog = handlers.catalog

    def text(key: str) -> locale_str:
        return bilingual(catalog, f"discord.{key}")

    @app_commands.command(name="subscribe", description=text("cmd_subscribe"))
    @app_commands.describe(language=text("opt_language"))
    @app_commands.choices(language=_lang_choices(catalog))
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.guild_only()
    async def subscribe(
        interaction: discord.Interaction[Any], language: Choice[str] | None = None
    ) -> None:
        await handlers.subscribe(interaction, language.value if language else None)

    @app_commands.command(name="unsubscribe", description=text("cmd_unsubscribe"))
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.guild_only()
    async def unsubscribe(interaction: discord.Interaction[Any]) -> None:
        await handlers.unsubscribe(interaction)

    @app_commands.command(name="settings", description=text("cmd_settings"))
    @app_commands.describe(
        language=text("opt_language"),
        times=text("opt_times"),
        timezone=text("opt_timezone"),
        digits=text("opt_digits"),
    )
    @app_commands.choices(language=_lang_choices(catalog), digits=_digit_choices(catalog))
    @app_commands.guild_only()
    async def settings(
        interaction: discord.Interaction[Any],
        language: Choice[str] | None = None,
        times: str | None = None,
        timezone: str | None = None,
        digits: Choice[str] | None = None,
    ) -> None:
        await handlers.settings(
            interaction,
            language.value if language else None,
            times,
            timezone,
            digits.value if digits else None,
        )

    @app_commands.command(name="search", description=text("cmd_search"))
    @app_commands.describe(query=text("opt_query"))
    async def search(interaction: discord.Interaction[Any], query: str) -> None:
        await handlers.search(interaction, query)

    @app_commands.command(name="watch", description=text("cmd_watch"))
    @app_commands.describe(term=text("opt_term"))
    @app_commands.guild_only()
    async def watch(interaction: discord.Interaction[Any], term: str | None = None) -> None:
        await handlers.watching.watch(interaction, term)

    @app_commands.command(name="unwatch", description=text("cmd_unwatch"))
    @app_commands.describe(term=text("opt_term"))
    @app_commands.guild_only()
    async def unwatch(interaction: discord.Interaction[Any], term: str) -> None:
        await handlers.watching.unwatch(interaction, term)

    @app_commands.command(name="latest", description=text("cmd_latest"))
    async def latest(interaction: discord.Interaction[Any]) -> None:
        await handlers.latest(interaction)

    @app_commands.command(name="sources", description=text("cmd_sources"))
    async def sources(interaction: discord.Interaction[Any]) -> None:
        await handlers.sources(interaction)

    return [subscribe, unsubscribe, settings, search, watch, unwatch, latest, sources]
