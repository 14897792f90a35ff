"""Logging set-up, with secrets redacted from every record.

httpx and python-telegram-bot log request URLs, and a Telegram request URL contains the bot
token; a filter on the root handlers replaces every configured secret before a line is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from bot.config import Settings


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


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


def redact_secrets(settings: Settings) -> None:
    """Hide the settings' secrets in every log line from now on."""
    secrets = [
        value.get_secret_value()
        for value in (settings.telegram.token, settings.llm.api_key, settings.discord.token)
        if value is not None
    ]
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
