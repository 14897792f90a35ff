"""What each CLI command does, as async functions over the services from the composition root."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from telegram.error import TelegramError
from telegram.ext import Application

from bot import feeds_admin
from bot.app import Services, services
from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.delivery import DeliveryReport, deliver
from bot.channels.discord_runtime import start_discord
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.telegram_commands import TelegramCommands
from bot.config import Settings
from bot.demo import DemoManifest, load_manifest, serve
from bot.digest.render import render_plain
from bot.errors import DigestbotError
from bot.models import Chat
from bot.pipeline import PollReport, Progress
from bot.scheduler import build_scheduler, latest_slot

log = logging.getLogger(__name__)

CONSOLE_CHAT = 0


@dataclass
class CycleReport:
    poll: PollReport
    summarized: int
    queued: int
    delivery: DeliveryReport


def _console_chat(svc: Services) -> Chat:
    chat = svc.state.chat("console", CONSOLE_CHAT)
    if chat is None:
        chat = Chat(
            platform="console",
            chat_id=CONSOLE_CHAT,
            lang=svc.settings.digest.default_lang,
            subscribed=True,
            subscribed_at=svc.now(),
        )
        svc.state.save_chat(chat)
    return chat


def telegram_application(svc: Services) -> Application:  # type: ignore[type-arg]
    token = svc.settings.telegram.token
    assert token is not None
    application = build_application(token.get_secret_value(), svc.settings.telegram.base_url)
    commands = TelegramCommands(
        state=svc.state,
        archive=svc.archive,
        catalog=svc.catalog,
        expand=svc.matcher.alias_expander(),
        digest_times=", ".join(svc.settings.schedule.digest_times),
        now=svc.now,
    )
    commands.install(application)
    application.bot_data["commands"] = commands
    return application


async def digest_and_deliver(
    svc: Services, channel: Channel, *, until: datetime | None = None
) -> tuple[int, DeliveryReport]:
    if channel.platform == "console":
        _console_chat(svc)
    queued = svc.pipeline.queue_digests(until=until or svc.now(), platform=channel.platform)
    report = await deliver(archive=svc.archive, state=svc.state, channel=channel, now=svc.now)
    return queued, report


def _require_feeds(svc: Services) -> None:
    if not svc.pipeline.feeds():
        raise DigestbotError(
            "no feeds configured: copy config.example.toml to config.toml and edit it,"
            " or add one with 'digestbot feeds add URL'"
        )


async def run_cycle(
    svc: Services, channel: Channel, *, force: bool = False, progress: Progress | None = None
) -> CycleReport:
    """One poll, summarize, digest and delivery cycle."""
    poll = await svc.pipeline.poll(force=force, progress=progress)
    summarized = await svc.pipeline.summarize()
    queued, delivery = await digest_and_deliver(svc, channel)
    return CycleReport(poll=poll, summarized=summarized, queued=queued, delivery=delivery)


async def once(
    settings: Settings, out: TextIO, *, force: bool = False, progress: bool = False
) -> CycleReport:
    """``digestbot once``: one cycle; to Telegram when a token is set, else to the terminal."""
    bar = feeds_admin.progress_bar(sys.stderr) if progress else None
    async with services(settings) as svc:
        _require_feeds(svc)
        if not settings.telegram.enabled:
            return await run_cycle(svc, ConsoleChannel(out), force=force, progress=bar)
        application = telegram_application(svc)
        try:
            async with application:
                channel = TelegramChannel(application.bot)
                return await run_cycle(svc, channel, force=force, progress=bar)
        except TelegramError as exc:
            raise DigestbotError(f"Telegram: {exc}") from None


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


async def run_forever(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``digestbot run``: the scheduler, the Telegram bot and Discord (a bot and/or webhooks, when
    configured) until SIGTERM or SIGINT."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with services(settings) as svc:
        _require_feeds(svc)
        application = telegram_application(svc) if settings.telegram.enabled else None
        channel: Channel = TelegramChannel(application.bot) if application else ConsoleChannel()
        channels: list[Channel] = [channel]  # and Discord's, once started

        async def poll_job() -> None:
            report = await svc.pipeline.poll()
            await svc.pipeline.summarize()
            if not report.polled:
                return  # nothing was due
            log.info(
                "poll: %d feeds ok, %d unchanged, %d failed, %d new, %d relevant",
                report.feeds_ok,
                report.feeds_not_modified,
                report.feeds_failed,
                report.new_items,
                report.relevant,
            )

        async def digest_job() -> None:
            for each in channels:
                queued, report = await digest_and_deliver(svc, each)
                log.info("digests: %d parts queued, %d sent", queued, report.sent)

        async def deliver_job() -> None:
            for each in channels:
                await deliver(archive=svc.archive, state=svc.state, channel=each, now=svc.now)

        scheduler = build_scheduler(
            poll=poll_job,
            digest=digest_job,
            deliver=deliver_job,
            digest_times=settings.schedule.digest_times,
            zone=settings.schedule.zone,
            first_poll_at=svc.now(),
        )
        if application is not None:
            try:
                await application.initialize()
            except TelegramError as exc:
                raise DigestbotError(f"Telegram: {exc}") from None
            await application.bot_data["commands"].register_menus(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(drop_pending_updates=False)
        discord_runtime = await start_discord(svc)  # nothing when Discord is not configured
        channels.extend(discord_runtime.channels)
        # A digest whose time passed while the bot was down goes out now, once: the outbox
        # remembers each chat's last period, so this is a no-op when nothing was missed.
        slot = latest_slot(settings.schedule.digest_times, settings.schedule.zone, svc.now())
        for each in channels:
            await digest_and_deliver(svc, each, until=slot)
        scheduler.start()
        log.info("digestbot is running; digests at %s", ", ".join(settings.schedule.digest_times))
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await discord_runtime.close()
            if application is not None:
                assert application.updater is not None
                await application.updater.stop()
                await application.stop()
                await application.shutdown()
            log.info("digestbot stopped")


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
            poll = await svc.pipeline.poll(force=True)
            summarized = await svc.pipeline.summarize()
            digest = svc.pipeline.digest(lang="both", since=None, until=manifest.now)
            out.write(render_plain(digest, svc.catalog) + "\n")
            how = (
                "LLM summaries"
                if settings.llm.enabled
                else "offline summaries; set [llm] for bilingual summaries"
            )
            out.write(
                f"\n— demo: {len(manifest.feeds)} feeds, {poll.new_items} new items read, "
                f"{poll.relevant} about Russia–North Korea, {summarized} stories "
                f"summarized ({how})\n"
            )
            return CycleReport(
                poll=poll, summarized=summarized, queued=0, delivery=DeliveryReport()
            )


async def search(settings: Settings, query: str, limit: int, out: TextIO) -> int:
    async with services(settings) as svc:
        hits = svc.archive.search(query, limit=limit, expand=svc.matcher.alias_expander())
        for number, hit in enumerate(hits, start=1):
            article = hit.article
            out.write(
                f"{number}. {article.title}\n   {article.source} · {article.published:%Y-%m-%d}"
                f" · {article.url}\n   {hit.snippet}\n"
            )
        return len(hits)


async def stats(settings: Settings, out: TextIO) -> None:
    """``digestbot stats``"""
    async with services(settings) as svc:
        counts = svc.archive.counts()
        out.write(
            f"archive: {counts['articles']} relevant articles in {counts['stories']} stories"
            f" ({counts['summaries']} summarized); {counts['seen']} other items seen\n"
        )
        feeds = svc.pipeline.feeds()
        failing = sum(1 for f in feeds if f.failures and not f.disabled)
        disabled = sum(1 for f in feeds if f.disabled)
        out.write(f"feeds: {len(feeds)} ({failing} failing, {disabled} disabled)\n")
        chats = svc.state.chats(subscribed_only=True)
        out.write(f"subscribed chats: {len(chats)}\n")
        outbox = svc.archive.outbox_counts()
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
        for day, kind, calls, prompt, completion in svc.archive.llm_usage():
            out.write(
                f"  {day} {kind}: {calls} calls, {prompt + completion} tokens"
                f" ({prompt} prompt, {completion} completion)\n"
            )
