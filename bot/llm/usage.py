"""What the LLM costs: each client's usage, and the daily token budget over the archive's
counters. Pure but for the ledger it is given; loads no SDK.

::

    before a call   budget.allows()   today's tokens (the ledger's) < daily budget, or no budget
    after a call    budget.record()   each client's calls, tokens and rejections since the
                                      last record, added to today's counters in the ledger
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class AnswerError(ValueError):
    """The model's answer is unusable; ``str(err)`` says why in one line, ``kind`` in one word
    (``format`` for an answer that breaks the rules of its schema, else the name of the check
    it failed, such as the grounding check's ``number``, ``name`` or ``instruction``)."""

    def __init__(self, message: str, kind: str = "format") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class LLMUsage:
    """What one client has spent since it was created."""

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


class UsageLedger(Protocol):
    """Where the daily counters are kept (``bot.store.archive.Archive``)."""

    def llm_tokens(self, day: str) -> int: ...

    def record_llm_use(
        self, day: str, kind: str, *, calls: int, prompt_tokens: int, completion_tokens: int
    ) -> None: ...

    def record_llm_rejections(self, day: str, kind: str, reason: str, count: int) -> None: ...


class LLMBudget:
    """The daily token budget shared by every LLM client of the bot, and their metering."""

    def __init__(
        self,
        ledger: UsageLedger,
        *,
        daily_tokens: int,
        now: Callable[[], datetime],
        meters: Sequence[tuple[str, LLMUsage]] = (),
    ) -> None:
        """``daily_tokens`` 0 means no budget; ``meters`` are (kind, usage) pairs, the kind
        being what the counters are recorded under (``summary``, ``second_opinion``)."""
        self._ledger = ledger
        self._daily_tokens = daily_tokens
        self._now = now
        self._meters = tuple(meters)
        self._metered: dict[str, tuple[int, int, int]] = {}
        self._rejected: dict[tuple[str, str], int] = {}

    def _day(self) -> str:
        return f"{self._now():%Y-%m-%d}"

    def allows(self) -> bool:
        """Whether a call may go out: today's tokens are still under the budget."""
        budget = self._daily_tokens
        return budget == 0 or self._ledger.llm_tokens(self._day()) < budget

    def record(self) -> None:
        """Add what each client spent since the last call to today's counters, and the answers
        it rejected, by reason."""
        day = self._day()
        for kind, usage in self._meters:
            last = self._metered.get(kind, (0, 0, 0))
            current = (usage.calls, usage.prompt_tokens, usage.completion_tokens)
            if current != last:
                self._ledger.record_llm_use(
                    day,
                    kind,
                    calls=current[0] - last[0],
                    prompt_tokens=current[1] - last[1],
                    completion_tokens=current[2] - last[2],
                )
                self._metered[kind] = current
            for reason, count in usage.rejections.items():
                done = self._rejected.get((kind, reason), 0)
                if count != done:
                    self._ledger.record_llm_rejections(day, kind, reason, count - done)
                    self._rejected[kind, reason] = count
