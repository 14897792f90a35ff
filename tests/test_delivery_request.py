"""The bot's network backend for the Bot API (``JsonRequest``): JSON bodies that arrive as sent,
one client, and network failures that reach the sender as transient."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest
from telegram import Bot

from bot.delivery.channel import TransientDeliveryError
from bot.platforms.telegram.channel import TelegramChannel, build_application
from bot.platforms.telegram.request import JsonRequest
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:request-test"
PART = '<b>وفد روسي يزور بيونغ يانغ</b> &amp; <a href="https://a.example/?x=1&amp;y=2">المصدر</a>'
OK_MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}}
ME = {"id": 123456, "is_bot": True, "first_name": "digestbot", "username": "digest_bot"}


def get_me(request: httpx.Request) -> httpx.Response | None:
    """The answer to the getMe a ``Bot`` sends when it starts."""
    if request.url.path.endswith("/getMe"):
        return httpx.Response(200, json={"ok": True, "result": ME})
    return None


async def test_a_part_goes_as_a_utf8_json_body_smaller_than_url_encoded() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return get_me(request) or httpx.Response(200, json={"ok": True, "result": OK_MESSAGE})

    async with Bot(TOKEN, request=JsonRequest(transport=httpx.MockTransport(answer))) as bot:
        assert await TelegramChannel(bot).send(42, PART, thread_id=5) == 7
    [request] = [r for r in seen if r.url.path.endswith("/sendMessage")]
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["text"] == PART and body["chat_id"] == "42" and body["parse_mode"] == "HTML"
    assert json.loads(body["link_preview_options"]) == {"is_disabled": True}
    # the Arabic goes as UTF-8, two bytes a letter, not as %D9%88 escapes: six
    assert "وفد روسي".encode() in request.content
    assert len(request.content) < len(urlencode(body))


async def test_the_fake_bot_api_receives_the_part_as_sent(telegram_api: FakeTelegramAPI) -> None:
    async with Bot(TOKEN, base_url=telegram_api.bot_url, request=JsonRequest()) as bot:
        await TelegramChannel(bot).send(-1001, PART, thread_id=3)
    [message] = telegram_api.messages_to(-1001)
    assert message.text == PART


async def test_no_answer_from_the_network_is_a_transient_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if (me := get_me(request)) is not None:
            return me
        raise httpx.ConnectError("connection refused", request=request)

    request = JsonRequest(transport=httpx.MockTransport(refuse))
    async with Bot(TOKEN, request=request) as bot:
        with pytest.raises(TransientDeliveryError, match="ConnectError"):
            await TelegramChannel(bot).send(42, "x")


def test_the_application_sends_through_json_request() -> None:
    application = build_application(TOKEN, "http://127.0.0.1:9/bot")
    assert isinstance(application.bot.request, JsonRequest)
