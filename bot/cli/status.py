"""``digestbot stats`` and ``digestbot status``: what the stores say, read without writing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import Call, arg, command, run_async

if TYPE_CHECKING:
    from bot.config import Settings


@command(
    "stats",
    en="archive size, feeds, subscribed chats, outbox, and LLM calls and tokens per day",
    ar="حجم الأرشيف والخلاصات والمحادثات المشتركة وصندوق الإرسال واستدعاءات النموذج ورموزه يوميًا",
    default_feeds="yes",
)
def stats_command(call: Call) -> int:
    run_async(stats(call.settings, call.out))
    return 0


@command(
    "status",
    en="is the bot doing well: feeds OK and failing, last poll, last digest per chat,"
    " outbox backlog, LLM calls and tokens today",
    ar="حالة البوت: الخلاصات السليمة والمتعثرة وآخر جلب وآخر موجز لكل محادثة"
    " وما ينتظر في صندوق الإرسال واستدعاءات النموذج ورموزه اليوم",
    args=(
        arg(
            "--json",
            action="store_true",
            en="print one JSON document, for scripts",
            ar="طباعة مستند JSON واحد للاستخدام في السكربتات",
        ),
    ),
    default_feeds="yes",
)
def status_command(call: Call) -> int:
    healthy = run_async(status(call.settings, call.out, as_json=call.args.json))
    return 0 if healthy else 1  # the Docker HEALTHCHECK runs this


async def stats(settings: Settings, out: TextIO) -> None:
    """``digestbot stats``"""
    from bot.cli.stores import polled_feeds, reading

    with reading(settings) as (state, archive):
        counts = archive.counts()
        out.write(
            f"archive: {counts['articles']} relevant articles in {counts['stories']} stories"
            f" ({counts['summaries']} summarized); {counts['seen']} other items seen\n"
        )
        feeds = polled_feeds(settings, state)
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
    from bot.cli.stores import polled_feeds, reading, utc_now
    from bot.ops import health
    from bot.ops.status import collect, render_text, to_json

    with reading(settings) as (state, archive):
        feeds = polled_feeds(settings, state)
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
