"""Settings: a TOML file plus environment variables, validated into frozen models.

Every problem becomes one ``ConfigError`` line naming the file, the key and what is wrong, e.g.
``config.toml: [llm] timeout_s: expected a number, got 'soon'``. Secrets (tokens, API keys) may
come from the environment instead of the file and are never included in ``repr`` or logs, nor
in an error: the value of a secret key is never echoed, whatever its type, and no error echoes
a list or a table (one may hold a secret put in the wrong place). The file may start with a
UTF-8 byte order mark (Windows editors write one).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.sections import (
    ArchiveSettings,
    ClockTime,
    DigestSettings,
    DiscordSettings,
    DiscordWebhookSettings,
    FeedSettings,
    HealthSettings,
    HttpUrl,
    IngestSettings,
    LLMSettings,
    LoggingSettings,
    OptionalHttpUrl,
    ScheduleSettings,
    Settings,
    StorageSettings,
    StoriesSettings,
    TelegramSettings,
    TopicSettings,
    discord_webhook_id,
)
from bot.errors import ConfigError

# The sections are imported from here, as before they had a module of their own.
__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ENV_SECRETS",
    "SECRET_KEYS",
    "ArchiveSettings",
    "ClockTime",
    "DigestSettings",
    "DiscordSettings",
    "DiscordWebhookSettings",
    "FeedSettings",
    "HealthSettings",
    "HttpUrl",
    "IngestSettings",
    "LLMSettings",
    "LoggingSettings",
    "OptionalHttpUrl",
    "ScheduleSettings",
    "Settings",
    "StorageSettings",
    "StoriesSettings",
    "TelegramSettings",
    "TopicSettings",
    "discord_webhook_id",
    "load_settings",
    "parse_settings",
]

DEFAULT_CONFIG_PATH = Path("config.toml")

ENV_SECRETS: Mapping[str, tuple[str, str]] = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "OPENAI_API_KEY": ("llm", "api_key"),
    "DISCORD_BOT_TOKEN": ("discord", "token"),
}
SECRET_KEYS: frozenset[tuple[str, str]] = frozenset(
    {*ENV_SECRETS.values(), ("discord", "webhooks")}  # a webhook URL holds its token
)
"""``(section, key)`` of every key whose value, or anything below it, is a secret."""


def _key_name(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into the key as a user writes it: ``[llm] timeout_s``."""
    if not loc:
        return "(top level)"
    head, *rest = loc
    if head == "feeds":
        index = f"[{int(rest[0]) + 1}]" if rest and isinstance(rest[0], int) else ""
        tail = ".".join(str(p) for p in rest[1:]) if index else ".".join(str(p) for p in rest)
        return f"[[feeds]]{index}" + (f" {tail}" if tail else "")
    if rest:
        return f"[{head}] " + ".".join(str(p) for p in rest if not isinstance(p, int))
    return f"[{head}]" if head in Settings.model_fields else str(head)


def _is_secret(loc: tuple[int | str, ...]) -> bool:
    return len(loc) >= 2 and (loc[0], loc[1]) in SECRET_KEYS


_MAX_SHOWN = 80


def _shown(value: Any) -> str:
    """A value as an error line may show it: a scalar, shortened; a list or a table never."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    expected = {
        "string_type": "a string",
        "bool_type": "true or false",
        "int_type": "a whole number",
        "float_type": "a number",
        "list_type": "a list",
        "model_type": "a table",
    }
    if kind in expected:
        if _is_secret(tuple(error.get("loc", ()))):
            return f"expected {expected[kind]} (the value is a secret: not shown)"
        return f"expected {expected[kind]}, got {_shown(value)}"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _secret_strings(data: Mapping[str, Any]) -> list[str]:
    """Every string under a secret key of ``data``, and the environment's secrets."""
    found: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    for section, key in SECRET_KEYS:
        table = data.get(section)
        if isinstance(table, dict):
            collect(table.get(key))
    found.extend(os.environ.get(name, "") for name in ENV_SECRETS)
    return [text for text in found if len(text) >= 4]  # shorter ones say nothing


def _without_secrets(text: str, secrets: list[str]) -> str:
    """A last guard for what a validator's own message might quote."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secret_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy ``data`` with environment secrets filled in where the file has none."""
    merged: dict[str, Any] = {key: value for key, value in data.items()}
    for env_name, (section, key) in ENV_SECRETS.items():
        value = os.environ.get(env_name)
        if not value:
            continue
        table = merged.get(section, {})
        if not isinstance(table, dict):
            continue  # the validator reports the wrong type
        if not table.get(key):
            merged[section] = {**table, key: value}
    return merged


def parse_settings(data: Mapping[str, Any], *, source: str = "config") -> Settings:
    """Validate an already-parsed TOML document (plus environment secrets)."""
    try:
        return Settings.model_validate(_secret_values(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        line = f"{source}: {_key_name(tuple(first['loc']))}: {_describe(first)}"
        raise ConfigError(_without_secrets(line, _secret_strings(data))) from None


def load_settings(path: Path | None = None, *, data_dir: str | None = None) -> Settings:
    """Load settings from ``path`` (default ``./config.toml``).

    A missing default file means built-in defaults; a missing file that was asked for by name is
    an error. ``data_dir`` (from ``--data-dir``) overrides ``[storage] data_dir`` and is checked
    like it.
    """
    explicit = path is not None
    path = path or DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if path.exists():
        try:
            # utf-8-sig: a byte order mark is dropped, not taken for a bad key at line 1
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
    elif explicit:
        raise ConfigError(f"{path}: no such file")
    settings = parse_settings(data, source=str(path))
    if data_dir is not None:
        try:
            storage = StorageSettings(data_dir=data_dir)
        except ValidationError as exc:
            raise ConfigError(f"--data-dir: {_describe(exc.errors()[0])}") from None
        settings = settings.model_copy(update={"storage": storage})
    return settings
