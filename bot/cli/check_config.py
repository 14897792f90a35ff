"""``digestbot check-config``: the settings, the topic file and the data folder, validated
without creating anything. It loads no chat platform, so that it answers at once."""

from __future__ import annotations

import os
from pathlib import Path

from bot.cli.command import Call, command
from bot.errors import StoreError


@command(
    "check-config",
    en="validate the config file and the environment, then exit",
    ar="التحقق من ملف الإعدادات ومتغيرات البيئة ثم الخروج",
    default_feeds="yes",
)
def check_config(call: Call) -> int:
    """Validate the settings, the topic file and the data folder, creating nothing: the stores
    are read as ``status`` reads them, and a folder that does not exist yet only has to be
    one that the first run can create."""
    from bot.cli.stores import reading
    from bot.config import DEFAULT_CONFIG_PATH
    from bot.topic.configured import build_matcher

    settings = call.settings
    build_matcher(settings)  # the topic file loads
    _check_writable(settings.data_dir)
    with reading(settings) as (state, _archive):
        # the state file, the feeds' file and the archive read cleanly (or are not there yet)
        state.feeds()
    if call.args.config is not None:
        where = str(call.args.config)
    elif DEFAULT_CONFIG_PATH.exists():
        where = f"{DEFAULT_CONFIG_PATH} (the default config)"
    else:
        where = "defaults (no config.toml)"
    feeds = f"{len(settings.feeds)} feeds" + (" (built-in list)" if call.defaults else "")
    on = {True: "on", False: "off"}
    call.out.write(
        f"{where}: OK — {feeds}, Telegram {on[settings.telegram.enabled]}, Discord"
        f" {on[settings.discord.enabled or bool(settings.discord.webhooks)]},"
        f" LLM {on[settings.llm.enabled]}; data folder {settings.data_dir}\n"
    )
    return 0


def _check_writable(folder: Path) -> None:
    """The data folder, or the nearest folder above it when it does not exist yet, must be one
    this user may write in (run and once write there)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise StoreError(
            f"{folder}: cannot use this data folder: {existing} is not a folder this user"
            " may write in"
        )
