"""The LLM summarizer: one chat-completions call per story, both languages at once.

Works with any OpenAI-compatible endpoint (``base_url``: OpenAI, Ollama, vLLM, llama.cpp).

::

    messages = system prompt + the story's articles as quoted data     (prompt.py)
    answer   = chat.completions.create(..., strict JSON schema)         SDK retries 408/409/429/5xx
    check    = parse_answer(answer)                                     (schema.py)
               and its grounding in the articles sent                   (grounding.py)
    invalid  → one more call with a note saying why → still invalid → SummarizeError
               (each rejection counted by reason in ``usage.rejections``)
    network, timeout or API error after the SDK's retries            → SummarizeError
    endpoint down (see outage.py)  → SummarizeError without a call until the next try, and
                                     that try is one request, without the SDK's retries
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import openai

from bot.errors import ConfigError, SummarizeError
from bot.llm.outage import Outage
from bot.models import Story, Summary
from bot.summarize.grounding import Sources, Ungrounded, check_grounding
from bot.summarize.prompt import build_messages, pick_articles, retry_message
from bot.summarize.schema import RESPONSE_FORMAT, AnswerError, LLMAnswer, parse_answer
from bot.topic.lexicon import Lexicon, load_lexicon

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.chat.completion_create_params import ResponseFormat

log = logging.getLogger(__name__)

# Local servers (Ollama, llama.cpp) need no key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "no-key"
_ATTEMPTS = 2
DEFAULT_MAX_TOKENS = 1200


@dataclass(slots=True)
class LLMUsage:
    """What the summarizer has spent since it was created."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    invalid_answers: int = 0
    failures: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    """Invalid answers by reason: ``format`` or a grounding reason (``number``, ``name``,
    ``instruction``); the values add up to ``invalid_answers``."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def describe_error(err: openai.OpenAIError) -> str:
    """One line about an SDK error, without the request or response bodies."""
    if isinstance(err, openai.APIStatusError):
        return f"{type(err).__name__} (HTTP {err.status_code})"
    return type(err).__name__


def answer_content(response: ChatCompletion, usage: LLMUsage) -> str | None:
    """The text of a chat completion, with its tokens added to ``usage``.

    Raises ``AnswerError`` for an answer that cannot be used whatever it says: no choices, a
    refusal, or one cut short (any finish reason but ``stop``).
    """
    if response.usage is not None:
        usage.prompt_tokens += response.usage.prompt_tokens
        usage.completion_tokens += response.usage.completion_tokens
    if not response.choices:
        raise AnswerError("no choices in the answer")
    choice = response.choices[0]
    if choice.message.refusal:
        raise AnswerError("the model refused")
    if choice.finish_reason != "stop":
        raise AnswerError(f"answer ended with finish_reason={choice.finish_reason}")
    return choice.message.content


class LLMSummarizer:
    """Summarizes a story with a chat-completions model; raises ``SummarizeError`` on failure."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        temperature: float | None = 0.2,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        now: Callable[[], datetime] | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        """``base_url=None`` means the SDK's default endpoint; ``api_key=None`` with a custom
        ``base_url`` sends a placeholder key, and with the default endpoint lets the SDK read
        ``OPENAI_API_KEY``. ``max_retries`` is the SDK's own retry count for 408/409/429/5xx
        and connection errors, with its backoff (honouring ``Retry-After``); while the endpoint
        is down, its tries go without them. ``now`` is the clock of the outage's waits.
        ``lexicon`` gives the grounding check the topic's names in both languages (the packaged
        topic when None)."""
        if api_key is None and base_url is not None:
            api_key = PLACEHOLDER_KEY
        try:
            self._client = openai.AsyncOpenAI(
                base_url=base_url,
                api_key=api_key,
                timeout=timeout_s,
                max_retries=max_retries,
            )
        except openai.OpenAIError as err:
            raise ConfigError(
                f"llm: cannot set up the OpenAI client: {describe_error(err)}"
            ) from None
        # One request per try while the endpoint is down: the SDK's retries would only repeat it.
        self._probe = self._client.with_options(max_retries=0)
        self._now = now or (lambda: datetime.now(UTC))
        self.outage = Outage()
        self.model = model
        self._temperature = temperature
        self._max_tokens = max_tokens
        # OpenAI's reasoning models accept only max_completion_tokens, while several
        # OpenAI-compatible servers still know only the older max_tokens.
        self._limit_name = "max_completion_tokens" if base_url is None else "max_tokens"
        self.usage = LLMUsage()
        self._lexicon = lexicon if lexicon is not None else load_lexicon()

    async def summarize(self, story: Story) -> Summary:
        """One story's headline and summary in Arabic and English, validated."""
        if not story.articles:
            raise SummarizeError(f"story {story.id} has no articles")
        if not self.outage.may_call(self._now()):
            assert self.outage.retry_at is not None
            raise SummarizeError(
                f"the LLM endpoint is down, next try at {self.outage.retry_at:%H:%M:%S %Z}"
            )
        probe = self.outage.probing  # this call is the one try while the endpoint is down
        try:
            messages = build_messages(story)
            sources = Sources.of(pick_articles(story.articles), self._lexicon)
            problem = ""
            for attempt in range(_ATTEMPTS):
                asked = messages if attempt == 0 else [*messages, retry_message(problem)]
                try:
                    answer = parse_answer(await self._complete(asked))
                    self._check_grounding(answer, sources)
                    return answer.to_summary(self.model)
                except AnswerError as err:
                    self.usage.invalid_answers += 1
                    self.usage.rejections[err.kind] += 1
                    problem = str(err)
                    log.info("story %s: LLM answer rejected (%s): %s", story.id, err.kind, err)
        finally:
            if probe:
                self.outage.abandoned()  # a try cut short (cancelled) must not block the next
        self.usage.failures += 1
        raise SummarizeError(f"story {story.id}: invalid LLM answer twice, last: {problem}")

    def _check_grounding(self, answer: LLMAnswer, sources: Sources) -> None:
        """``AnswerError`` (kind: the reason) unless the answer says only what ``sources`` do."""
        fields = {name: getattr(answer, name) for name in type(answer).model_fields}
        try:
            check_grounding(fields, sources, self._lexicon)
        except Ungrounded as err:
            raise AnswerError(str(err), kind=err.kind) from None

    async def _complete(self, messages: list[dict[str, str]]) -> str | None:
        """The answer's text. A cut-off or refused answer raises ``AnswerError`` (it must not
        pass even if it happens to parse); API errors become ``SummarizeError``."""
        self.usage.calls += 1
        limit = self._max_tokens
        client = self._probe if self.outage.down else self._client
        try:
            response: ChatCompletion = await client.chat.completions.create(
                model=self.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                response_format=cast("ResponseFormat", RESPONSE_FORMAT),
                temperature=openai.omit if self._temperature is None else self._temperature,
                max_tokens=limit if self._limit_name == "max_tokens" else openai.omit,
                max_completion_tokens=openai.omit if self._limit_name == "max_tokens" else limit,
            )
        except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
            # this request was refused (too long, say), not the endpoint down: others may pass
            self.usage.failures += 1
            if self.outage.down:
                self.outage.answered()  # it answered, so it is up
            raise SummarizeError(f"LLM request refused: {describe_error(err)}") from err
        except openai.OpenAIError as err:
            self.usage.failures += 1
            if self.outage.failed(self._now()):
                log.warning(
                    "the LLM endpoint fails (%s): offline summaries until it answers again",
                    describe_error(err),
                )
            raise SummarizeError(f"LLM request failed: {describe_error(err)}") from err
        since = self.outage.answered()
        if since is not None:
            log.info("the LLM endpoint answers again (it failed from %s)", f"{since:%H:%M %Z}")
        return answer_content(response, self.usage)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()
