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
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.channels.pacing import DEFAULT_REPLY_SHARE, MAX_REPLY_SHARE
from bot.chat_settings import clock_time, valid_timezone
from bot.errors import ConfigError
from bot.models import FeedSource

DEFAULT_CONFIG_PATH = Path("config.toml")
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"

ENV_SECRETS: Mapping[str, tuple[str, str]] = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "OPENAI_API_KEY": ("llm", "api_key"),
    "DISCORD_BOT_TOKEN": ("discord", "token"),
}
SECRET_KEYS: frozenset[tuple[str, str]] = frozenset(
    {*ENV_SECRETS.values(), ("discord", "webhooks")}  # a webhook URL holds its token
)
"""``(section, key)`` of every key whose value, or anything below it, is a secret."""


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _optional_http_url(value: str) -> str:
    return _http_url(value) if value else value


def _clock_time(value: str) -> str:
    clock = clock_time(value)
    if clock is None:
        raise ValueError(f"not a time of day (HH:MM): {value!r}")
    return clock


def _reply_share(value: float) -> float:
    if not 0.0 <= value <= MAX_REPLY_SHARE:  # also false for nan
        raise ValueError(
            f"must be a share between 0 and {MAX_REPLY_SHARE} (0.03 leaves 1 of Telegram's 30"
            f" messages a second for replies to commands), got {value!r}"
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
OptionalHttpUrl = Annotated[str, AfterValidator(_optional_http_url)]
ClockTime = Annotated[str, AfterValidator(_clock_time)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _folder(value: str) -> str:
    if not value.strip():
        # "" would quietly mean the current folder: the state and archive land wherever the
        # command happens to run
        raise ValueError('a folder is required (for the current folder, write ".")')
    if "\x00" in value:
        raise ValueError("a path cannot contain a NUL character")
    return value


def _optional_file(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a path cannot contain a NUL character")
    return value


class StorageSettings(_Section):
    data_dir: Annotated[str, AfterValidator(_folder)] = "./data"


class TelegramSettings(_Section):
    token: SecretStr | None = None
    base_url: HttpUrl = DEFAULT_TELEGRAM_BASE_URL
    reply_share: Annotated[float, AfterValidator(_reply_share)] = DEFAULT_REPLY_SHARE
    """The share of Telegram's ~30 messages a second that digests and alerts leave for replies
    to commands (``bot.channels.pacing.digest_rate``)."""

    @field_validator("base_url")
    @classmethod
    def _bot_path(cls, value: str) -> str:
        if not value.rstrip("/").endswith("/bot"):
            raise ValueError(f"must end with /bot (like {DEFAULT_TELEGRAM_BASE_URL}): {value!r}")
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())


_DISCORD_WEBHOOK = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/"
    r"(?P<id>[0-9]{17,20})/(?P<token>[A-Za-z0-9._-]{60,})"
)


def discord_webhook_id(url: str) -> int | None:
    """The webhook's id in a Discord webhook URL, or None when ``url`` is not one."""
    match = _DISCORD_WEBHOOK.fullmatch(url.strip())
    return int(match["id"]) if match else None


class DiscordWebhookSettings(_Section):
    name: str = Field(min_length=1)
    url: SecretStr
    lang: Literal["ar", "en", "both"] = "both"

    @field_validator("url")
    @classmethod
    def _webhook_url(cls, value: SecretStr) -> SecretStr:
        if discord_webhook_id(value.get_secret_value()) is None:
            # the URL holds the webhook's token: never echo it
            raise ValueError(
                "not a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN)"
            )
        return value

    @property
    def webhook_id(self) -> int:
        webhook_id = discord_webhook_id(self.url.get_secret_value())
        assert webhook_id is not None
        return webhook_id


class DiscordSettings(_Section):
    token: SecretStr | None = None
    sync_commands: bool = True
    max_ratelimit_wait_s: float = Field(default=60.0, ge=30, le=3600)
    webhooks: list[DiscordWebhookSettings] = Field(default_factory=list)

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, value: list[DiscordWebhookSettings]) -> list[DiscordWebhookSettings]:
        seen: set[int] = set()
        for webhook in value:
            if webhook.webhook_id in seen:
                raise ValueError(f"webhook listed twice: {webhook.name}")
            seen.add(webhook.webhook_id)
        return value

    @property
    def enabled(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())


class LLMSettings(_Section):
    base_url: OptionalHttpUrl = ""
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    daily_token_budget: int = Field(default=0, ge=0)
    resummarize_new_articles: int = Field(default=3, ge=1, le=1000)

    @property
    def enabled(self) -> bool:
        has_key = self.api_key is not None and bool(self.api_key.get_secret_value())
        return has_key or bool(self.base_url)


class FeedSettings(_Section):
    url: HttpUrl
    name: str = Field(min_length=1)
    lang: Literal["ar", "en"] | None = None


