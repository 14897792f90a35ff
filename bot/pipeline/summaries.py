"""Summaries of the stories whose articles changed: the LLM while the day's budget lasts, the
offline extract otherwise (see ``bot.summarize``), each metered (``bot.llm.usage``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import LLMSettings
from bot.llm.usage import LLMBudget
from bot.models import Story, Summary
from bot.store.archive import Archive
from bot.summarize import FallbackSummarizer
from bot.summarize.refresh import stale_stories

SUMMARY_CONCURRENCY = 4
"""Stories summarized at the same time (LLM requests in flight)."""


class Summaries:
    """Summarizes what changed since the last summaries, within the LLM budget."""

    def __init__(
        self,
        *,
        settings: LLMSettings,
        archive: Archive,
        summarizer: FallbackSummarizer,
        budget: LLMBudget,
        horizon: timedelta,
        now: Callable[[], datetime],
    ) -> None:
        """``horizon`` is the stories' (``[stories] horizon_hours``): a story with no article
        in the last two horizons is closed and never summarized again."""
        self.settings = settings
        self.archive = archive
        self.summarizer = summarizer
        self.budget = budget
        self._horizon = horizon
        self._now = now

    async def summarize(self) -> int:
        """Summarize every story whose articles changed; returns how many were summarized."""
        now = self._now()
        stories = stale_stories(
            self.archive.summaries_to_check(since=now - 2 * self._horizon),
            resummarize_after=self.settings.resummarize_new_articles,
        )
        limit = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def one(story: Story) -> Summary:
            async with limit:
                if not self.budget.allows():
                    return self.summarizer.offline(story)
                summary = await self.summarizer.summarize(story)
                self.budget.record()
                return summary

        summaries = await asyncio.gather(*(one(story) for story in stories))
        for story, summary in zip(stories, summaries, strict=True):
            self.archive.save_summary(story, summary, self._now())
        return len(stories)
