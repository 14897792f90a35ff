"""``digestbot feeds …``: the feeds that are polled, listed, added, removed, enabled, imported
from OPML and exported to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, group, run_async
from bot.errors import DigestbotError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.state import StateStore

feeds = group(
    "feeds",
    en="list, add, remove, enable, import or export feeds, and show their status",
    ar="عرض الخلاصات وإضافتها وحذفها وتفعيلها واستيرادها وتصديرها وعرض حالتها",
    default_feeds="yes",
)

URL = arg("url", en="the feed's URL", ar="رابط الخلاصة")

Action = Callable[["Settings", "StateStore", datetime, TextIO], None]


def _on_state(call: Call, action: Action) -> int:
    """Run ``action`` on the state store of the data folder, then close it."""
    from bot.app.container import services

    async def run() -> None:
        async with services(call.settings) as svc:
            action(call.settings, svc.state, svc.now(), call.out)

    run_async(run())
    return 0


@feeds.action("list", en="list the feeds that are polled", ar="عرض الخلاصات التي تُجلب")
def list_feeds(call: Call) -> int:
    from bot.ops import feeds_admin

    return _on_state(call, feeds_admin.list_feeds)


@feeds.action(
    "status",
    en="last fetch, HTTP status, items, errors and next poll of each feed",
    ar="آخر جلب وحالة HTTP والعناصر والأخطاء وموعد الجلب التالي لكل خلاصة",
)
def status(call: Call) -> int:
    from bot.ops import feeds_admin

    return _on_state(call, feeds_admin.status)


@feeds.action(
    "add",
    en="add a feed by URL",
    ar="إضافة خلاصة برابطها",
    args=(
        URL,
        arg(
            "--name", en="the outlet's name shown in digests", ar="اسم المنفذ كما يظهر في الموجزات"
        ),
        arg(
            "--lang",
            choices=("ar", "en"),
            en="the feed's language: ar or en",
            ar="لغة الخلاصة: ar أو en",
        ),
    ),
)
def add(call: Call) -> int:
    from bot.ops import feeds_admin

    def action(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
        args = call.args
        feed = feeds_admin.add(settings, state, now, url=args.url, name=args.name, lang=args.lang)
        out.write(f"added: {feed.name} <{feed.url}>\n")

    return _on_state(call, action)


@feeds.action(
    "remove",
    en="remove a feed added with 'feeds add'",
    ar="حذف خلاصة أضيفت بالأمر 'feeds add'",
    args=(URL,),
)
def remove(call: Call) -> int:
    from bot.ops import feeds_admin

    def action(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
        feeds_admin.remove(settings, state, call.args.url)
        out.write(f"removed: {call.args.url}\n")

    return _on_state(call, action)


@feeds.action(
    "enable", en="turn a disabled feed back on", ar="إعادة تفعيل خلاصة معطلة", args=(URL,)
)
def enable(call: Call) -> int:
    from bot.ops import feeds_admin

    def action(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
        feed = feeds_admin.enable(state, call.args.url, now)
        out.write(f"enabled: {feed.name} <{feed.url}>\n")

    return _on_state(call, action)


@feeds.action(
    "import",
    en="add the feeds of an OPML file",
    ar="إضافة خلاصات ملف OPML",
    args=(arg("opml", type=Path, en="the OPML file", ar="ملف OPML"),),
)
def import_opml(call: Call) -> int:
    from bot.ops import feeds_admin

    def action(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
        try:
            data = call.args.opml.read_bytes()
        except OSError as exc:
            raise DigestbotError(f"{call.args.opml}: cannot be read: {exc.strerror}") from None
        feeds_admin.import_opml(settings, state, now, data, out)

    return _on_state(call, action)


@feeds.action("export", en="print every feed as OPML", ar="طباعة كل الخلاصات بصيغة OPML")
def export(call: Call) -> int:
    from bot.ops import feeds_admin

    def action(settings: Settings, state: StateStore, now: datetime, out: TextIO) -> None:
        out.write(feeds_admin.export(settings, state, now).decode("utf-8"))

    return _on_state(call, action)
