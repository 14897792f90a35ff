"""The stories a digest had no room for, offered page by page. Pure.

A digest shows the first ``[digest] max_stories`` stories (``bot.digest.compose``); the ids of
the others, in order, are kept in the archive under a short page token (``bot.store.pages``).
Each platform turns a ``MoreOffer`` into its own button (Telegram's inline keyboard, Discord's
component) whose data names the token and where the next page starts: a few bytes, whatever the
number of stories (Telegram allows 64 bytes of callback data, Discord 100 of custom id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import Catalog
from bot.models import Digits

PREFIX = "more"
_DATA = re.compile(rf"^{PREFIX}:([A-Za-z0-9_-]{{1,32}}):(\d{{1,6}})$")


@dataclass(frozen=True, slots=True)
class MoreOffer:
    """The button under a digest's last part: the next ``count`` stories of the page token
    ``token``, starting at ``offset`` in its list; labelled in ``lang`` and ``digits``."""

    token: str
    offset: int
    count: int
    lang: str
    digits: Digits = "latn"

    @property
    def data(self) -> str:
        """What the button carries back: ``more:TOKEN:OFFSET``."""
        return f"{PREFIX}:{self.token}:{self.offset}"

    def label(self, catalog: Catalog) -> str:
        return catalog.t(self.lang, "digest.more_button", count=self.count, digits=self.digits)


def parse_data(data: str | None) -> tuple[str, int] | None:
    """The token and offset a pressed button carries; None for anything else."""
    match = _DATA.match(data or "")
    return (match.group(1), int(match.group(2))) if match else None


def offer_after(
    token: str, offset: int, remaining: int, page: int, lang: str, digits: Digits
) -> MoreOffer | None:
    """The offer of the next page when ``remaining`` stories are left from ``offset``."""
    if remaining <= 0:
        return None
    return MoreOffer(
        token=token, offset=offset, count=min(page, remaining), lang=lang, digits=digits
    )
