"""``digestbot classify``: the topic filter over JSON lines, for operators tuning a topic file
and for measuring the filter on a labelled set.

Each input line is an object ``{"id", "title", "summary"?, "content"?, "lang"?}`` (other keys,
such as a label, are ignored); each output line is ``{"id", "relevant", "score", "matched",
"reason"}``, in input order. A line that cannot be classified becomes an error line
``{"id", "line", "error"}`` in its place, so nothing is lost and nothing stops the run; blank lines
are skipped. Pure apart from the iterables it is given: the caller owns the streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from bot.models import Decision
from bot.topic.matcher import TopicMatcher

_OPTIONAL_TEXT = ("summary", "content", "lang")


class _BadLine(ValueError):
    """One input line is unusable; ``str(err)`` says why, ``item_id`` is its id if it had one."""

    def __init__(self, message: str, item_id: str | int | None = None) -> None:
        super().__init__(message)
        self.item_id = item_id


def decision_record(item_id: str | int | None, decision: Decision) -> dict[str, Any]:
    """The output object for one classified item."""
    return {
        "id": item_id,
        "relevant": decision.relevant,
        "score": decision.score,
        "matched": list(decision.matched),
        "reason": decision.reason,
    }


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def _parse(line: str) -> tuple[str | int, str, str, str]:
    """(id, title, summary, content) of one input line; raises ``_BadLine``."""
    try:
        item = json.loads(line)
    except ValueError as exc:  # JSONDecodeError, and lone surrogates that cannot decode
        raise _BadLine(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise _BadLine("not valid JSON: nested too deeply") from None
    if not isinstance(item, dict):
        raise _BadLine(f"expected a JSON object, got {type(item).__name__}")
    item_id = item.get("id")
    # bool is an int subclass, and true/false ids are surely a mistake
    if item_id is None:
        raise _BadLine("missing 'id'")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int):
        raise _BadLine(f"'id' must be a string or an integer, got {type(item_id).__name__}")
    title = item.get("title")
    if title is None:
        raise _BadLine("missing 'title'", item_id)
    if not isinstance(title, str):
        raise _BadLine(f"'title' must be a string, got {type(title).__name__}", item_id)
    texts: dict[str, str] = {}
    for key in _OPTIONAL_TEXT:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise _BadLine(f"{key!r} must be a string, got {type(value).__name__}", item_id)
        texts[key] = value or ""
    return item_id, title, texts["summary"], texts["content"]


def classify_jsonl(lines: Iterable[str], matcher: TopicMatcher) -> Iterator[tuple[str, bool]]:
    """One ``(output JSON line, ok)`` per non-blank input line, in order.

    ``ok`` is False for an error line ``{"id": <id or null>, "line": n, "error": "..."}``, where
    ``n`` counts every input line from 1, blank ones included, so it points into the file.
    """
    for number, raw in enumerate(lines, start=1):
        line = raw.removeprefix("\ufeff") if number == 1 else raw
        if not line.strip():
            continue
        try:
            item_id, title, summary, content = _parse(line)
        except _BadLine as err:
            yield _dump({"id": err.item_id, "line": number, "error": str(err)}), False
            continue
        decision = matcher.classify(title, summary, content)
        yield _dump(decision_record(item_id, decision)), True


def classify_text(text: str, matcher: TopicMatcher) -> dict[str, Any]:
    """One item given as plain text: the first non-blank line is its title, the rest its
    summary. The record's ``id`` is null."""
    title, _, summary = text.strip().partition("\n")
    return decision_record(None, matcher.classify(title, summary))
