"""What each CLI command does, as async functions over the services from the composition root."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shlex
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.app.container import Services, build_matcher, services, utc_now
from bot.app.jobs import Heartbeat, Jobs
from bot.app.scheduler import build_scheduler, periodic
from bot.config import Settings
from bot.delivery.sender import DeliveryReport, deliver
from bot.digest.render import render_plain
from bot.errors import DigestbotError
from bot.ingest.policy import SUCCESS_JITTER
from bot.models import Chat, FeedState
from bot.ops import chats_admin, feeds_admin, transfer
from bot.ops.demo import DemoManifest, load_manifest, serve
from bot.ops.health_server import PROMETHEUS_TYPE, Handler, HealthServer, Response
from bot.ops.housekeeping import housekeeping_job
from bot.ops.status import collect, render_text, to_json
from bot.pipeline.poller import PollReport, Progress
from bot.platforms.base import Channel
from bot.platforms.console import CONSOLE, ConsoleChannel
from bot.store import run_lock
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.store.state_file import backup_path, write_file_atomically

log = logging.getLogger(__name__)

CONSOLE_CHAT = 0


@dataclass
class CycleReport:
    poll: PollReport
    summarized: int
    queued: int
    delivery: DeliveryReport


def _console_chat(svc: Services) -> Chat:
    chat = svc.state.chat(CONSOLE, CONSOLE_CHAT)
    if chat is None:
        chat = Chat(
            platform=CONSOLE,
            chat_id=CONSOLE_CHAT,
            lang=svc.settings.digest.default_lang,
            subscribed=True,
            subscribed_at=svc.now(),
        )
        svc.state.save_chat(chat)
    return chat


def _queue_console_digest(svc: Services, until: datetime) -> int:
    """Queue the terminal's digest (``digestbot once`` with no channel configured) without
    storing a chat for it: nobody subscribed the terminal, so no ``console`` chat shows in
    ``chats list``, ``status`` or an export. Where the last one ended is in the outbox, so each
    run prints only what is new since the previous one."""
    chat = Chat(platform=CONSOLE, chat_id=CONSOLE_CHAT, lang=svc.settings.digest.default_lang)
    since = svc.digests.since_for(chat, until)
    if since >= until:
        return 0
    digest = svc.digests.digest(lang=chat.lang, since=since, until=until)
    if not digest.items:
        return 0
    return svc.archive.queue_digest(
        platform=chat.platform,
        chat_id=chat.chat_id,
        thread_id=None,
        digest_key=f"{chat.key}:{until.isoformat()}",
        period_end=until,
        parts=svc.platforms.render_digest(chat.platform, digest, svc.catalog),
        now=svc.now(),
    )


async def digest_and_deliver(
    svc: Services, channel: Channel, *, until: datetime | None = None
) -> tuple[int, DeliveryReport]:
    if channel.platform == CONSOLE:
        queued = _queue_console_digest(svc, until or svc.now())
    else:
        queued = svc.digests.queue_digests(until=until or svc.now(), platform=channel.platform)
    report = await deliver(archive=svc.archive, state=svc.state, channel=channel, now=svc.now)
    return queued, report


def _require_feeds(svc: Services) -> None:
    if not svc.poller.feeds():
        raise DigestbotError(
            "no feeds configured: copy config.example.toml to config.toml and edit it,"
            " or add one with 'digestbot feeds add URL'"
        )


async def run_cycle(
    svc: Services, *channels: Channel, force: bool = False, progress: Progress | None = None
) -> CycleReport:
    """One poll, summarize, digest and delivery cycle, delivering to each channel in turn."""
    poll = await svc.poller.poll(force=force, progress=progress)
    summarized = await svc.summaries.summarize()
    queued, delivery = 0, DeliveryReport()
    for channel in channels:
        more, report = await digest_and_deliver(svc, channel)
        queued += more
        delivery = _sum(delivery, report)
    return CycleReport(poll=poll, summarized=summarized, queued=queued, delivery=delivery)


def _sum(a: DeliveryReport, b: DeliveryReport) -> DeliveryReport:
    return DeliveryReport(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})


async def once(
    settings: Settings, out: TextIO, *, force: bool = False, progress: bool = False
) -> CycleReport:
    """``digestbot once``: one cycle, delivered to every configured channel (Telegram, the
    Discord bot over REST, Discord webhooks); printed to the terminal when none is configured."""
    bar = feeds_admin.progress_bar(sys.stderr) if progress else None
    with run_lock.exclusive(settings.data_dir, "once"):
        return await _once(settings, out, force=force, bar=bar)


async def _once(
    settings: Settings, out: TextIO, *, force: bool, bar: Progress | None
) -> CycleReport:
    async with services(settings) as svc:
        _require_feeds(svc)
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


async def feeds(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """``digestbot feeds …``"""
    async with services(settings) as svc:
        now = svc.now()
        if args.action == "list":
            feeds_admin.list_feeds(settings, svc.state, now, out)
        elif args.action == "status":
            feeds_admin.status(settings, svc.state, now, out)
        elif args.action == "add":
            feed = feeds_admin.add(
                settings, svc.state, now, url=args.url, name=args.name, lang=args.lang
            )
            out.write(f"added: {feed.name} <{feed.url}>\n")
        elif args.action == "remove":
            feeds_admin.remove(settings, svc.state, args.url)
            out.write(f"removed: {args.url}\n")
        elif args.action == "enable":
            feed = feeds_admin.enable(svc.state, args.url, now)
            out.write(f"enabled: {feed.name} <{feed.url}>\n")
        elif args.action == "import":
            try:
                data = args.opml.read_bytes()
            except OSError as exc:
                raise DigestbotError(f"{args.opml}: cannot be read: {exc.strerror}") from None
            feeds_admin.import_opml(settings, svc.state, now, data, out)
        elif args.action == "export":
            out.write(feeds_admin.export(settings, svc.state, now).decode("utf-8"))
    return 0


SHUTDOWN_GRACE_S = 7.0
"""How long a message in flight may take to finish once SIGTERM arrives (the process exits
within 10 s: the rest is for closing the channels and the stores)."""


def configured_channels(svc: Services, started: Sequence[Channel]) -> list[Channel]:
    """The channels of the configured platforms (``started``); the terminal when none is."""
    if started:
        return list(started)
    _console_chat(svc)
    return [ConsoleChannel()]


def health_handler(svc: Services, heartbeat: Heartbeat) -> Handler:
    """Answers ``/healthz`` and ``/metrics`` from a fresh snapshot of the stores."""
    from bot.ops import health

    config = svc.settings.health

    def handle(path: str) -> Response:
        if path not in ("/healthz", "/metrics"):
            return Response(404, "not found: try /healthz or /metrics\n")
        snapshot = collect(
            state=svc.state, archive=svc.archive, feeds=svc.state.feeds(), now=svc.now()
        )
        judged = health.verdict(
            snapshot,
            started_at=heartbeat.started_at,
            last_tick_at=heartbeat.last_poll_at,
            poll_interval=timedelta(minutes=svc.settings.schedule.poll_minutes),
            stall_factor=config.stall_factor,
            outbox_stuck=timedelta(minutes=config.outbox_stuck_minutes),
        )
        if path == "/metrics":
            text = health.metrics(snapshot, healthy=judged, last_tick_at=heartbeat.last_poll_at)
            return Response(200, text, PROMETHEUS_TYPE)
        if judged.ok:
            return Response(200, "ok\n")
        return Response(503, "".join(f"{reason}\n" for reason in judged.reasons))

    return handle


async def run_forever(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``digestbot run``: the scheduler, every configured channel and the optional health
    endpoint, until SIGTERM or SIGINT (or ``stop``).

    On the signal: no new jobs start and no new message is sent; the message in flight
    finishes; the channels stop, the stores are closed, and the call returns.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        with run_lock.exclusive(settings.data_dir, "run"):
            async with services(settings) as svc:
                _require_feeds(svc)
                keep_state_backup(svc)
                await _serve(svc, stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("digestbot stopped")


async def _serve(svc: Services, stop: asyncio.Event) -> None:
    # every configured platform, taking commands; stopped after the jobs, in reverse order
    async with svc.platforms.started(svc, commands=True) as started:
        await _serve_channels(svc, stop, configured_channels(svc, started))


async def _serve_channels(svc: Services, stop: asyncio.Event, channels: list[Channel]) -> None:
    heartbeat = Heartbeat(started_at=svc.now())
    jobs = Jobs(svc, channels, heartbeat)
    scheduler = build_scheduler(
        poll=jobs.tracked(jobs.poll),
        digest=jobs.tracked(jobs.digests),
        deliver=jobs.tracked(jobs.deliver),
        zone=svc.settings.schedule.zone,
        first_run_at=svc.now(),
    )
    # retention and SQLite upkeep: once at start, then every housekeeping_hours
    periodic(
        scheduler,
        jobs.tracked(housekeeping_job(svc)),
        job_id="housekeeping",
        seconds=svc.settings.archive.housekeeping_hours * 3600,
        first_run_at=svc.now(),
    )
    health_server: HealthServer | None = None
    try:
        if svc.settings.health.enabled:
            health_server = HealthServer(
                health_handler(svc, heartbeat),
                host=svc.settings.health.host,
                port=svc.settings.health.port,
            )
            try:
                await health_server.start()
            except OSError as exc:
                raise DigestbotError(
                    f"[health] cannot listen on {svc.settings.health.host}:"
                    f"{svc.settings.health.port}: {exc.strerror or exc}"
                ) from None
        # The first poll and digest ticks run now: a digest missed while the bot was down goes
        # out at once (the stores remember each chat's last digest, so never twice).
        scheduler.start()
        log.info("digestbot is running: %s", ", ".join(c.platform for c in channels))
        await stop.wait()
        log.info("stopping: finishing the message in flight")
    finally:
        if scheduler.running:
            scheduler.pause()  # no new job starts
        await jobs.stop(SHUTDOWN_GRACE_S)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if health_server is not None:
            await health_server.close()


def demo_settings(
    manifest: DemoManifest, base_url: str, data_dir: str, base: Settings | None = None
) -> Settings:
    """Settings for the demo: its feeds on loopback, its own data directory; the LLM and the
    topic of ``base`` (a config given by name), else none and the built-in topic."""
    extra = {"llm": base.llm, "topic": base.topic} if base is not None else {}
    return Settings.model_validate(
        {
            **extra,
            "storage": {"data_dir": data_dir},
            # the demo feeds are served on 127.0.0.1, which the address guard refuses by default
            "ingest": {"allow_private_networks": True, "backlog_hours": 24 * 30},
            "digest": {"max_age_hours": 24 * 30, "max_stories": 50},
            "feeds": [
                {"url": base_url + feed.path, "name": feed.name, "lang": feed.lang}
                for feed in manifest.feeds
            ],
        }
    )


async def demo(
    out: TextIO, *, base: Settings | None = None, data_dir: str | None = None
) -> CycleReport:
    """``digestbot demo``: bundled feeds on loopback, offline summaries (or the LLM of a config
    given by name), digest printed. With ``data_dir`` the archive stays there for ``search``."""
    manifest = load_manifest()
    with serve(manifest) as base_url, tempfile.TemporaryDirectory() as scratch:
        settings = demo_settings(manifest, base_url, data_dir or scratch, base)
        async with services(settings, now=lambda: manifest.now) as svc:
            poll = await svc.poller.poll(force=True)
            summarized = await svc.summaries.summarize()
            digest = svc.digests.digest(lang="both", since=None, until=manifest.now)
            out.write(render_plain(digest, svc.catalog) + "\n")
            how = (
                "LLM summaries"
                if settings.llm.enabled
                else "offline summaries; set [llm] for bilingual summaries"
            )
            out.write(
                f"\n— demo: {len(manifest.feeds)} feeds, {poll.new_items} new items read, "
                f"{poll.relevant} about {svc.matcher.lexicon.topic.label()}, {summarized} stories "
                f"summarized ({how})\n"
            )
            out.write(demo_search_hint(data_dir))
            return CycleReport(
                poll=poll, summarized=summarized, queued=0, delivery=DeliveryReport()
            )


def demo_search_hint(kept: str | None) -> str:
    """How to go on from the demo to ``search``: where its archive was kept, or how to keep it
    (by default it lives in a temporary folder that is gone when the demo ends)."""
    if kept is None:
        return (
            "— the demo's archive was temporary; to search it, keep it:"
            " digestbot demo --keep ~/digestbot-demo"
            " && digestbot search --data-dir ~/digestbot-demo Kursk\n"
            "— أرشيف العرض مؤقت؛ للبحث فيه احفظه:"
            " digestbot demo --keep ~/digestbot-demo"
            " && digestbot search --data-dir ~/digestbot-demo كورسك\n"
        )
    where = shlex.quote(kept)
    return (
        f"— archive kept in {kept}: digestbot search --data-dir {where} Kursk\n"
        f"— حُفظ الأرشيف في {kept}: digestbot search --data-dir {where} كورسك\n"
    )


@contextlib.contextmanager
def reading(settings: Settings) -> Iterator[tuple[StateStore, Archive]]:
    """The stores for a command that only looks (``search``, ``stats``, ``status``): opened
    read-only, so they write nothing (no lock file, no migration, no new archive), work on a
    data folder this user may only read, and never wait on the running bot."""
    state = StateStore(settings.data_dir, read_only=True)
    try:
        archive = Archive.in_dir(settings.data_dir, read_only=True)
    except BaseException:
        state.close()
        raise
    try:
        yield state, archive
    finally:
        archive.close()
        state.close()


def _polled_feeds(settings: Settings, state: StateStore) -> list[FeedState]:
    """The feeds a poll would see (the configured ones and the operator's), stored or not."""
    return state.sync_feeds(settings.feed_sources(), now=utc_now())


async def search(settings: Settings, query: str, limit: int, out: TextIO) -> int:
    expand = build_matcher(settings).alias_expander()
    with reading(settings) as (_, archive):
        hits = archive.search(query, limit=limit, expand=expand)
        for number, hit in enumerate(hits, start=1):
            article = hit.article
            out.write(
                f"{number}. {article.title}\n   {article.source} · {article.published:%Y-%m-%d}"
                + (f" · {article.url}" if article.url else "")
                + f"\n   {hit.snippet}\n"
            )
        return len(hits)


async def stats(settings: Settings, out: TextIO) -> None:
    """``digestbot stats``"""
    with reading(settings) as (state, archive):
        counts = archive.counts()
        out.write(
            f"archive: {counts['articles']} relevant articles in {counts['stories']} stories"
            f" ({counts['summaries']} summarized); {counts['seen']} other items seen\n"
        )
        feeds = _polled_feeds(settings, state)
        failing = sum(1 for f in feeds if f.failures and not f.disabled)
        disabled = sum(1 for f in feeds if f.disabled)
        out.write(f"feeds: {len(feeds)} ({failing} failing, {disabled} disabled)\n")
        chats = state.chats(subscribed_only=True)
        out.write(f"subscribed chats: {len(chats)}\n")
        outbox = archive.outbox_counts()
        out.write(
            "outbox: "
            + (", ".join(f"{k} {v}" for k, v in sorted(outbox.items())) or "empty")
            + "\n"
        )
        budget = settings.llm.daily_token_budget
        out.write(
            f"LLM: {'on' if settings.llm.enabled else 'off'}; daily token budget:"
            f" {budget or 'none'}\n"
        )
        for day, kind, calls, prompt, completion in archive.llm_usage():
            out.write(
                f"  {day} {kind}: {calls} calls, {prompt + completion} tokens"
                f" ({prompt} prompt, {completion} completion)\n"
            )
        for day, kind, reason, count in archive.llm_rejections():
            out.write(f"  {day} {kind}: {count} answers rejected ({reason})\n")


async def status(settings: Settings, out: TextIO, *, as_json: bool = False) -> bool:
    """``digestbot status``; returns whether the bot is healthy (the exit code says it)."""
    from bot.ops import health

    with reading(settings) as (state, archive):
        feeds = _polled_feeds(settings, state)
        snapshot = collect(state=state, archive=archive, feeds=feeds, now=utc_now())
        judged = health.stored_verdict(
            snapshot,
            feeds,
            poll_interval=timedelta(minutes=settings.schedule.poll_minutes),
            stall_factor=settings.health.stall_factor,
            outbox_stuck=timedelta(minutes=settings.health.outbox_stuck_minutes),
        )
        if as_json:
            document = {**to_json(snapshot), "healthy": judged.ok, "problems": judged.reasons}
            out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        else:
            out.write(render_text(snapshot))
            out.write(
                "health: OK\n"
                if judged.ok
                else "health: UNHEALTHY\n" + "".join(f"  {r}\n" for r in judged.reasons)
            )
        return judged.ok


def keep_state_backup(svc: Services) -> None:
    """Refresh the state file's last good copy at start (it has just read cleanly). A failure
    is logged, never fatal: the bot can run without a fresh backup."""
    try:
        if svc.state.refresh_backup():
            log.info("state backup refreshed: %s", backup_path(svc.state.path))
    except DigestbotError as exc:
        log.warning("could not refresh the state backup: %s", exc)


async def chats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """``digestbot subscribe|unsubscribe @channel|ID`` and ``digestbot chats list``."""
    async with services(settings) as svc:
        if args.command == "chats":
            chats_admin.list_chats(svc.state, out)
            return 0
        found = await svc.platforms.find_chat(args.target, settings)
        if args.command == "subscribe":
            chat = chats_admin.subscribe(svc.state, found, args.lang, svc.now())
            out.write(f"subscribed: {chat.chat_id} {chat.title} ({chat.lang})\n")
        else:
            chats_admin.unsubscribe(svc.state, found)
            out.write(f"unsubscribed: {found.chat_id}\n")
    return 0


async def export_data(settings: Settings, target: str, out: TextIO) -> str:
    """``digestbot export FILE|-``: returns a line saying what was exported."""
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
    document = transfer.parse_document(raw, source=source)
    with run_lock.exclusive(settings.data_dir, "import"):
        return await _import(settings, source, document)


async def _import(settings: Settings, source: str, document: transfer.ExportDocument) -> str:
    async with services(settings) as svc:
        chats = {(c.platform, c.chat_id): c for c in svc.state.chats()}
        feeds = {f.url: f for f in svc.state.feeds()}
        plan = transfer.plan_import(document, chats, feeds, svc.now())
        svc.state.save_chats(plan.chats)
        svc.state.save_feeds(plan.feeds)
    return f"imported {source}: {plan.summary()}"
