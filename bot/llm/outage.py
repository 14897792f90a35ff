"""When to call an LLM endpoint again after it failed. Pure: the caller passes the time.

::

    call fails (network, timeout, HTTP error)  → down: no call for FIRST_WAIT, then one try
                                                 (one at a time); each failed try doubles the
                                                 wait, up to MAX_WAIT
    a call answers                             → up again
    failures of calls already in flight when the outage began count once

While the endpoint is down, stories get the offline summary at once instead of each paying the
SDK's retries and timeouts, and the endpoint gets one request per wait instead of three per
story: a whole day down costs about ``24 h / MAX_WAIT`` requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=30)


@dataclass
class Outage:
    """The state of one endpoint: up, or down since ``since`` with the next try at
    ``retry_at``."""

    first_wait: timedelta = FIRST_WAIT
    max_wait: timedelta = MAX_WAIT
    since: datetime | None = None
    retry_at: datetime | None = None
    wait: timedelta | None = None

    probing: bool = False
    """A try is in flight while the endpoint is down: the other calls wait for its outcome."""

    @property
    def down(self) -> bool:
        return self.since is not None

    def may_call(self, now: datetime) -> bool:
        """Whether a call may go out at ``now``; while down, this takes the one try, which ends
        with ``failed``, ``answered`` or ``abandoned``."""
        if self.since is None:
            return True
        if self.probing or (self.retry_at is not None and now < self.retry_at):
            return False
        self.probing = True
        return True

    def failed(self, now: datetime) -> bool:
        """Record a failed call; returns True when this failure began the outage."""
        if self.since is not None and not self.probing:
            return False  # a call already in flight when the outage began
        self.probing = False
        began = self.since is None
        if began:
            self.since = now
        self.wait = self.first_wait if self.wait is None else min(2 * self.wait, self.max_wait)
        self.retry_at = now + self.wait
        return began

    def answered(self) -> datetime | None:
        """Record a call that was answered; returns when the outage began, if there was one."""
        since = self.since
        self.since = self.retry_at = self.wait = None
        self.probing = False
        return since

    def abandoned(self) -> None:
        """The try ended without an outcome (cancelled): the next call may try again."""
        self.probing = False
