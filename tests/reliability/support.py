"""What the fault tests share: an archive with stories ready for digests, feeds with fresh items,
a config for the loopback fakes, the ``digestbot run`` process, and a look at both stores."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import IO

from bot.models import Article, Chat, Decision, Summary
from bot.store.archive import ARCHIVE_FILE, Archive
from bot.store.state import STATE_FILE, StateStore
from tests.test_cli_process import clean_env

TOKEN = "515151:RELIABILITY-secret-token"

# Distinct events, each worded apart from the others so that no two become one story.
EVENTS: tuple[tuple[str, str, str, str], ...] = (
    ("North Korean troops reach the Kursk front", "Units crossed at dawn, officials said.",
     "وصول قوات كورية شمالية إلى جبهة كورسك", "عبرت الوحدات فجرا بحسب مسؤولين."),
    ("Tumen rail bridge reopens for freight", "Seventy wagons of grain went east.",
     "إعادة فتح جسر تومين للشحن", "عبرت سبعون عربة قمح شرقا."),
    ("Lavrov lands in Pyongyang for treaty talks", "The visit lasts two days.",
     "لافروف يصل إلى بيونغيانغ لمحادثات المعاهدة", "تستمر الزيارة يومين."),
    ("Sanctions panel reports oil transfers at sea", "Tankers switched off transponders.",
     "لجنة العقوبات ترصد نقل نفط في البحر", "أطفأت الناقلات أجهزة التتبع."),
    ("Vladivostok port hosts a Korean cargo ship", "Dock workers unloaded shells.",
     "ميناء فلاديفوستوك يستقبل سفينة شحن كورية", "أفرغ العمال قذائف."),
    ("Kim tours a Russian aircraft plant", "He inspected fighter assembly lines.",
     "كيم يزور مصنع طائرات روسيا", "تفقد خطوط تجميع المقاتلات."),
    ("Moscow and Pyongyang open a direct air route", "Flights run weekly from June.",
     "افتتاح خط جوي مباشر بين موسكو وبيونغيانغ", "رحلات أسبوعية اعتبارا من يونيو."),
    ("Shoigu signs a security memorandum with Pyongyang", "The text was not published.",
     "شويغو يوقع مذكرة أمنية مع بيونغيانغ", "لم يُنشر النص."),
    ("Korean workers arrive at Siberian construction sites", "Thousands took trains north.",
     "وصول عمال كوريين إلى مواقع بناء في سيبيريا", "استقل الآلاف القطارات شمالا."),
    ("Russian tourists return to Wonsan beach resort", "Bookings doubled this summer.",
     "عودة السياح الروس إلى منتجع وونسان", "تضاعفت الحجوزات هذا الصيف."),
    ("Duma ratifies the mutual defence treaty", "The vote was unanimous.",
     "الدوما يصادق على معاهدة الدفاع المشترك", "جاء التصويت بالإجماع."),
    ("Satellite images show ammunition trains at Rajin", "Analysts counted dozens of cars.",
     "صور أقمار صناعية تظهر قطارات ذخيرة في راجين", "أحصى محللون عشرات العربات."),
)  # fmt: skip
# Long summaries, so that a digest takes several messages.
_FILLER_EN = " Diplomats in both capitals called it a step in a widening partnership." * 6
_FILLER_AR = " ووصف دبلوماسيون في العاصمتين الخطوة بأنها جزء من شراكة تتسع." * 6


def seed_archive(data: Path, seen: datetime, count: int = len(EVENTS)) -> None:
    """``count`` summarized stories first seen at ``seen``, ready for the next digests."""
    archive = Archive.in_dir(data)
    try:
        for number, (title_en, body_en, title_ar, body_ar) in enumerate(EVENTS[:count]):
            article = Article(
                id=f"seed-{number}",
                feed_url="https://wire.example/rss",
                source="Wire",
                url=f"https://wire.example/seed/{number}",
                title=title_en,
                summary=body_en,
                lang="en",
                published=seen,
                seen_at=seen,
            )
            archive.add_article(article, Decision(True, 0.9, ("russia",), "t"), announce=True)
            story = archive.attach(article.id, None, entities=(), announce=True, now=seen)
            summary = Summary(
                title_ar, body_ar + _FILLER_AR, title_en, body_en + _FILLER_EN, "llm", "fake"
            )
            archive.save_summary(archive.story(story), summary, seen)
    finally:
        archive.close()


def feed_xml(items: Sequence[tuple[str, str, datetime]]) -> bytes:
    """An RSS document of (guid, title, published) items."""
    body = "".join(
        f"<item><guid>tag:wire.example,2026:{guid}</guid><title>{title}</title>"
        f"<link>https://wire.example/{guid}</link><description>{title}.</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"{body}</channel></rss>"
    ).encode()


def news_item(number: int, when: datetime) -> tuple[str, str, datetime]:
    """A relevant item of its own (the number keeps its guid and wording apart)."""
    places = ("Khasan", "Nakhodka", "Rason", "Chongjin", "Khabarovsk", "Ussuriysk")
    place = places[number % len(places)]
    return (
        f"news-{number}",
        f"Russia and North Korea agree on {number * 7 + 3} new trade permits at {place}",
        when,
    )


def subscribe(data: Path, chat_ids: Sequence[int], *, lang: str = "both") -> None:
    """Chats that subscribed just now (no digest yet: their first one is due at once)."""
    state = StateStore(data)
    try:
        for chat_id in chat_ids:
            state.save_chat(
                Chat(platform="telegram", chat_id=chat_id, subscribed=True, lang=lang)  # type: ignore[arg-type]
            )
    finally:
        state.close()


def make_feeds_due(data: Path) -> None:
    """As if the poll interval had passed: every feed is polled at the next start."""
    from dataclasses import replace

    state = StateStore(data)
    try:
        state.save_feeds([replace(feed, next_poll_at=None) for feed in state.feeds()])
    finally:
        state.close()


def write_config(
    path: Path, *, data: Path, telegram_url: str, feed_url: str, extra: str = ""
) -> Path:
    # A digest slot every 30 minutes: the seeded stories are in the digest of any new chat.
    times = ", ".join(f'"{h:02d}:{m:02d}"' for h in range(24) for m in (0, 30))
    path.write_text(
        "[ingest]\nallow_private_networks = true\n"
        f"[schedule]\npoll_minutes = 1\ndigest_times = [{times}]\n"
        f'[storage]\ndata_dir = "{data}"\n'
        f'[telegram]\nbase_url = "{telegram_url}"\n'
        f'[[feeds]]\nurl = "{feed_url}"\nname = "Wire"\nlang = "en"\n{extra}',
        encoding="utf-8",
    )
    return path


def start(config: Path, cwd: Path, stderr: IO[str]) -> subprocess.Popen[str]:
    """``digestbot run`` with the test token; its log goes to ``stderr``."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=cwd,
        env=clean_env() | {"TELEGRAM_BOT_TOKEN": TOKEN},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )


