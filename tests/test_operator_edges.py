"""From the first command to a running bot: global options anywhere, commands that write only
in their data folder, exit codes and health that say what happened, the built-in feeds, the
demo that leads to search, and the help that describes what each command does."""

from __future__ import annotations

import io
import logging
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.container import services
from bot.cli import build_parser, main
from bot.config import Settings, load_settings
from bot.models import FeedState
from bot.ops import feeds_admin
from bot.store.archive import Archive
from bot.store.state import StateStore
from tests.fakes.feed_server import FeedServer

ROOT = Path(__file__).resolve().parent.parent


def feed_body() -> bytes:
    now = datetime.now(UTC)
    item = (
        "<item><guid>tag:wire.example,2026:troops</guid>"
        "<title>North Korean troops arrive in Russia's Kursk region</title>"
        "<link>https://wire.example/troops</link>"
        "<description>North Korean troops arrive in Russia's Kursk region.</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=1))}</pubDate></item>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"{item}</channel></rss>"
    ).encode()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    with server.run_in_thread() as running:
        running.add("/wire.xml", feed_body())
        running.add("/broken.xml", b"")
        running.set_status("/broken.xml", 500)
        yield running


def config_with(path: Path, feeds: FeedServer, *names: str) -> Path:
    path.write_text(
        "[ingest]\nallow_private_networks = true\n"
        + "".join(
            f'[[feeds]]\nurl = "{feeds.url(f"/{name}.xml")}"\nname = "{name}"\nlang = "en"\n'
            for name in names
        ),
        encoding="utf-8",
    )
    return path


# -- global options --------------------------------------------------------------------------


def test_global_options_are_taken_before_or_after_the_command(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n', encoding="utf-8")
    data = tmp_path / "d"
    for argv in (
        ["--config", str(config), "--data-dir", str(data), "check-config"],
        ["check-config", "--config", str(config), "--data-dir", str(data)],
        ["--config", str(config), "check-config", "--data-dir", str(data)],
        ["-v", "--data-dir", str(data), "check-config", "--config", str(config)],
    ):
        out = io.StringIO()
        assert main(argv, out=out) == 0, argv
        assert out.getvalue().startswith(f"{config}: OK — 1 feeds"), argv
        assert f"data folder {data}" in out.getvalue()
    args = build_parser().parse_args(["-v", "--config", "x.toml", "feeds", "list"])
    assert (args.config, args.verbose, args.data_dir) == (Path("x.toml"), True, None)
    # given after the command too, the later one wins
    args = build_parser().parse_args(["--data-dir", "a", "status", "--data-dir", "b"])
    assert args.data_dir == "b"


# -- nothing written outside the data folder -------------------------------------------------


def test_tests_run_in_an_empty_folder_of_their_own() -> None:
    assert Path.cwd().resolve() != ROOT
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.parametrize(
    "argv", [["check-config"], ["search", "Kursk"], ["status"], ["stats"], ["feeds", "status"]]
)
def test_looking_commands_without_a_config_write_nothing(argv: list[str]) -> None:
    assert main(argv, out=io.StringIO()) == 0, argv
    if argv[0] == "feeds":
        return  # feeds writes its state, but in the data folder: ./data is its folder here
    assert list(Path.cwd().iterdir()) == []


def test_check_config_names_the_config_it_read_and_every_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    assert main(["check-config"], out=out) == 0
    assert out.getvalue().startswith("defaults (no config.toml): OK — 14 feeds (built-in list)")
    assert "Telegram off, Discord off, LLM off" in out.getvalue()
    Path("config.toml").write_text(
        '[storage]\ndata_dir = "elsewhere"\n[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "discord-secret-token")
    out = io.StringIO()
    assert main(["check-config"], out=out) == 0
    text = out.getvalue()
    assert text.startswith("config.toml (the default config): OK — 1 feeds,")
    assert "Discord on" in text and "discord-secret-token" not in text
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["config.toml"]


# -- built-in feeds --------------------------------------------------------------------------


def test_the_built_in_feeds_are_real_outlets_in_both_languages_with_their_origin() -> None:
    raw = tomllib.loads((ROOT / "bot/data/feeds/default.toml").read_text(encoding="utf-8"))
    feeds = feeds_admin.default_feeds()
    assert len(feeds) == len(raw["feeds"]) >= 10
    assert len({f.url for f in feeds}) == len(feeds)
    assert {f.lang for f in feeds} == {"ar", "en"}
    assert all(f.url.startswith("https://") for f in feeds)
    assert all(entry["source"].strip() for entry in raw["feeds"])
    names = {f.name for f in feeds}
    assert {"NK News", "TASS", "RT Arabic", "الجزيرة نت"} <= names
    # a corpus origin names a file that the shared feed corpus holds, when it is there
    corpus = ROOT.parent / "shared" / "feeds"
    for entry in raw["feeds"]:
        if entry["source"].startswith("feed corpus:") and corpus.is_dir():
            name = entry["source"].removeprefix("feed corpus:").strip()
            assert entry["url"].encode() in (corpus / name).read_bytes(), name


def test_a_config_without_feeds_polls_the_built_in_list_and_says_so(
    tmp_path: Path,
    feeds: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the built-in list, pointed at loopback (tests never reach the outlets themselves)
    listed = Settings.model_validate(
        {"feeds": [{"url": feeds.url("/wire.xml"), "name": "Wire", "lang": "en"}]}
    ).feeds
    monkeypatch.setattr(feeds_admin, "default_feeds", lambda: list(listed))
    config = tmp_path / "config.toml"
    config.write_text("[ingest]\nallow_private_networks = true\n", encoding="utf-8")
    out = io.StringIO()
    with caplog.at_level(logging.INFO):
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "d"), "once"], out=out)
    assert code == 0
    assert "North Korean troops arrive in Russia's Kursk region" in out.getvalue()
    assert any("built-in feeds" in r.getMessage() for r in caplog.records)
    # a config that lists feeds is left as it is
    assert len(load_settings(config_with(tmp_path / "own.toml", feeds, "wire")).feeds) == 1
    assert feeds_admin.with_default_feeds(load_settings(tmp_path / "own.toml")).feeds[0].name == (
        "wire"
    )


