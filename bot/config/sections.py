"""The settings' sections: one frozen pydantic model per table of the config file, with its
defaults, bounds and checks (``Settings`` is the whole file). Loading a file, the environment's
secrets and the one-line errors are ``bot.config``'s.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from bot.models import FeedSource
from bot.subscriptions import clock_time, valid_timezone

DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"

DEFAULT_REPLY_SHARE = 0.03
"""The share of Telegram's overall rate the sender leaves for replies to commands (``[telegram]
reply_share``): 1 of Telegram's 30 messages a second, 60 replies a minute during a broadcast (and
9 a second at 300 with paid broadcasts). A broadcast to 5,000 chats lasts about four minutes.
Replies also go through python-telegram-bot's rate limiter, which holds a reply back rather than
let the bot pass 30 a second, so a burst of commands is answered a little late, not refused."""
MAX_REPLY_SHARE = 0.5
"""Keeping more than half the rate for replies would starve digests for a bot whose replies are
answers to a few people's commands."""


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
    to commands (``bot.delivery.pacing.digest_rate``)."""

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


FEED_LABELS = ("state", "public", "independent", "")


def _feed_label(value: str) -> str:
    if value not in FEED_LABELS:
        raise ValueError(
            f'not a label: {value[:40]!r}; write "state", "public", "independent", or ""'
            " to show none (leave the key out for the built-in label)"
        )
    return value


class FeedSettings(_Section):
    url: HttpUrl
    name: str = Field(min_length=1)
    lang: Literal["ar", "en"] | None = None
    label: Annotated[str, AfterValidator(_feed_label)] | None = None
    """Overrides the built-in label of the outlet (``bot/data/outlets/labels.toml``)."""


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
        return [FeedSource(url=f.url, name=f.name, lang=f.lang, label=f.label) for f in self.feeds]

    @property
    def data_dir(self) -> Path:
        return Path(self.storage.data_dir)
