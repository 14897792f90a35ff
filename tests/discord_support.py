"""The bot's Discord client over REST against the fake Discord API, as ``digestbot once``
starts it (no gateway): one way for the tests that call its slash commands as a member."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.app.container import Services
from bot.platforms.discord.runtime import DigestbotClient, start_discord


@contextlib.asynccontextmanager
async def rest_client(svc: Services) -> AsyncIterator[DigestbotClient]:
    """The started client, with no gateway; closed on the way out."""
    runtime = await start_discord(svc, gateway=False)
    assert runtime.client is not None and runtime.gateway is None
    try:
        yield runtime.client
    finally:
        await runtime.close()