def test_feeds_list_with_no_feeds_says_how_to_add_one(tmp_path: Path) -> None:
    state = StateStore(tmp_path)
    out = io.StringIO()
    feeds_admin.list_feeds(Settings(), state, datetime.now(UTC), out)
    state.close()
    assert "no feeds" in out.getvalue() and "digestbot feeds add URL" in out.getvalue()
    assert "لا خلاصات" in out.getvalue()


# -- exit codes and health -------------------------------------------------------------------


def test_once_fails_when_no_feed_could_be_fetched_and_status_turns_unhealthy(
    tmp_path: Path, feeds: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    config = str(config_with(tmp_path / "c.toml", feeds, "broken"))
    assert main(["once", "--config", config, "--data-dir", data], out=io.StringIO()) == 1
    assert "none of the 1 feeds polled could be fetched" in capsys.readouterr().err
    out = io.StringIO()
    assert main(["status", "--config", config, "--data-dir", data], out=out) == 1
    assert "health: UNHEALTHY" in out.getvalue()
    assert "feeds failing: all 1 enabled feeds are failing" in out.getvalue()

    # one feed that works is enough
    both = str(config_with(tmp_path / "both.toml", feeds, "broken", "wire"))
    assert main(["once", "--force", "--config", both, "--data-dir", data], out=io.StringIO()) == 0
    out = io.StringIO()
    assert main(["status", "--config", both, "--data-dir", data], out=out) == 0
    assert "health: OK" in out.getvalue()


def test_once_without_a_channel_stores_no_chat_and_prints_only_what_is_new(
    tmp_path: Path, feeds: FeedServer
) -> None:
    data = tmp_path / "d"
    config = str(config_with(tmp_path / "c.toml", feeds, "wire"))
    first = io.StringIO()
    assert main(["once", "--config", config, "--data-dir", str(data)], out=first) == 0
    assert "Kursk region" in first.getvalue()
    state = StateStore(data, read_only=True)
    assert state.chats() == []
    state.close()
    out = io.StringIO()
    assert main(["chats", "list", "--config", config, "--data-dir", str(data)], out=out) == 0
    assert "console" not in out.getvalue()
    again = io.StringIO()
    assert main(["once", "--force", "--config", config, "--data-dir", str(data)], out=again) == 0
    assert "Kursk region" not in again.getvalue()


def test_status_is_unhealthy_when_the_last_delivery_failed_for_good(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n', encoding="utf-8")
    now = datetime.now(UTC)
    archive = Archive.in_dir(tmp_path)
    for key in ("first", "second"):
        archive.queue_digest(
            platform="telegram",
            chat_id=7,
            thread_id=None,
            digest_key=key,
            period_end=now,
            parts=["digest"],
            now=now,
        )
    first, second = archive.pending("telegram")
    archive.mark_sent(first.id, 1, now)
    archive.mark_failed(second.id, "Forbidden: bot was kicked", final=True)
    archive.close()
    argv = ["status", "--config", str(config), "--data-dir", str(tmp_path)]
    out = io.StringIO()
    assert main(argv, out=out) == 1
    assert "delivery failed: the last message was given up on" in out.getvalue()
    assert "last delivery: failed — Forbidden: bot was kicked" in out.getvalue()

    # a later message that went out makes it healthy again
    archive = Archive.in_dir(tmp_path)
    archive.queue_digest(
        platform="telegram",
        chat_id=7,
        thread_id=None,
        digest_key="third",
        period_end=now,
        parts=["digest"],
        now=now,
    )
    archive.mark_sent(archive.pending("telegram")[0].id, 2, now)
    archive.close()
    out = io.StringIO()
    assert main(argv, out=out) == 0, out.getvalue()
    assert "last delivery: sent" in out.getvalue()


# -- cron ------------------------------------------------------------------------------------


async def test_once_follows_the_cadence_of_cron(tmp_path: Path) -> None:
    from bot.cli.once import follow_cron

    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "schedule": {"poll_minutes": 30},
            "feeds": [
                {"url": "https://own.example/rss", "name": "Own"},
                {"url": "https://asked.example/rss", "name": "Asked"},
                {"url": "https://failing.example/rss", "name": "Failing"},
                {"url": "https://early.example/rss", "name": "Early"},
            ],
        }
    )
    now = datetime(2024, 11, 5, 9, 0, 5, tzinfo=UTC)
    last = now - timedelta(minutes=30)  # cron ran 30 minutes ago and polled every feed
    async with services(settings, now=lambda: now) as svc:
        stored = {f.url: f for f in svc.poller.feeds()}

        def fetched(
            url: str, *, after: timedelta, at: datetime = last, failures: int = 0
        ) -> FeedState:
            return replace(
                stored[url], last_fetch_at=at, next_poll_at=at + after, failures=failures
            )

        svc.state.save_feeds(
            [
                # the bot's own interval with its jitter: not quite due at the next cron run
                fetched("https://own.example/rss", after=timedelta(minutes=32)),
                # the server asked for an hour (Cache-Control, Retry-After): kept
                fetched("https://asked.example/rss", after=timedelta(minutes=60)),
                # backoff after failures: kept
                fetched("https://failing.example/rss", after=timedelta(minutes=32), failures=2),
                # fetched 10 minutes ago (cron more often than poll_minutes): not due
                fetched(
                    "https://early.example/rss",
                    after=timedelta(minutes=32),
                    at=now - timedelta(minutes=10),
                ),
            ]
        )
        assert follow_cron(svc) == 1
        due = {f.url for f in svc.poller.feeds() if f.next_poll_at and f.next_poll_at <= now}
    assert due == {"https://own.example/rss"}


# -- demo and help ---------------------------------------------------------------------------


def test_demo_says_how_to_keep_its_archive_and_keep_leads_to_search(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    assert "digestbot demo --keep ~/digestbot-demo" in out.getvalue()
    assert list(Path.cwd().iterdir()) == []
    kept = tmp_path / "kept"
    out = io.StringIO()
    assert main(["demo", "--keep", str(kept)], out=out) == 0
    assert f"archive kept in {kept}: digestbot search --data-dir {kept} Kursk" in out.getvalue()
    found = io.StringIO()
    assert main(["search", "--data-dir", str(kept), "Kursk"], out=found) == 0
    assert found.getvalue().startswith("1. ")


def test_demo_help_says_what_its_options_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "[llm] and [topic]" in text and "default ./config.toml" not in text
    assert "--keep DIR" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "for Telegram and Discord" in " ".join(capsys.readouterr().out.split())


def test_the_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    # PEP 639's string form needs setuptools 77
    assert "setuptools>=77" in project["build-system"]["requires"]
