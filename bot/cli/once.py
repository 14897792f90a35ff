"""``digestbot once`` (one cycle, for cron) and ``digestbot run`` (the long-running bot, whose
ticks live in ``bot.app.daemon``)."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, command, run_async

if TYPE_CHECKING:
    from bot.app.container import Services
    from bot.config import Settings
    from bot.delivery.channel import Channel
    from bot.delivery.sender import DeliveryReport
    from bot.pipeline.poller import PollReport, Progress


@command(
    "once",
    en="poll the feeds once, summarize, and send the due digests (to Telegram and Discord,"
    " or print them)",
    ar="جلب الخلاصات مرة واحدة والتلخيص وإرسال الموجزات المستحقة (إلى تيليغرام وديسكورد"
    " أو طباعتها)",
    args=(
        arg(
            "--force",
            action="store_true",
            en="poll every enabled feed now, even those not due yet",
            ar="جلب كل الخلاصات المفعلة الآن حتى غير المستحقة",
        ),
    ),
    default_feeds="announce",
)
def once_command(call: Call) -> int:
    progress = sys.stderr.isatty() and not call.args.verbose
    report = run_async(once(call.settings, call.out, force=call.args.force, progress=progress))
    logging.getLogger("digestbot").info(
        "once: %d new items, %d relevant, %d parts queued, %d sent, %d feeds failed",
        report.poll.new_items,
        report.poll.relevant,
        report.queued,
        report.delivery.sent,
        report.poll.feeds_failed,
    )
    return _once_code(report.poll)


@command(
    "run",
    en="run the bot: scheduler, every configured channel and the health endpoint, until"
    " SIGTERM or Ctrl+C",
    ar="تشغيل البوت: المجدول وكل القنوات المضبوطة ونقطة فحص الحالة حتى إشارة SIGTERM أو Ctrl+C",
    default_feeds="announce",
)
def run_command(call: Call) -> int:
    from bot.app import daemon

    run_async(daemon.run_forever(call.settings))
    return 0


def _once_code(poll: PollReport) -> int:
    """1 when feeds were polled and not one could be fetched (cron mails a failing job, and a
    bot that reads nothing must not look fine); 0 otherwise, also when no feed was due."""
    if poll.polled and poll.feeds_failed == poll.polled:
        print(
            f"digestbot: none of the {poll.polled} feeds polled could be fetched; their errors:"
            f" 'digestbot feeds status' / تعذر جلب كل الخلاصات ({poll.polled})؛ أخطاؤها:"
            " 'digestbot feeds status'",
            file=sys.stderr,
        )
        return 1
    return 0


@dataclass
class CycleReport:
    poll: PollReport
    summarized: int
    queued: int
    delivery: DeliveryReport


async def once(
    settings: Settings, out: TextIO, *, force: bool = False, progress: bool = False
) -> CycleReport:
    """``digestbot once``: one cycle, delivered to every configured channel (Telegram, the
    Discord bot over REST, Discord webhooks); printed to the terminal when none is configured."""
    from bot.ops import feeds_admin
    from bot.store import run_lock

    bar = feeds_admin.progress_bar(sys.stderr) if progress else None
    with run_lock.exclusive(settings.data_dir, "once"):
        return await _once(settings, out, force=force, bar=bar)


async def _once(
    settings: Settings, out: TextIO, *, force: bool, bar: Progress | None
) -> CycleReport:
    from bot.app.container import services
    from bot.app.daemon import keep_state_backup, require_feeds
    from bot.platforms.console import ConsoleChannel

    async with services(settings) as svc:
        require_feeds(svc)
        keep_state_backup(svc)
        if not force:
            follow_cron(svc)
        # posting needs no commands (no Telegram polling, no Discord gateway)
        async with svc.platforms.started(svc, commands=False) as started:
            channels = list(started) or [ConsoleChannel(out)]
            return await run_cycle(svc, *channels, force=force, progress=bar)


CRON_SLACK = 0.1
"""How much sooner than ``poll_minutes`` after its last fetch ``once`` may poll a healthy feed."""


def follow_cron(svc: Services) -> int:
    """Let the cadence of cron win in ``digestbot once``: a healthy feed whose next poll was set
    by the bot's own interval (``poll_minutes`` plus up to 10% of jitter, which spreads the
    polls of a long-running bot) is due again once ``poll_minutes`` less 10% have passed since
    its last fetch. Without it, cron every ``poll_minutes`` finds each feed not quite due and
    polls it every other run. A later time asked for by the server (``Retry-After``,
    ``Cache-Control``) or set by backoff after failures is kept. Returns how many feeds were
    made due."""
    from bot.ingest.policy import SUCCESS_JITTER

    now = svc.now()
    interval = timedelta(minutes=svc.settings.schedule.poll_minutes)
    own = interval * (1 + SUCCESS_JITTER) + timedelta(seconds=1)
    moved = [
        replace(feed, next_poll_at=now)
        for feed in svc.poller.feeds()
        if not feed.disabled
        and not feed.failures
        and feed.last_fetch_at is not None
        and feed.next_poll_at is not None
        and feed.next_poll_at > now
        and feed.next_poll_at - feed.last_fetch_at <= own
        and now - feed.last_fetch_at >= interval * (1 - CRON_SLACK)
    ]
    svc.state.save_feeds(moved)
    return len(moved)


async def run_cycle(
    svc: Services, *channels: Channel, force: bool = False, progress: Progress | None = None
) -> CycleReport:
    """One poll, summarize, digest and delivery cycle, delivering to each channel in turn."""
    from bot.delivery.sender import DeliveryReport

    poll = await svc.poller.poll(force=force, progress=progress)
    summarized = await svc.summaries.summarize()
    queued, delivery = 0, DeliveryReport()
    for channel in channels:
        more, report = await digest_and_deliver(svc, channel)
        queued += more
        delivery += report
    return CycleReport(poll=poll, summarized=summarized, queued=queued, delivery=delivery)


async def digest_and_deliver(
    svc: Services, channel: Channel, *, until: datetime | None = None
) -> tuple[int, DeliveryReport]:
    from bot.delivery.sender import deliver
    from bot.platforms.console import CONSOLE

    if channel.platform == CONSOLE:
        queued = _queue_console_digest(svc, until or svc.now())
    else:
        queued = svc.digests.queue_digests(until=until or svc.now(), platform=channel.platform)
    report = await deliver(archive=svc.archive, state=svc.state, channel=channel, now=svc.now)
    return queued, report


def _queue_console_digest(svc: Services, until: datetime) -> int:
    """Queue the terminal's digest (``digestbot once`` with no channel configured) without
    storing a chat for it: nobody subscribed the terminal, so no ``console`` chat shows in
    ``chats list``, ``status`` or an export. Where the last one ended is in the outbox, so each
    run prints only what is new since the previous one."""
    from bot.app.daemon import CONSOLE_CHAT
    from bot.models import Chat
    from bot.platforms.console import CONSOLE

    chat = Chat(platform=CONSOLE, chat_id=CONSOLE_CHAT, lang=svc.settings.digest.default_lang)
    since = svc.digests.since_for(chat, until)
    if since >= until:
        return 0
    digest = svc.digests.digest(lang=chat.lang, since=since, until=until, chat=chat)
    if not digest.items:
        return 0
    return svc.digests.queue(chat, digest, until)
