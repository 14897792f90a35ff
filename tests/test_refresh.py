"""When a story's summary is redone (pure): the rule behind the LLM call count."""

from __future__ import annotations

import pytest

from bot.models import SummaryState
from bot.summarize.refresh import summary_is_stale

EN = frozenset({"en"})
BOTH = frozenset({"ar", "en"})


@pytest.mark.parametrize(
    ("done", "articles", "langs", "stale"),
    [
        # never summarized
        (None, 1, EN, True),
        # an LLM summary: only material growth (3 new reports here) makes it stale
        (SummaryState(1, EN, "llm"), 1, EN, False),
        (SummaryState(1, EN, "llm"), 3, EN, False),
        (SummaryState(1, EN, "llm"), 2, BOTH, False),  # a new language: both are written
        (SummaryState(1, EN, "llm"), 4, BOTH, True),
        (SummaryState(1, EN, "llm"), 4, EN, True),
        # an extract is redone on any change (for free while the LLM is off, with one call to
        # upgrade it once the LLM is back), and not before a change
        (SummaryState(1, EN, "offline"), 1, EN, False),
        (SummaryState(2, BOTH, "offline"), 2, BOTH, False),
        (SummaryState(1, EN, "offline"), 2, EN, True),
        (SummaryState(1, EN, "offline"), 2, BOTH, True),
        (SummaryState(2, EN, "offline"), 2, BOTH, True),  # same count, a new language
    ],
)
def test_summary_is_stale(
    done: SummaryState | None, articles: int, langs: frozenset[str], stale: bool
) -> None:
    assert summary_is_stale(done, articles=articles, langs=langs, resummarize_after=3) is stale