def wait_until(condition: Callable[[], object], what: str, *, timeout: float = 60.0) -> None:
    """Wait for ``condition`` (a generous limit: it fails the test only when stuck)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def stop(process: subprocess.Popen[str]) -> int:
    """SIGTERM, then the exit code (killed after a generous wait if it never exits)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("digestbot did not stop on SIGTERM") from None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    text: str
    status: str


@dataclass(frozen=True)
class Stores:
    """Both stores, read after the bot stopped (or died)."""

    subscribed: frozenset[int]
    outbox: tuple[OutboxRow, ...]

    def sent(self) -> set[tuple[int, str]]:
        return {(row.chat_id, row.text) for row in self.outbox if row.status == "sent"}


def read_stores(data: Path) -> Stores:
    """Open both stores as the bot does, check them, and read chats and the outbox.

    Fails when the state file is not valid JSON, when either store does not open, or when
    SQLite's integrity check finds a problem."""
    json.loads((data / STATE_FILE).read_text(encoding="utf-8"))
    state = StateStore(data)
    try:
        subscribed = frozenset(
            chat.chat_id for chat in state.chats(platform="telegram", subscribed_only=True)
        )
    finally:
        state.close()
    Archive.in_dir(data).close()  # opens (and recovers the WAL) as the bot would
    db = sqlite3.connect(data / ARCHIVE_FILE)
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        assert check == [("ok",)], f"archive integrity: {check}"
        rows = db.execute(
            "SELECT id, chat_id, text, status FROM outbox WHERE platform = 'telegram' ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    return Stores(subscribed, tuple(OutboxRow(*row) for row in rows))


def outbox_progress(data: Path) -> tuple[set[int], int]:
    """The chats with parts in the outbox, and how many parts are still pending; read while
    the bot runs (WAL lets a reader in)."""
    db = sqlite3.connect(f"file:{data / ARCHIVE_FILE}?mode=ro", uri=True)
    try:
        chats = {row[0] for row in db.execute("SELECT DISTINCT chat_id FROM outbox")}
        pending = db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'")
        return chats, int(pending.fetchone()[0])
    finally:
        db.close()
