"""``classify_jsonl`` / ``classify_text``: one output line per input line, in order; a bad line
becomes an error line in its place; Arabic stays Arabic in the output."""

from __future__ import annotations

import json

import pytest

from bot.topic.classify import classify_jsonl, classify_text
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon


@pytest.fixture(scope="module")
def matcher() -> TopicMatcher:
    return TopicMatcher(load_lexicon())


def _line(**item: object) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"


def test_outputs_follow_input_order_with_the_decisions(matcher: TopicMatcher) -> None:
    lines = [
        _line(id="a", title="Putin and Kim Jong Un sign treaty in Pyongyang"),
        _line(id="b", title="Oil prices rise", summary="Brent rose 2%."),
        _line(id=7, title="بوتين يصل إلى بيونغ يانغ", lang="ar", relevant=True, note="extra keys"),
    ]
    out = [(json.loads(line), ok) for line, ok in classify_jsonl(lines, matcher)]
    assert [record["id"] for record, _ in out] == ["a", "b", 7]
    assert all(ok for _, ok in out)
    first = out[0][0]
    assert set(first) == {"id", "relevant", "score", "matched", "reason"}
    assert first["relevant"] is True
    assert first["matched"] == ["nk:kim-jong-un", "nk:pyongyang", "ru:putin"]
    assert first["reason"] == matcher.classify(json.loads(lines[0])["title"]).reason
    assert out[1][0]["relevant"] is False
    assert out[1][0]["reason"] == "names neither side"
    assert out[2][0]["relevant"] is True


def test_summary_and_content_are_used(matcher: TopicMatcher) -> None:
    title = "Kim Jong Un inspects artillery factory"
    lead = "The plant supplies shells to Russia, KCNA said."
    (bare, _), (with_summary, _), (with_content, _) = classify_jsonl(
        [_line(id=1, title=title), _line(id=2, title=title, summary=lead),
         _line(id=3, title=title, summary=None, content=lead)],
        matcher,
    )  # fmt: skip
    assert json.loads(bare)["relevant"] is False
    assert json.loads(with_summary)["relevant"] is True
    assert json.loads(with_content)["relevant"] is True


def test_bad_lines_become_error_lines_in_place(matcher: TopicMatcher) -> None:
    lines = [
        _line(id="ok1", title="Moscow and Pyongyang sign pact"),
        "{not json\n",
        "[1, 2]\n",
        _line(title="no id here"),
        _line(id="t1"),
        _line(id="t2", title=["a list"]),
        _line(id="t3", title="x", summary=5),
        _line(id=True, title="x"),
        _line(id="t4", title="x", lang=3),
        "\n",
        "   \n",
        _line(id="ok2", title="Lavrov in Pyongyang"),
    ]
    out = list(classify_jsonl(lines, matcher))
    assert len(out) == 10  # the two blank lines are skipped, nothing else is lost
    records = [json.loads(line) for line, _ in out]
    assert [ok for _, ok in out] == [True] + [False] * 8 + [True]
    errors = records[1:9]
    assert [e["line"] for e in errors] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert [e["id"] for e in errors] == [None, None, None, "t1", "t2", "t3", None, "t4"]
    messages = [e["error"] for e in errors]
    assert messages[0].startswith("not valid JSON")
    assert messages[1] == "expected a JSON object, got list"
    assert messages[2] == "missing 'id'"
    assert messages[3] == "missing 'title'"
    assert messages[4] == "'title' must be a string, got list"
    assert messages[5] == "'summary' must be a string, got int"
    assert messages[6] == "'id' must be a string or an integer, got bool"
    assert messages[7] == "'lang' must be a string, got int"
    assert all(set(e) == {"id", "line", "error"} for e in errors)
    assert records[9]["id"] == "ok2"  # line numbers count the skipped blank lines
    assert records[9]["relevant"] is True


def test_unicode_is_kept_and_a_bom_is_ignored(matcher: TopicMatcher) -> None:
    lines = ["\ufeff" + _line(id="م-١", title="كيم جونغ أون يصل إلى موسكو")]
    ((line, ok),) = classify_jsonl(lines, matcher)
    assert ok
    assert '"id": "م-١"' in line  # not \u escapes
    assert json.loads(line)["relevant"] is True


def test_error_line_for_deeply_nested_json(matcher: TopicMatcher) -> None:
    ((line, ok),) = classify_jsonl(["[" * 100_000 + "]" * 100_000], matcher)
    assert not ok
    assert json.loads(line)["error"].startswith("not valid JSON")


def test_classify_text(matcher: TopicMatcher) -> None:
    record = classify_text("Kim Jong Un inspects factory\nShells go to Russia, KCNA said.", matcher)
    assert record == {
        "id": None,
        "relevant": True,
        "score": 0.8,
        "matched": ["nk:kcna", "nk:kim-jong-un", "ru:russia"],
        "reason": "title names nk:kim-jong-un, first sentence names ru:russia",
    }
    assert classify_text("  Oil prices rise  ", matcher)["relevant"] is False
