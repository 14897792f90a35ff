"""Logging set-up, with secrets redacted from every record.

httpx and python-telegram-bot log request URLs, and a Telegram request URL contains the bot
token; the root handlers' formatter replaces every configured secret in the finished line,
tracebacks included, before it is written. ``redact`` does the same for error messages.

``[logging] format = "json"`` writes one JSON object per line instead (``time`` in UTC ISO 8601,
``level``, ``logger``, ``message``, and ``exception`` with the traceback when there is one), for
log collectors; ``[logging] level`` sets the threshold (``-v`` still means debug).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor:
    """Replaces secrets (and a Telegram token's secret half on its own) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        parts = set()
        for secret in secrets:
            parts.add(secret)
            parts.add(secret.partition(":")[2])  # "123:ABC" also leaks as "ABC"
        self._secrets = sorted({s for s in parts if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self._inner.format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, secrets redacted in every field."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class HandledFloodControl(logging.Filter):
    """Drops python-telegram-bot's rate limiter's error for flood control it does not retry
    (a traceback for every 429): the sender handles each one and logs it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


def quiet_handled_flood_control() -> None:
    limiter = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, HandledFloodControl) for f in limiter.filters):
        limiter.addFilter(HandledFloodControl())


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format=TEXT_FORMAT,
        stream=sys.stderr,
    )
    # httpx logs every request at INFO; keep that for --verbose only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)
    quiet_handled_flood_control()


def redact_secrets(settings: Settings, *, verbose: bool = False) -> Redactor:
    """Hide the settings' secrets in every log line from now on, and apply ``[logging]``;
    returns the redactor for messages that do not go through logging."""
    secrets = [
        value.get_secret_value()
        for value in (settings.telegram.token, settings.llm.api_key, settings.discord.token)
        if value is not None
    ]
    # a Discord webhook URL ends with its token; discord.py logs the URL at debug level
    secrets += [
        w.url.get_secret_value().strip().rstrip("/").rsplit("/", 1)[-1]
        for w in settings.discord.webhooks
    ]
    redactor = Redactor(secrets)
    root = logging.getLogger()
    if not verbose:
        root.setLevel(settings.logging.level)
    for handler in root.handlers:
        inner: logging.Formatter = (
            JsonFormatter(redactor)
            if settings.logging.format == "json"
            else logging.Formatter(TEXT_FORMAT)
        )
        handler.setFormatter(RedactingFormatter(inner, redactor))
    return redactor
