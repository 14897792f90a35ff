"""``digestbot run``: the scheduler ticks, the channels and the health endpoint of the
long-running bot, and its shutdown. The other commands live in ``bot.cli``."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from bot.app.container import Services, services
from bot.app.health_endpoint import health_handler
from bot.app.housekeeping import housekeeping_job
from bot.app.jobs import Heartbeat, Jobs
from bot.app.scheduler import build_scheduler, periodic
from bot.config import Settings
from bot.delivery.channel import Channel
from bot.errors import DigestbotError
from bot.models import Chat
from bot.ops.health_server import HealthServer
from bot.platforms.console import CONSOLE, ConsoleChannel
from bot.store import run_lock
from bot.store.state_file import backup_path

log = logging.getLogger(__name__)

CONSOLE_CHAT = 0


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


def require_feeds(svc: Services) -> None:
    if not svc.poller.feeds():
        raise DigestbotError(
            "no feeds configured: copy config.example.toml to config.toml and edit it,"
            " or add one with 'digestbot feeds add URL'"
        )


def keep_state_backup(svc: Services) -> None:
    """Refresh the state file's last good copy at start (it has just read cleanly). A failure
    is logged, never fatal: the bot can run without a fresh backup."""
    try:
        if svc.state.refresh_backup():
            log.info("state backup refreshed: %s", backup_path(svc.state.path))
    except DigestbotError as exc:
        log.warning("could not refresh the state backup: %s", exc)


SHUTDOWN_GRACE_S = 7.0
"""How long a message in flight may take to finish once SIGTERM arrives (the process exits
within 10 s: the rest is for closing the channels and the stores)."""


def configured_channels(svc: Services, started: Sequence[Channel]) -> list[Channel]:
    """The channels of the configured platforms (``started``); the terminal when none is."""
    if started:
        return list(started)
    _console_chat(svc)
    return [ConsoleChannel()]


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
                require_feeds(svc)
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
