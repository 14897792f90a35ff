"""The bot's Telegram application polling the fake Bot API, as ``digestbot run`` starts it: one
way for every end-to-end test that types commands or presses buttons as a user."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from telegram.ext import Application

from bot.app.container import Services
from bot.platforms.telegram.runtime import telegram_application


@contextlib.asynccontextmanager
async def polling(svc: Services, *, menus: bool = False) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The application, started and polling getUpdates every 50 ms; stopped on the way out.
    ``menus`` registers the command menus first, as the bot does at start."""
    app = telegram_application(svc)
    await app.initialize()
    if menus:
        await app.bot_data["commands"].register_menus(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.05)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
