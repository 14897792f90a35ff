"""`digestbot run` killed with SIGKILL at random moments, again and again, while it polls the
feeds and sends digests to the fake Bot API.

After every kill both stores open cleanly (the state file is valid JSON, SQLite's integrity
check passes) and no subscription is lost. After a last clean run every part is delivered, in
order in each chat, and a part reached a chat twice only in the window the README documents: the
bot died after Telegram accepted the part and before the outbox recorded it. That window is
measured, not assumed: after each kill the parts the fake Bot API accepted in that run are
compared with those the outbox marked sent.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.reliability.support import (
    feed_xml,
    make_feeds_due,
    news_item,
    outbox_progress,
    read_stores,
    seed_archive,
    start,
    stop,
    subscribe,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.slow

KILLS = 20
SEED = 7_2026
NEW_CHATS_PER_RUN = 2
LATENCY = 0.1
"""Each Bot API answer takes this long, half of it after the message was accepted: the window
between Telegram accepting a part and the outbox recording it is wide enough to be hit."""

Part = tuple[int, str]  # (chat id, text): unique among the outbox rows, checked below


@dataclass(frozen=True)
class Kill:
    run: int
    unrecorded: frozenset[Part]
    """Parts accepted by the Bot API during this run that the outbox did not mark sent."""
    pending: int


def delivered(api: FakeTelegramAPI) -> Counter[Part]:
    return Counter((int(m.chat_id), m.text) for m in list(api.sent) if m.method == "sendMessage")


def kill_at_random(process: subprocess.Popen[str], api: FakeTelegramAPI, rng: Random) -> bool:
    """Wait for a random moment to kill ``process``; whether it was still running then."""
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.2, 2.5))  # any moment: start-up, poll, digests …
    else:  # … or while parts are being sent (unless there is nothing left to send)
        target = sum(delivered(api).values()) + rng.randint(1, 3)
        deadline = time.monotonic() + 10
        while sum(delivered(api).values()) < target and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, LATENCY))
    return process.poll() is None


def test_kill_9_at_random_moments_loses_nothing_and_repeats_only_in_the_window(
    tmp_path: Path,
) -> None:
    rng = Random(SEED)
    data = tmp_path / "data"
    data.mkdir()
    begun = datetime.now(UTC)
    seed_archive(data, begun - timedelta(hours=2))
    items = [news_item(0, begun - timedelta(minutes=5))]
    chats: list[int] = []
    kills: list[Kill] = []
    feeds, api = FeedServer(), FakeTelegramAPI(latency=LATENCY)
    with feeds.run_in_thread(), api.run_in_thread():
        feeds.add("/wire.xml", feed_xml(items))
        config = write_config(
            tmp_path / "config.toml",
            data=data,
            telegram_url=api.bot_url,
            feed_url=feeds.url("/wire.xml"),
        )
        before = delivered(api)
        for run in range(KILLS):
            # Between runs: new subscribers (their first digest is due at once), a new item in
            # the feed, and the feeds due again, so that every run polls, queues and sends.
            new = [1001 + len(chats) + n for n in range(NEW_CHATS_PER_RUN)]
            subscribe(data, new, lang=rng.choice(["both", "en", "ar"]))
            chats.extend(new)
            make_feeds_due(data)
            items.append(news_item(run + 1, datetime.now(UTC)))
            feeds.add("/wire.xml", feed_xml(items))

            log = tmp_path / f"run-{run}.log"
            with log.open("w", encoding="utf-8") as stderr:
                process = start(config, tmp_path, stderr)
                try:
                    alive = kill_at_random(process, api, rng)
                finally:
                    process.kill()
                    process.wait()
            assert alive, f"digestbot exited by itself in run {run}:\n{log.read_text()}"

            # Every request the dead process had sent is answered (or was never received).
            api.settle()
            stores = read_stores(data)
            assert set(chats) <= stores.subscribed, f"subscriptions lost after run {run}"
            now = delivered(api)
            accepted = {part for part in now if now[part] > before[part]}
            kills.append(
                Kill(
                    run,
                    frozenset(accepted - stores.sent()),
                    sum(1 for row in stores.outbox if row.status == "pending"),
                )
            )
            before = now

        # A last run, stopped cleanly once everything is out.
        with (tmp_path / "final.log").open("w", encoding="utf-8") as stderr:
            process = start(config, tmp_path, stderr)
            try:

                def done() -> bool:
                    queued_for, pending = outbox_progress(data)
                    return queued_for >= set(chats) and pending == 0

                wait_until(done, "every part delivered")
            finally:
                code = stop(process)
        assert code == 0, (tmp_path / "final.log").read_text()
        final = delivered(api)

    stores = read_stores(data)
    assert set(chats) <= stores.subscribed
    assert {row.status for row in stores.outbox} == {"sent"}
    parts = [(row.chat_id, row.text) for row in stores.outbox]
    assert len(parts) == len(set(parts)), "two parts of one chat with the same text"
    assert {chat for chat, _ in parts} >= set(chats), "a chat never got its digest"

    # Every part delivered, each chat's parts in the order they were queued.
    assert all(final[part] >= 1 for part in parts)
    assert set(final) == set(parts), "the Bot API got a message that is not in the outbox"
    first_seen: dict[int, list[str]] = defaultdict(list)
    for message in api.sent:
        texts = first_seen[int(message.chat_id)]
        if message.method == "sendMessage" and message.text not in texts:
            texts.append(message.text)
    for chat in chats:
        assert first_seen[chat] == [text for c, text in parts if c == chat], f"order in {chat}"

    # Repeats only inside the window: a part went out again at most once per kill that caught
    # it accepted and unrecorded, and a kill catches at most one part per chat (one part per
    # chat is in flight).
    windows = Counter(part for kill in kills for part in kill.unrecorded)
    repeats = {part: count - 1 for part, count in final.items() if count > 1}
    for part, count in repeats.items():
        assert count <= windows[part], f"{part} repeated {count}×, in the window {windows[part]}×"
    for kill in kills:
        in_window = [chat for chat, _ in kill.unrecorded]
        assert len(in_window) == len(set(in_window)), f"run {kill.run}: two parts of one chat"
    # The kills did hit the bot in the middle of its work: some left parts to resume.
    assert any(kill.pending for kill in kills)
    print(
        f"\n{len(kills)} kills, {len(parts)} parts, {sum(kill.pending > 0 for kill in kills)}"
        f" kills left parts pending, {sum(windows.values())} caught in the window,"
        f" {sum(repeats.values())} repeated"
    )
