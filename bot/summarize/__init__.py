"""Story summaries in Arabic and English: an LLM when configured, else an offline extract.

::

    FallbackSummarizer.summarize(story)
        primary (LLMSummarizer) configured? → its summary
        no primary, or SummarizeError        → offline_summary(story), one warning logged

The LLM summarizer is ``bot.summarize.llm.LLMSummarizer``; this package does not import it, so
the offline path never loads the openai SDK.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.errors import SummarizeError
from bot.models import Story, Summary
from bot.summarize.offline import EntityScore, offline_summary

log = logging.getLogger(__name__)


class Summarizer(Protocol):
    """Makes one story's bilingual summary."""

    async def summarize(self, story: Story) -> Summary:
        """The story's summary.

        Raises ``SummarizeError`` when no usable summary could be made (network, timeout or
        API error, or an answer that failed validation twice). Nothing else on purpose.
        """
        ...

    async def aclose(self) -> None:
        """Release connections; the summarizer is not used afterwards."""
        ...


class FallbackSummarizer:
    """A ``Summarizer`` that never fails: the primary's summary, or the offline one."""

    def __init__(
        self,
        primary: Summarizer | None,
        *,
        entity_score: EntityScore | None = None,
        max_sentences: int = 2,
        max_chars: int = 400,
    ) -> None:
        self._primary = primary
        self._entity_score = entity_score
        self._max_sentences = max_sentences
        self._max_chars = max_chars

    def offline(self, story: Story) -> Summary:
        """The offline summary with this summarizer's settings."""
        return offline_summary(
            story,
            entity_score=self._entity_score,
            max_sentences=self._max_sentences,
            max_chars=self._max_chars,
        )

    async def summarize(self, story: Story) -> Summary:
        """The primary's summary, or the offline one when there is no primary or it fails."""
        if self._primary is None:
            return self.offline(story)
        try:
            return await self._primary.summarize(story)
        except SummarizeError as err:
            log.warning(
                "story %s: LLM summary failed (%s); using the offline summary", story.id, err
            )
            return self.offline(story)

    async def aclose(self) -> None:
        if self._primary is not None:
            await self._primary.aclose()
