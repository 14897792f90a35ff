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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import openai

from bot.errors import SummarizeError
from bot.llm.client import LLMClient, answer_content, describe_error
from bot.llm.outage import Outage
from bot.models import Story, Summary
from bot.summarize.grounding import Sources, Ungrounded, check_grounding
from bot.summarize.prompt import build_messages, pick_articles, retry_message
from bot.summarize.schema import RESPONSE_FORMAT, AnswerError, LLMAnswer, parse_answer
from bot.topic.lexicon import Lexicon
from bot.topic.topic_file import load_lexicon

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.chat.completion_create_params import ResponseFormat

log = logging.getLogger(__name__)

_ATTEMPTS = 2
DEFAULT_MAX_TOKENS = 1200


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
        """``base_url``, ``api_key``, ``timeout_s`` and ``max_retries`` set up the client as
        ``bot.llm.client.LLMClient`` says; while the endpoint is down, its tries go without the
        SDK's retries. ``now`` is the clock of the outage's waits.
        ``lexicon`` gives the instructions their topic and the grounding check the topic's names
        in both languages (the packaged topic when None)."""
        self._llm = LLMClient(
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            max_retries=max_retries,
            purpose="llm",
        )
        self._now = now or (lambda: datetime.now(UTC))
        self.outage = Outage()
        self.model = model
        self._temperature = temperature
        self._max_tokens = max_tokens
        self.usage = self._llm.usage
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
            messages = build_messages(story, self._lexicon.topic.about())
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
        client = self._llm.probe if self.outage.down else self._llm.sdk
        try:
            response: ChatCompletion = await client.chat.completions.create(
                model=self.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                response_format=cast("ResponseFormat", RESPONSE_FORMAT),
                temperature=openai.omit if self._temperature is None else self._temperature,
                **self._llm.token_limit(self._max_tokens),
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
        await self._llm.aclose()
