"""``digestbot classify``: the topic filter's verdicts on a JSON-lines file or one text."""

from __future__ import annotations

import json
import sys

from bot.cli.command import Call, arg, command
from bot.errors import DigestbotError


@command(
    "classify",
    en="run the topic filter on a JSON-lines file (or --text) and print one verdict per item",
    ar="تشغيل مرشح الموضوع على ملف JSON-lines (أو ‎--text) وطباعة حكم لكل عنصر",
    args=(
        arg(
            "file",
            nargs="?",
            en='JSON lines {"id", "title", "summary"?, "content"?, "lang"?}; - for standard input',
            ar='أسطر JSON بالحقول {"id", "title", "summary"?, "content"?, "lang"?}؛'
            " - للإدخال القياسي",
        ),
        arg(
            "--text",
            en="classify this one text instead of a file",
            ar="تصنيف هذا النص وحده بدل ملف",
        ),
    ),
)
def classify(call: Call) -> int:
    """One JSON line per input line, in order; a bad line gets an error line, never a stop."""
    from bot.topic.classify import classify_jsonl, classify_text
    from bot.topic.configured import build_matcher

    args, out = call.args, call.out
    if (args.file is None) == (args.text is None):
        raise DigestbotError("classify takes a JSON-lines file or --text, one of the two")
    matcher = build_matcher(call.settings)
    if args.text is not None:
        out.write(json.dumps(classify_text(args.text, matcher), ensure_ascii=False) + "\n")
        return 0
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise DigestbotError(f"{args.file}: cannot be read: {exc.strerror}") from None
    failed = 0
    with stream:
        try:
            for line, ok in classify_jsonl(stream, matcher):
                out.write(line + "\n")
                failed += not ok
        except UnicodeDecodeError as exc:
            raise DigestbotError(f"{args.file}: not UTF-8 text ({exc.reason})") from None
    if failed:
        print(f"digestbot: {failed} lines could not be classified", file=sys.stderr)
    return 1 if failed else 0
