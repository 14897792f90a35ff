"""The one OpenAI-compatible client: SDK set-up, token limits and usage counting.

Works with any OpenAI-compatible endpoint (``base_url``: OpenAI, Ollama, vLLM, llama.cpp). The
summarizer (``bot.summarize.llm``) and the topic's second opinion (``bot.topic.second_opinion``)
each hold one; what they ask and how they check the answer stays theirs. While the endpoint is
down (``bot.llm.outage``) a try goes out once, through ``probe``, without the SDK's retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import openai

from bot.errors import ConfigError
from bot.llm.usage import AnswerError, LLMUsage

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion

# Local servers (Ollama, llama.cpp) need no key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "no-key"


class TokenLimit(TypedDict):
    """The keyword arguments of ``chat.completions.create`` that cap an answer's length."""

    max_tokens: int | openai.Omit
    max_completion_tokens: int | openai.Omit


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


class LLMClient:
    """One endpoint's SDK client, its usage and the name of its token-limit parameter."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        timeout_s: float,
        max_retries: int,
        purpose: str,
    ) -> None:
        """``base_url=None`` means the SDK's default endpoint; ``api_key=None`` with a custom
        ``base_url`` sends a placeholder key, and with the default endpoint lets the SDK read
        ``OPENAI_API_KEY``. ``max_retries`` is the SDK's own retry count for 408/409/429/5xx
        and connection errors, with its backoff (honouring ``Retry-After``). ``purpose`` names
        the user in the ConfigError raised when the SDK refuses the settings."""
        if api_key is None and base_url is not None:
            api_key = PLACEHOLDER_KEY
        try:
            self.sdk = openai.AsyncOpenAI(
                base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries
            )
        except openai.OpenAIError as err:
            raise ConfigError(
                f"{purpose}: cannot set up the OpenAI client: {describe_error(err)}"
            ) from None
        # One request per try while the endpoint is down: the SDK's retries would only repeat it.
        self.probe = self.sdk.with_options(max_retries=0)
        # OpenAI's reasoning models accept only max_completion_tokens, while several
        # OpenAI-compatible servers still know only the older max_tokens.
        self._old_limit = base_url is not None
        self.usage = LLMUsage()

    def token_limit(self, tokens: int) -> TokenLimit:
        """An answer of at most ``tokens``, in the parameter this endpoint knows."""
        if self._old_limit:
            return TokenLimit(max_tokens=tokens, max_completion_tokens=openai.omit)
        return TokenLimit(max_tokens=openai.omit, max_completion_tokens=tokens)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.sdk.close()
