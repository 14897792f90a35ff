"""How the stores write times: ISO 8601 in UTC, so that SQL compares them correctly as text."""

from __future__ import annotations

from datetime import UTC, datetime


def to_text(value: datetime) -> str:
    # 12:00+03:00 and 09:00Z are one instant and must sort as one
    return value.astimezone(UTC).isoformat()


def from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)