class IngestSettings(_Section):
    allow_private_networks: bool = False
    timeout_s: float = Field(default=20.0, gt=0, le=300)
    max_bytes: int = Field(default=5_000_000, ge=1_000, le=100_000_000)
    max_items: int = Field(default=500, ge=1, le=10_000)
    concurrency: int = Field(default=16, ge=1, le=256)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    max_poll_minutes: int = Field(default=1440, ge=1, le=7 * 1440)
    max_failures: int = Field(default=50, ge=1, le=100_000)
    max_failing_days: float = Field(default=7.0, gt=0, le=365)
    backlog_hours: int = Field(default=24, ge=0, le=24 * 365)


class ScheduleSettings(_Section):
    poll_minutes: int = Field(default=30, ge=1, le=1440)
    digest_times: list[ClockTime] = Field(default_factory=lambda: ["08:00", "20:00"])
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not valid_timezone(value):
            raise ValueError(f"unknown timezone: {value!r}")
        return value

    @field_validator("digest_times")
    @classmethod
    def _some_times(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one time of day")
        return sorted(set(value))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DigestSettings(_Section):
    default_lang: Literal["ar", "en", "both"] = "both"
    initial_hours: int = Field(default=24, ge=1, le=24 * 30)
    max_age_hours: int = Field(default=72, ge=1, le=24 * 365)
    max_stories: int = Field(default=20, ge=1, le=100)
    alert_min_sources: int = Field(default=4, ge=0, le=100)

    @field_validator("alert_min_sources")
    @classmethod
    def _alert_threshold(cls, value: int) -> int:
        if value == 1:
            raise ValueError("0 (alerts off) or at least 2 sources; 1 would alert on every story")
        return value


class TopicSettings(_Section):
    file: Annotated[str, AfterValidator(_optional_file)] = ""
    second_opinion: bool = False
    borderline_low: float = Field(default=0.3, ge=0, le=1)
    borderline_high: float = Field(default=0.7, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered_band(self) -> TopicSettings:
        if self.borderline_low > self.borderline_high:
            raise ValueError("borderline_low must not be above borderline_high")
        return self


class StoriesSettings(_Section):
    """How reports are grouped into stories (see ``bot.stories``)."""

    threshold: float = Field(default=0.19, ge=0.05, le=0.95)
    horizon_hours: float = Field(default=96.0, ge=6, le=24 * 30)


class HealthSettings(_Section):
    port: int = Field(default=0, ge=0, le=65535)
    host: str = Field(default="127.0.0.1", min_length=1)
    stall_factor: float = Field(default=3.0, ge=1, le=100)
    outbox_stuck_minutes: int = Field(default=30, ge=1, le=7 * 1440)

    @property
    def enabled(self) -> bool:
        return self.port != 0


class ArchiveSettings(_Section):
    """Retention and upkeep of the archive (``digestbot run`` does it, once at start and every
    ``housekeeping_hours``)."""

    article_days: int = Field(default=0, ge=0, le=36_500)
    seen_days: int = Field(default=30, ge=1, le=3650)
    housekeeping_hours: int = Field(default=24, ge=1, le=24 * 30)
    fts_optimize_days: int = Field(default=1, ge=0, le=365)
    outbox_days: int = Field(default=30, ge=1, le=3650)


class LoggingSettings(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    storage: StorageSettings = StorageSettings()
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    llm: LLMSettings = LLMSettings()
    ingest: IngestSettings = IngestSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    digest: DigestSettings = DigestSettings()
    topic: TopicSettings = TopicSettings()
    stories: StoriesSettings = StoriesSettings()
    health: HealthSettings = HealthSettings()
    logging: LoggingSettings = LoggingSettings()
    archive: ArchiveSettings = ArchiveSettings()
    feeds: list[FeedSettings] = Field(default_factory=list)

    @field_validator("feeds")
    @classmethod
    def _unique_feeds(cls, value: list[FeedSettings]) -> list[FeedSettings]:
        seen: set[str] = set()
        for feed in value:
            if feed.url in seen:
                raise ValueError(f"feed listed twice: {feed.url}")
            seen.add(feed.url)
        return value

    @model_validator(mode="after")
    def _articles_outlive_digests(self) -> Settings:
        days = self.archive.article_days
        if days and days * 24 <= self.digest.max_age_hours:
            raise ValueError(
                "[archive] article_days must be 0 (keep forever) or longer than"
                " [digest] max_age_hours, so no article leaves the archive while a digest may"
                " still announce it"
            )
        return self

    @model_validator(mode="after")
    def _second_opinion_needs_llm(self) -> Settings:
        if self.topic.second_opinion and not self.llm.enabled:
            raise ValueError("[topic] second_opinion needs an LLM: set [llm] base_url or api_key")
        return self

    def feed_sources(self) -> list[FeedSource]:
        """The configured feeds, as the stores and the pipeline take them."""
        return [FeedSource(url=f.url, name=f.name, lang=f.lang) for f in self.feeds]

    @property
    def data_dir(self) -> Path:
        return Path(self.storage.data_dir)


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
