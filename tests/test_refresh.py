"""When a story's summary is redone (pure): the rule behind the LLM call count."""

from __future__ import annotations

import pytest

from bot.summarize.refresh import SummaryState, summary_is_stale

EN = frozenset({"en"})
BOTH = frozenset({"ar", "en"})


@pytest.mark.parametrize(
    ("done", "articles", "langs", "llm", "stale"),
    [
        # never summarized
        (None, 1, EN, True, True),
        (None, 1, EN, False, True),
        # an LLM summary: only material growth (3 new reports here) makes it stale
        (SummaryState(1, EN, "llm"), 1, EN, True, False),
        (SummaryState(1, EN, "llm"), 3, EN, True, False),
        (SummaryState(1, EN, "llm"), 2, BOTH, True, False),  # a new language: both are written
        (SummaryState(1, EN, "llm"), 4, BOTH, True, True),
        # ... and it is not swapped for an extract when the next summary would be offline
        (SummaryState(1, EN, "llm"), 2, BOTH, False, False),
        (SummaryState(1, EN, "llm"), 4, EN, False, True),
        # an offline summary is redone on any change while the next one is offline too
        (SummaryState(1, EN, "offline"), 1, EN, False, False),
        (SummaryState(1, EN, "offline"), 2, EN, False, True),
        (SummaryState(1, EN, "offline"), 2, BOTH, False, True),
        # ... and with the LLM back, any change upgrades it with one call (not before a change:
        # a story that stopped growing keeps its extract)
        (SummaryState(1, EN, "offline"), 1, EN, True, False),
        (SummaryState(1, EN, "offline"), 2, EN, True, True),
        (SummaryState(1, EN, "offline"), 2, BOTH, True, True),
    ],
)
def test_summary_is_stale(
    done: SummaryState | None, articles: int, langs: frozenset[str], llm: bool, stale: bool
) -> None:
    assert (
        summary_is_stale(done, articles=articles, langs=langs, llm=llm, resummarize_after=3)
        is stale
    )
