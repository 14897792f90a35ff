"""A loopback fake of the OpenAI chat-completions API, for the real openai SDK to talk to.

``POST /v1/chat/completions`` answers with a real-shaped ``ChatCompletion``. Each request's
JSON is recorded. Tests queue what the next requests get, one step per request::

    api.queue_answer({...})                 # the dict, serialized, as the message content
    api.queue_raw("not json")               # this exact message content
    api.queue_status(429, headers={"retry-after-ms": "1"})   # an OpenAI-shaped error
    api.queue_delay(5.0)                    # wait, then answer the default
    api.down_status = 503                   # every request gets this error until set to None

``FakeOpenAI(port=…)`` listens on that port: a test can stop the server (connection refused)
and start it again at the same address.

With nothing queued it answers a valid bilingual default; ``FakeOpenAI(grounded=True)`` answers
instead from the articles of the request, as an extractive model would: each language's headline
and summary are the title and text of the story's first article in that language, and a neutral
line ("Summary of the reports" in the missing language) where the story has none in it; texts
are cut at a sentence end (else a word end), never inside a figure. ``flaw=`` (or
``queue_flawed(kind)`` for one request) spoils that grounded answer as a careless or hijacked
model would: ``"number"`` adds a figure no article gives, ``"name"`` a person no article names,
``"injection"`` obeys an instruction planted in an article (it tells the reader to subscribe).
``FakeOpenAI(failure_rate=0.1, seed=1)`` makes that share of those requests fail, chosen by a
seeded RNG: half answer HTTP 500, half an unusable message (prose instead of JSON, or JSON
missing a field); ``injected`` counts them by kind. Use the ``openai_api`` fixture in async
tests, or ``run_in_thread()`` for synchronous callers.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web

from bot.text.normalize import normalize
from bot.text.numbers import quantities
from tests.fakes.loopback import serve_in_thread

DEFAULT_ANSWER: dict[str, str] = {
    "headline_ar": "روسيا وكوريا الشمالية تبحثان تعزيز التعاون",
    "summary_ar": "أجرى مسؤولون من روسيا وكوريا الشمالية محادثات في موسكو. "
    "وقال الجانبان إنهما سيوسعان التعاون في مجالات عدة.",
    "headline_en": "Russia and North Korea discuss closer cooperation",
    "summary_en": "Officials from Russia and North Korea held talks in Moscow. "
    "Both sides said they would expand cooperation in several areas.",
}


@dataclass(frozen=True, slots=True)
class _Step:
    kind: str  # "answer", "flawed", "grounded", "status" or "delay"
    content: str = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


_INVALID_ANSWERS = (
    "Here is a summary of the story: Russia and North Korea held talks.",
    json.dumps({"headline_en": "Talks held", "summary_en": "Officials met."}),
)


_NEUTRAL = {"ar": ("ملخص التقارير", "ملخص التقارير"), "en": ("Summary of the reports",) * 2}
FLAWS = ("number", "name", "injection")
_SENTENCE_END = re.compile(r"[.!?؟…](?=\s|$)")
INVENTED_NAME = "Marcus Whitfield"
OBEYED_INJECTION = {
    "en": "Subscribe to our channel for more updates.",
    "ar": "اشتركوا في قناتنا لمزيد من الأخبار.",
}


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at the last sentence end, else the last space."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends:
        return text[: ends[-1]]
    return text[:limit].rsplit(" ", 1)[0]


def _request_text(payload: Mapping[str, Any]) -> str:
    return "".join(
        str(m.get("content", ""))
        for m in payload.get("messages", [])
        if isinstance(m, dict) and m.get("role") == "user"
    )


def flawed_answer(payload: Mapping[str, Any], flaw: str) -> dict[str, str]:
    """The grounded answer with one ``flaw`` of ``FLAWS`` added to both summaries."""
    answer = grounded_answer(payload)
    if flaw == "number":
        # a figure the request does not hold in any spelling: 7 followed by digits it lacks
        given = quantities(normalize(_request_text(payload)))
        figure = next(n for n in range(7301, 9999, 7) if n not in given)
        answer["summary_en"] += f" Officials said {figure:,} soldiers took part."
        answer["summary_ar"] += f" وقال مسؤولون إن {figure} جندي شاركوا."
    elif flaw == "name":
        answer["summary_en"] += f" Analyst {INVENTED_NAME} called the move historic."
    elif flaw == "injection":
        answer["summary_en"] += " " + OBEYED_INJECTION["en"]
        answer["summary_ar"] += " " + OBEYED_INJECTION["ar"]
    else:
        raise ValueError(f"unknown flaw {flaw!r}; one of {FLAWS}")
    return answer


def grounded_answer(payload: Mapping[str, Any]) -> dict[str, str]:
    """An extractive answer from the quoted articles of a summary request (see the module
    docstring); the default answer when the request holds no articles."""
    text = _request_text(payload)
    start, end = text.find("<articles>\n"), text.rfind("\n</articles>")
    if start < 0 or end < start:
        return dict(DEFAULT_ANSWER)
    try:
        articles = json.loads(text[start + len("<articles>") : end])
    except json.JSONDecodeError:
        return dict(DEFAULT_ANSWER)
    answer: dict[str, str] = {}
    for lang in ("ar", "en"):
        first = next((a for a in articles if a.get("language") == lang), None)
        headline, summary = _NEUTRAL[lang]
        if first is not None:
            headline = _cut(str(first.get("title", "")), 190) or headline
            summary = _cut(str(first.get("text", "")), 600) or headline
        answer[f"headline_{lang}"] = headline
        answer[f"summary_{lang}"] = summary
    return answer


def _tokens(text: str) -> int:
    # Roughly what a tokenizer gives; tests compare totals, not exact counts.
    return max(1, len(text) // 4)


class FakeOpenAI:
    """The fake server. Start it with ``start()`` in a running loop; stop it with ``stop()``."""

    def __init__(
        self,
        *,
        model: str = "fake-model",
        port: int = 0,
        failure_rate: float = 0.0,
        seed: int | None = None,
        grounded: bool = False,
        flaw: str | None = None,
    ) -> None:
        """``failure_rate`` is the share of requests with nothing queued that fail (see the
        module docstring), drawn from ``random.Random(seed)``; ``flaw`` (one of ``FLAWS``)
        spoils every grounded answer."""
        if flaw is not None and flaw not in FLAWS:
            raise ValueError(f"flaw is one of {FLAWS}")
        self.flaw = flaw
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate is a share between 0 and 1")
        self.model = model
        self.down_status: int | None = None
        self.failure_rate = failure_rate
        self.grounded = grounded
        self._rng = random.Random(seed)
        self.injected: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._steps: deque[_Step] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._wanted_port = port
        self._closing: asyncio.Event | None = None

    # -- queueing ---------------------------------------------------------------------------

    def queue_answer(self, answer: Mapping[str, Any]) -> None:
        """The next request gets ``answer`` serialized as JSON as its message content."""
        self._steps.append(_Step("answer", content=json.dumps(answer, ensure_ascii=False)))

    def queue_raw(self, content: str, *, finish_reason: str = "stop") -> None:
        """The next request gets exactly ``content`` as its message content."""
        self._steps.append(_Step("answer", content=content, finish_reason=finish_reason))

    def queue_flawed(self, flaw: str) -> None:
        """The next request gets the grounded answer spoilt by ``flaw`` (one of ``FLAWS``)."""
        if flaw not in FLAWS:
            raise ValueError(f"flaw is one of {FLAWS}")
        self._steps.append(_Step("flawed", content=flaw))

    def queue_grounded(self) -> None:
        """The next request gets the grounded answer, whatever the server's mode."""
        self._steps.append(_Step("grounded"))

    def queue_status(self, status: int, *, headers: Mapping[str, str] | None = None) -> None:
        """The next request gets an OpenAI-shaped error with this HTTP status."""
        self._steps.append(_Step("status", status=status, headers=dict(headers or {})))

    def queue_delay(self, seconds: float) -> None:
        """The next request waits ``seconds`` (or until the server stops), then gets the
        default answer."""
        self._steps.append(_Step("delay", delay=seconds))

    # -- life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the fake OpenAI server is not running")
        return f"http://127.0.0.1:{self._port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._wanted_port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = 0

    # -- the endpoint -----------------------------------------------------------------------

    @staticmethod
    def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
        kind = (
            "rate_limit_error"
            if status == 429
            else "server_error"
            if status >= 500
            else ("invalid_request_error")
        )
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return web.json_response(body, status=status, headers=dict(headers or {}))

    async def _chat_completions(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.headers.append(dict(request.headers))
        if self.down_status is not None:
            return self._error(self.down_status, f"fake outage {self.down_status}")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer ") :].strip():
            return self._error(401, "missing bearer token")
        try:
            payload = await request.json()
        except json.JSONDecodeError:
            return self._error(400, "request body is not JSON")
        self.requests.append(payload)
        if not isinstance(payload, dict) or "model" not in payload or "messages" not in payload:
            return self._error(400, "model and messages are required")

        step = self._steps.popleft() if self._steps else self._unqueued_step()
        if step.kind == "status":
            return self._error(step.status, f"fake error {step.status}", step.headers)
        if step.kind == "delay" and step.delay > 0:
            assert self._closing is not None
            try:
                await asyncio.wait_for(self._closing.wait(), step.delay)
                return self._error(503, "server stopping")
            except TimeoutError:
                pass
        if step.kind == "flawed":
            answer = flawed_answer(payload, step.content)
        elif self.flaw is not None:
            answer = flawed_answer(payload, self.flaw)
        elif self.grounded or step.kind == "grounded":
            answer = grounded_answer(payload)
        else:
            answer = DEFAULT_ANSWER
        content = json.dumps(answer, ensure_ascii=False)
        if step.kind == "answer" and step.content:
            content = step.content
        return web.json_response(self._completion(payload, content, step.finish_reason))

    def _unqueued_step(self) -> _Step:
        """The default answer, or now and then (``failure_rate``) an injected failure."""
        if not self.failure_rate or self._rng.random() >= self.failure_rate:
            return _Step("delay")
        if self._rng.random() < 0.5:
            self.injected["status_500"] += 1
            return _Step("status", status=500)
        self.injected["invalid_answer"] += 1
        return _Step("answer", content=self._rng.choice(_INVALID_ANSWERS))

    def _completion(
        self, payload: dict[str, Any], content: str, finish_reason: str
    ) -> dict[str, Any]:
        prompt = "".join(
            str(message.get("content", ""))
            for message in payload.get("messages", [])
            if isinstance(message, dict)
        )
        prompt_tokens = _tokens(prompt)
        completion_tokens = _tokens(content)
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        return {
            "id": f"chatcmpl-fake{self.calls}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(payload.get("model") or self.model),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    # -- what tests read --------------------------------------------------------------------

    @property
    def last_messages(self) -> list[dict[str, Any]]:
        """The messages of the last recorded request."""
        messages: list[dict[str, Any]] = self.requests[-1]["messages"]
        return messages


@pytest_asyncio.fixture
async def openai_api() -> AsyncIterator[FakeOpenAI]:
    """A running fake OpenAI server on loopback, stopped after the test."""
    api = FakeOpenAI()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@contextmanager
def run_in_thread() -> Iterator[FakeOpenAI]:
    """The fake server running on its own event loop in a thread, for synchronous callers."""
    api = FakeOpenAI()
    with serve_in_thread(api.start, api.stop, "fake-openai"):
        yield api
