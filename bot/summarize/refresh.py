"""When a story's summary is stale: the rule that decides how many LLM calls the bot makes.

One LLM call writes the headline and summary in both languages, so a report in a language the
stories' earlier reports lacked does not make an LLM summary stale: only material growth does
(``[llm] resummarize_new_articles`` new reports). An offline summary is redone on any change:
while the next summary would be offline too that costs nothing (a story that gained its first
Arabic report gets an Arabic extract at once), and once the LLM is back (after an outage or a
spent budget) it upgrades the story to a bilingual summary with one call. A restart changes
nothing here: the state compared is the one stored with the summary.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Story, SummaryState


def summary_is_stale(
    done: SummaryState | None,
    *,
    articles: int,
    langs: frozenset[str],
    resummarize_after: int,
) -> bool:
    """Whether a story of ``articles`` reports in ``langs`` needs a new summary.

    ``done`` is its current summary (None: never summarized). Whether the next summary would
    come from the LLM does not matter: an extract is redone on any change either way.
    """
    if done is None:
        return True
    if articles - done.articles >= resummarize_after:
        return True
    if done.method != "llm":
        # An extract is redone whenever its story changed: for free while the LLM is off or
        # over budget, and with one call once it is back, so a story summarized during an
        # outage gets its bilingual summary when it next grows. An LLM summary, though, is
        # never swapped for a poorer extract because one more report arrived.
        return articles != done.articles or langs != done.langs
    return False


def stale_stories(
    candidates: Sequence[tuple[Story, SummaryState | None]], *, resummarize_after: int
) -> list[Story]:
    """The stories among ``candidates`` (``Archive.summaries_to_check``: each story with what
    its summary was made from) that need a new summary."""
    return [
        story
        for story, done in candidates
        if summary_is_stale(
            done,
            articles=len(story.articles),
            langs=frozenset(a.lang for a in story.articles),
            resummarize_after=resummarize_after,
        )
    ]
