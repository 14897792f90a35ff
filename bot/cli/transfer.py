"""``digestbot export FILE`` and ``digestbot import FILE`` (``-``: the standard streams): the
chats and feeds, carried to another install. What was done goes to standard error, so that
``export -`` prints the document alone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, command, run_async
from bot.errors import DigestbotError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.ops.transfer import ExportDocument


@command(
    "export",
    en="write the chats (subscriptions, settings) and the feeds to a JSON file",
    ar="كتابة المحادثات (الاشتراكات والإعدادات) والخلاصات في ملف JSON",
    args=(
        arg(
            "file",
            en="the JSON file to write; - for standard output",
            ar="ملف JSON المطلوب كتابته؛ - للإخراج القياسي",
        ),
    ),
)
def export_command(call: Call) -> int:
    print(run_async(export_data(call.settings, call.args.file, call.out)), file=sys.stderr)
    return 0


@command(
    "import",
    en="add or update the chats and feeds of a file made by 'export'; an invalid file"
    " changes nothing",
    ar="إضافة المحادثات والخلاصات من ملف أنشأه الأمر 'export' أو تحديثها؛"
    " الملف غير الصالح لا يغير شيئًا",
    args=(
        arg(
            "file",
            en="the JSON file made by 'digestbot export'; - for standard input",
            ar="ملف JSON الذي أنشأه 'digestbot export'؛ - للإدخال القياسي",
        ),
    ),
)
def import_command(call: Call) -> int:
    file = call.args.file
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise DigestbotError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    source = "standard input" if file == "-" else file
    print(run_async(import_data(call.settings, source, raw)), file=sys.stderr)
    return 0


async def export_data(settings: Settings, target: str, out: TextIO) -> str:
    """``digestbot export FILE|-``: returns a line saying what was exported."""
    from bot.app.container import services
    from bot.ops import transfer
    from bot.store.state_file import write_file_atomically

    async with services(settings) as svc:
        svc.poller.feeds()  # stores the configured feeds, so that the export lists them
        document = transfer.export_document(
            svc.state.chats(), svc.state.feeds(), svc.archive.last_digest_ends(), svc.now()
        )
    text = transfer.dumps(document)
    if target == "-":
        out.write(text)
    else:
        write_file_atomically(Path(target), text.encode("utf-8"))
    where = "standard output" if target == "-" else target
    return f"exported {len(document['chats'])} chats and {len(document['feeds'])} feeds to {where}"


async def import_data(settings: Settings, source: str, raw: bytes) -> str:
    """``digestbot import FILE|-``: validates the whole file, then writes what changed."""
    from bot.ops import transfer
    from bot.store import run_lock

    document = transfer.parse_document(raw, source=source)
    with run_lock.exclusive(settings.data_dir, "import"):
        return await _import(settings, source, document)


async def _import(settings: Settings, source: str, document: ExportDocument) -> str:
    from bot.app.container import services
    from bot.ops import transfer

    async with services(settings) as svc:
        chats = {(c.platform, c.chat_id): c for c in svc.state.chats()}
        feeds = {f.url: f for f in svc.state.feeds()}
        plan = transfer.plan_import(document, chats, feeds, svc.now())
        svc.state.save_chats(plan.chats)
        svc.state.save_feeds(plan.feeds)
    return f"imported {source}: {plan.summary()}"
