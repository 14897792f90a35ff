"""A loopback fake of Discord's REST API (v10), for the real discord.py to talk to.

Routes, as Discord serves them:

- ``GET /api/v10/users/@me`` and ``GET /api/v10/oauth2/applications/@me`` (what
  ``Client.login`` asks for), answering 401 to a wrong bot token;
- ``PUT /api/v10/applications/{id}/commands`` (global slash-command sync), recorded;
- ``POST /api/v10/channels/{id}/messages``, recorded; a ``message_reference`` to a message that
  is not in the channel (never posted, or deleted with ``delete``) is refused with 400 (code
  50035, ``REPLIES_UNKNOWN_MESSAGE``) unless ``fail_if_not_exists`` is false, when the message
  goes out as no reply;
- ``POST /api/webhooks/{id}/{token}`` (and under ``/api/v10``), recorded; an unknown webhook is
  404 (code 10015), a wrong token 401 (code 50027).

Messages are checked against Discord's limits (content 2,000; 10 embeds; 6,000 characters of
embeds; title 256, description 4,096, 25 fields of 256/1,024, footer 2,048) and refused with
400 (code 50035) as Discord does. Every answer carries ``X-RateLimit-*`` headers.

Tests script failures per channel or webhook id, one per request::

    api.fail(channel_id, 429, retry_after=0.01)   # rate limited, with Retry-After and Via
    api.fail(channel_id, 403)                     # Missing Access (code 50001)
    api.fail(channel_id, 404)                     # Unknown Channel (code 10003)
    api.fail(channel_id, 500)

discord.py builds every URL from ``discord.http.Route.BASE``; the ``discord_api`` fixture points
it at this server for the test and puts it back afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

BOT_TOKEN = "fake-bot-token.discord-test"
APPLICATION_ID = 900000000000000001
BOT_USER_ID = 900000000000000002


@dataclass
class Posted:
    """One message Discord accepted."""

    id: int
    channel_id: int
    payload: dict[str, Any]
    webhook_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reference: int | None = None
    """The message it replies to (``message_reference``), when that message still existed."""


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with Discord's exact ``Content-Type`` (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def limit_problems(payload: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message payload (empty when it is valid)."""
    problems = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if not content and not embeds:
        problems.append("Cannot send an empty message")
    if _units(content) > 2000:
        problems.append("content: Must be 2000 or fewer in length.")
    if len(embeds) > 10:
        problems.append("embeds: Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        sizes = {
            "title": (_units(embed.get("title", "")), 256),
            "description": (_units(embed.get("description", "")), 4096),
            "footer.text": (_units(embed.get("footer", {}).get("text", "")), 2048),
            "author.name": (_units(embed.get("author", {}).get("name", "")), 256),
        }
        fields = embed.get("fields", [])
        if len(fields) > 25:
            problems.append(f"embeds.{index}.fields: Must be 25 or fewer in length.")
        for number, item in enumerate(fields):
            sizes[f"fields.{number}.name"] = (_units(item.get("name", "")), 256)
            sizes[f"fields.{number}.value"] = (_units(item.get("value", "")), 1024)
            if not item.get("name") or not item.get("value"):
                problems.append(f"embeds.{index}.fields.{number}: This field is required")
        for name, (size, limit) in sizes.items():
            if size > limit:
                problems.append(f"embeds.{index}.{name}: Must be {limit} or fewer in length.")
            total += size
    if total > 6000:
        problems.append("embeds: Embed size exceeds maximum size of 6000")
    return problems


