"""Logs: text or JSON lines, at the configured level, with secrets never written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.ops.logs import redact_secrets

TOKEN = "123456:AAHsecretTOKENvalue"
API_KEY = "sk-verysecretkey-0001"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_level = root.level
    saved = [(handler, handler.formatter) for handler in root.handlers]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for old, formatter in saved:
            old.setFormatter(formatter)
        root.setLevel(saved_level)


def settings(**logging_: str) -> Settings:
    return Settings.model_validate(
        {"telegram": {"token": TOKEN}, "llm": {"api_key": API_KEY}, "logging": logging_}
    )


def emit() -> None:
    log = logging.getLogger("digestbot.test")
    log.debug("debug detail")
    log.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    try:
        raise RuntimeError(f"refused key {API_KEY} and half {TOKEN.split(':')[1]}")
    except RuntimeError:
        log.exception("call failed: «كورسك»")


def test_json_lines_with_time_level_logger_message(stream: io.StringIO) -> None:
    redact_secrets(settings(format="json", level="INFO"))
    emit()
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [entry["level"] for entry in lines] == ["INFO", "ERROR"]  # DEBUG is below INFO
    first, second = lines
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["logger"] == "digestbot.test"
    assert first["message"] == "POST https://api.telegram.org/bot***/sendMessage"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "call failed: «كورسك»"  # Arabic kept readable
    assert "RuntimeError: refused key *** and half ***" in second["exception"]
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and API_KEY not in text


def test_text_lines_are_redacted_and_the_level_applies(stream: io.StringIO) -> None:
    redact_secrets(settings(format="text", level="WARNING"))
    emit()
    text = stream.getvalue()
    assert "POST" not in text  # INFO is below WARNING
    assert "ERROR digestbot.test: call failed" in text
    assert "refused key *** and half ***" in text
    assert API_KEY not in text and TOKEN.split(":")[1] not in text


def test_verbose_wins_over_the_configured_level(stream: io.StringIO) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    redact_secrets(settings(format="json", level="ERROR"), verbose=True)
    emit()
    assert [json.loads(line)["level"] for line in stream.getvalue().splitlines()] == [
        "DEBUG",
        "INFO",
        "ERROR",
    ]


def test_an_unknown_format_is_a_clear_config_error() -> None:
    from bot.config import parse_settings
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[logging\] format"):
        parse_settings({"logging": {"format": "xml"}})


@pytest.mark.filterwarnings("ignore:.*retry_after.*")
async def test_flood_control_the_sender_handles_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.delivery.channel import RetryLaterError
    from bot.ops.logs import setup_logging
    from bot.platforms.telegram.channel import TelegramChannel, build_application
    from tests.fakes.telegram_api import FakeTelegramAPI

    setup_logging(verbose=False)
    caplog.set_level(logging.INFO)
    api = FakeTelegramAPI(flood_share=1.0, flood_seed=1, flood_retry_after=(3, 3))
    async with api:
        application = build_application("123:TOKEN", api.bot_url)  # with AIORateLimiter
        async with application:
            with pytest.raises(RetryLaterError):
                await TelegramChannel(application.bot).send(5, "hello")
    assert api.flood_refusals  # the 429 did happen
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Rate limit hit" not in caplog.text


@pytest.mark.parametrize("tail", ["", " ", "  \n"])
def test_a_webhook_token_is_redacted_however_its_url_ends(stream: io.StringIO, tail: str) -> None:
    webhook_token = "w" * 68
    url = f"https://discord.com/api/webhooks/333333333333333333/{webhook_token}"
    redact_secrets(
        Settings.model_validate(
            {"discord": {"webhooks": [{"name": "news", "url": url + tail, "lang": "en"}]}}
        )
    )
    logging.getLogger("discord.webhook").warning("POST %s", url)
    text = stream.getvalue()
    assert webhook_token not in text and "POST" in text
