"""Logging set-up, with secrets redacted from every record.

httpx and python-telegram-bot log request URLs, and a Telegram request URL contains the bot
token; the root handlers' formatter replaces every configured secret in the finished line,
tracebacks included, before it is written. ``redact`` does the same for error messages.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.config import Settings


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


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request at INFO; keep that for --verbose only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)


def redact_secrets(settings: Settings) -> Redactor:
    """Hide the settings' secrets in every log line from now on; returns the redactor for
    messages that do not go through logging."""
    secrets = [
        value.get_secret_value()
        for value in (settings.telegram.token, settings.llm.api_key, settings.discord.token)
        if value is not None
    ]
    # a Discord webhook URL ends with its token; discord.py logs the URL at debug level
    secrets += [
        w.url.get_secret_value().rstrip("/").rsplit("/", 1)[-1] for w in settings.discord.webhooks
    ]
    redactor = Redactor(secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(handler.formatter or logging.Formatter(), redactor))
    return redactor