class FakeDiscordAPI:
    """The fake server and what it recorded."""

    def __init__(self, *, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.messages: list[Posted] = []
        self.synced_commands: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.deleted: set[int] = set()
        self.bodies: list[dict[str, Any]] = []
        """Every message request with its JSON body, as ``spec_check`` reads them."""
        self.webhooks: dict[int, str] = {}
        self._failures: defaultdict[int, deque[tuple[int, float]]] = defaultdict(deque)
        self._ids = itertools.count(1_000_000_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._arrived: asyncio.Event | None = None

    @property
    def base(self) -> str:
        if not self._port:
            raise RuntimeError("the fake Discord API is not running")
        return f"http://127.0.0.1:{self._port}/api/v10"

    def add_webhook(self, webhook_id: int, token: str) -> str:
        """Register a webhook; returns the URL an operator would copy from Discord."""
        self.webhooks[webhook_id] = token
        return f"https://discord.com/api/webhooks/{webhook_id}/{token}"

    def fail(self, target_id: int, status: int, *, retry_after: float = 1.0) -> None:
        """The next request to this channel or webhook fails with ``status``."""
        self._failures[target_id].append((status, retry_after))

    def delete(self, message_id: int) -> None:
        """A moderator deletes a message (the bot is not told)."""
        self.deleted.add(message_id)

    def sent_to(self, target_id: int) -> list[dict[str, Any]]:
        return [m.payload for m in self.messages if target_id in (m.channel_id, m.webhook_id)]

    async def wait_for_messages(self, count: int = 1) -> list[Posted]:
        """Wait until ``count`` messages were accepted (call on the server's loop)."""
        assert self._arrived is not None, "the fake Discord API is not running"
        while len(self.messages) < count:
            self._arrived.clear()
            await self._arrived.wait()
        return self.messages

    async def start(self) -> None:
        self._arrived = asyncio.Event()
        app = web.Application()
        for prefix in ("/api/v10", "/api"):
            app.router.add_get(prefix + "/users/@me", self._me)
            app.router.add_get(prefix + "/oauth2/applications/@me", self._application)
            app.router.add_put(prefix + "/applications/{app_id}/commands", self._sync)
            app.router.add_post(prefix + "/channels/{channel_id}/messages", self._post_message)
            app.router.add_post(prefix + "/webhooks/{webhook_id}/{token}", self._execute_webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = 0

    # answers

    def _headers(self, bucket: str, remaining: int = 4, reset_after: float = 1.0) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{datetime.now(UTC).timestamp() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            "Via": "1.1 google",
        }

    def _error(
        self, status: int, code: int, message: str, bucket: str, retry_after: float = 1.0
    ) -> web.Response:
        headers = self._headers(bucket)
        body: dict[str, Any] = {"message": message, "code": code}
        if status == 429:
            body = {"message": message, "retry_after": retry_after, "global": False}
            headers.update(self._headers(bucket, 0, retry_after))
            headers["Retry-After"] = str(max(1, round(retry_after)))
            headers["X-RateLimit-Scope"] = "user"
        return _json(body, status=status, headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    def _scripted(self, target_id: int, bucket: str) -> web.Response | None:
        if not self._failures[target_id]:
            return None
        status, retry_after = self._failures[target_id].popleft()
        if status == 429:
            return self._error(429, 0, "You are being rate limited.", bucket, retry_after)
        if status == 403:
            return self._error(403, 50001, "Missing Access", bucket)
        if status == 404:
            return self._error(404, 10003, "Unknown Channel", bucket)
        return self._error(status, 0, "Internal Server Error", bucket)

    async def _me(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/users/@me"))
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized", "me")
        return _json(self._user(BOT_USER_ID, "digestbot", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized", "app")
        return _json(
            {
                "id": str(APPLICATION_ID),
                "name": "digestbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self._user(BOT_USER_ID + 1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized", "sync")
        commands = await request.json()
        self.synced_commands = commands
        answer = [
            {
                **command,
                "id": str(next(self._ids)),
                "application_id": str(APPLICATION_ID),
                "version": "1",
                "type": command.get("type", 1),
                "default_member_permissions": command.get("default_member_permissions"),
            }
            for command in commands
        ]
        return _json(answer, headers=self._headers("sync"))

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        self.requests.append(("POST", f"/channels/{channel_id}/messages"))
        bucket = f"messages-{channel_id}"
        if not self._authorized(request):
            return self._error(401, 0, "401: Unauthorized", bucket)
        failure = self._scripted(channel_id, bucket)
        if failure is not None:
            return failure
        payload = await request.json()
        self.bodies.append(
            {"method": "POST", "path": request.path, "json": payload, "query": dict(request.query)}
        )
        reference = payload.get("message_reference")
        replied = None
        if reference is not None:
            replied = self._existing(channel_id, int(reference.get("message_id") or 0))
            if replied is None and reference.get("fail_if_not_exists", True):
                errors = {
                    "message_reference": {
                        "_errors": [
                            {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
                        ]
                    }
                }
                body = {"message": "Invalid Form Body", "code": 50035, "errors": errors}
                return _json(body, status=400, headers=self._headers(bucket))
        return self._accept(payload, channel_id, None, request, bucket, reference=replied)

    def _existing(self, channel_id: int, message_id: int) -> int | None:
        """``message_id`` when it is a message of the channel that was not deleted."""
        for message in self.messages:
            if message.id == message_id and message.channel_id == channel_id:
                return None if message_id in self.deleted else message_id
        return None

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        webhook_id = int(request.match_info["webhook_id"])
        self.requests.append(("POST", f"/webhooks/{webhook_id}"))
        bucket = f"webhook-{webhook_id}"
        if webhook_id not in self.webhooks:
            return self._error(404, 10015, "Unknown Webhook", bucket)
        if request.match_info["token"] != self.webhooks[webhook_id]:
            return self._error(401, 50027, "Invalid Webhook Token", bucket)
        failure = self._scripted(webhook_id, bucket)
        if failure is not None:
            return failure
        payload = await request.json()
        self.bodies.append(
            {"method": "POST", "path": request.path, "json": payload, "query": dict(request.query)}
        )
        response = self._accept(payload, webhook_id + 1, webhook_id, request, bucket)
        if request.query.get("wait") in ("1", "true"):
            return response
        return web.Response(status=204, headers=self._headers(bucket))

    def _accept(
        self,
        payload: dict[str, Any],
        channel_id: int,
        webhook_id: int | None,
        request: web.Request,
        bucket: str,
        *,
        reference: int | None = None,
    ) -> web.Response:
        problems = limit_problems(payload)
        if problems:
            errors = {}
            for problem in problems:  # Discord's shape: {"path": {"_errors": [{code, message}]}}
                path, _, text = problem.rpartition(": ")
                errors[path or "_base"] = {"_errors": [{"code": "BASE_TYPE_BAD", "message": text}]}
            body = {"message": "Invalid Form Body", "code": 50035, "errors": errors}
            return _json(body, status=400, headers=self._headers(bucket))
        message_id = next(self._ids)
        self.messages.append(
            Posted(message_id, channel_id, payload, webhook_id, dict(request.headers), reference)
        )
        if self._arrived is not None:
            self._arrived.set()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": payload.get("content", ""),
            "embeds": payload.get("embeds", []),
            "author": self._user(webhook_id or BOT_USER_ID, "digestbot", bot=True),
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "flags": 0,
        }
        if webhook_id is not None:
            data["webhook_id"] = str(webhook_id)
        if reference is not None:
            data["type"] = 19  # a reply
            data["message_reference"] = {
                "type": 0,
                "message_id": str(reference),
                "channel_id": str(channel_id),
            }
        return _json(data, headers=self._headers(bucket))

    @staticmethod
    def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": bot,
            "flags": 0,
        }


@pytest_asyncio.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    """A running fake Discord API on loopback, with discord.py's URLs pointed at it."""
    import discord.http

    api = FakeDiscordAPI()
    await api.start()
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    try:
        yield api
    finally:
        await api.stop()
