"""``digestbot export`` / ``import``: the document round-trips (export, import into an empty
data folder, export again: the same), imports are idempotent and never move a chat's last
digest back, and an invalid file is refused with a clear line and changes nothing."""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.errors import DigestbotError
from bot.models import Chat, FeedState
from bot.ops.transfer import (
    ChatRecord,
    export_document,
    parse_document,
    plan_import,
)
from bot.store.archive import Archive
from bot.store.state import STATE_FILE, StateStore

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)

CHATS = [
    Chat("telegram", -1001, lang="both", ui_lang="ar", subscribed=True, thread_id=7,
         title="غرفة الأخبار", subscribed_at=NOW - timedelta(days=9),
         last_digest_at=NOW - timedelta(hours=13), digest_times=("07:00", "19:30"),
         timezone="Asia/Riyadh", alerts=True, watch=("كورسك", '"rail link"')),
    Chat("telegram", 42, subscribed=False),
    Chat("discord", 123456789012345678, lang="en", subscribed=True,
         subscribed_at=NOW - timedelta(days=1)),
]  # fmt: skip
FEEDS = [
    FeedState(url="https://a.example/rss", name="A", lang="ar", origin="operator",
              added_at=NOW - timedelta(days=3), etag='"x"', failures=2),
    FeedState(url="https://b.example/feed", name="B", origin="operator", disabled=True,
              fetch_url="https://b2.example/feed"),
]  # fmt: skip


def fill(data: Path, chats: list[Chat], feeds: list[FeedState]) -> None:
    state = StateStore(data)
    for chat in chats:
        state.save_chat(chat)
    state.save_feeds(feeds)
    state.close()


def cli(data: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main([*args, "--data-dir", str(data), "--config", str(data / "none.toml")], out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path) -> None:
    """Every command here runs with an empty config (no configured feeds)."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "none.toml").write_text("")


def here(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what describes the install rather than the feed: an imported feed
    is new here (added now, polled as an operator's feed whatever the old config said)."""
    feeds = [
        {k: v for k, v in f.items() if k not in ("origin", "added_at")} for f in document["feeds"]
    ]
    return {**document, "feeds": feeds}


def without_time(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    document.pop("exported_at")
    return here(document)


def test_round_trip_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    fill(first, CHATS, FEEDS)
    code, text = cli(first, "export", "-")
    assert code == 0
    document = json.loads(text)
    assert document["format"] == "digestbot-export" and document["version"] == 1
    assert len(document["chats"]) == 3 and len(document["feeds"]) == 2
    assert "etag" not in document["feeds"][0]  # HTTP cache state stays with its archive
    exported = tmp_path / "export.json"
    exported.write_text(text, encoding="utf-8")

    assert cli(second, "import", str(exported))[0] == 0
    assert "chats: 3 added, 0 updated, 0 unchanged; feeds: 2 added" in capsys.readouterr().err
    assert without_time(cli(second, "export", "-")[1]) == without_time(text)
    state = StateStore(second)
    assert state.chat("telegram", -1001) == CHATS[0]
    imported = state.feed("https://b.example/feed")
    assert imported is not None and imported.added_at is not None  # new here: dated now
    assert imported == FeedState(
        url="https://b.example/feed", name="B", origin="operator", disabled=True,
        fetch_url="https://b2.example/feed", added_at=imported.added_at,
    )  # fmt: skip
    state.close()

    # idempotent: the same file again changes nothing
    before = (second / STATE_FILE).read_bytes()
    assert cli(second, "import", str(exported))[0] == 0
    assert "chats: 0 added, 0 updated, 3 unchanged; feeds: 0 added, 0 updated, 2 unchanged" in (
        capsys.readouterr().err
    )
    assert (second / STATE_FILE).read_bytes() == before


def test_export_to_a_file_and_import_from_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    fill(first, CHATS, FEEDS)
    target = tmp_path / "subs.json"
    assert cli(first, "export", str(target))[0] == 0
    assert f"exported 3 chats and 2 feeds to {target}" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(target.read_bytes())))
    assert cli(second, "import", "-")[0] == 0
    assert "imported standard input: chats: 3 added" in capsys.readouterr().err


def test_the_last_digest_of_the_outbox_travels_and_is_never_moved_back(tmp_path: Path) -> None:
    data = tmp_path / "a"
    fill(data, [CHATS[2]], [])
    archive = Archive.in_dir(data)
    sent_until = NOW - timedelta(hours=1)
    archive.queue_digest(
        platform="discord", chat_id=CHATS[2].chat_id, thread_id=None, digest_key="k",
        period_end=sent_until, parts=["x"], now=NOW,
    )  # fmt: skip
    archive.close()
    document = json.loads(cli(data, "export", "-")[1])
    assert datetime.fromisoformat(document["chats"][0]["last_digest_at"]) == sent_until

    # an older export imported over newer state keeps the newer last digest
    older = {**document, "chats": [{**document["chats"][0], "last_digest_at": None}]}
    parsed = parse_document(json.dumps(older).encode(), source="old.json")
    newer = Chat("discord", CHATS[2].chat_id, last_digest_at=sent_until)
    plan = plan_import(parsed, {("discord", CHATS[2].chat_id): newer}, {}, NOW)
    assert plan.chats[0].last_digest_at == sent_until


GOOD: dict[str, Any] = {
    "format": "digestbot-export",
    "version": 1,
    "exported_at": "2024-11-05T09:00:00+00:00",
    "chats": [{"platform": "telegram", "chat_id": 5, "subscribed": True}],
    "feeds": [{"url": "https://a.example/rss", "name": "A"}],
}


def bad(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"format": "\xff"}', "not UTF-8"),
        (b"[]", "(top level): Input should be a valid dictionary"),
        (bad(format="opml"), "format: Input should be 'digestbot-export'"),
        (bad(version=2), "export version 2; this digestbot reads 1"),
        (bad(chats=[{"platform": "telegram", "chat_id": "5"}]), "chats[0].chat_id:"),
        (bad(chats=[{"platform": "telegram", "chat_id": 5, "lang": "fr"}]), "chats[0].lang:"),
        (
            bad(chats=[{"platform": "telegram", "chat_id": 5, "digest_times": ["8am"]}]),
            "chats[0].digest_times[0]: not a time of day",
        ),
        (
            bad(chats=[{"platform": "telegram", "chat_id": 5, "timezone": "Mars/Base"}]),
            "chats[0].timezone: unknown timezone",
        ),
        (
            bad(chats=[{"platform": "telegram", "chat_id": 5, "subscribed_at": "2024-11-05"}]),
            "chats[0].subscribed_at:",
        ),
        (bad(chats=[GOOD["chats"][0], GOOD["chats"][0]]), "chats[1]: telegram:5 is listed twice"),
        (bad(feeds=[{"url": "ftp://x", "name": "X"}]), "feeds[0].url: not an http(s) URL"),
        (bad(feeds=[{"url": "https://a.example/", "name": ""}]), "feeds[0].name:"),
        (bad(feeds=[{"url": "https://a.example/", "name": "A", "etag": "x"}]), "feeds[0].etag:"),
        (bad(surprise=1), "surprise: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_file_is_refused_and_changes_nothing(
    tmp_path: Path, raw: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "a"
    fill(data, CHATS, FEEDS)
    before = (data / STATE_FILE).read_bytes()
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    assert cli(data, "import", str(path))[0] == 2
    err = capsys.readouterr().err
    assert f"digestbot: {path}: " in err and message in err
    assert (data / STATE_FILE).read_bytes() == before


def test_a_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path / "a", "import", str(tmp_path / "nope.json"))[0] == 2
    assert "nope.json: cannot be read: No such file or directory" in capsys.readouterr().err


def test_the_record_covers_every_chat_field() -> None:
    """A field added to Chat must be added to the export too (or the import would drop it)."""
    assert set(ChatRecord.model_fields) == {f.name for f in fields(Chat)}


def test_a_state_value_the_import_would_refuse_is_not_exported() -> None:
    with pytest.raises(DigestbotError, match="chat telegram:1 cannot be exported: lang"):
        export_document([Chat("telegram", 1, lang="fr")], [], {}, NOW)  # type: ignore[arg-type]


# Hypothesis: any chats and feeds the stores can hold round-trip.

aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
chats = st.lists(
    st.builds(
        Chat,
        platform=st.sampled_from(["telegram", "discord", "discord-webhook", "console"]),
        chat_id=st.integers(-(2**63), 2**63 - 1),
        lang=st.sampled_from(["ar", "en", "both"]),
        ui_lang=st.sampled_from(["ar", "en"]),
        subscribed=st.booleans(),
        thread_id=st.none() | st.integers(1, 2**31),
        title=st.text(max_size=40),
        subscribed_at=st.none() | aware,
        last_digest_at=st.none() | aware,
        digest_times=st.lists(clock, max_size=4, unique=True).map(sorted).map(tuple),
        timezone=st.sampled_from(["", "UTC", "Asia/Riyadh", "Europe/Moscow"]),
        alerts=st.booleans(),
        watch=st.lists(
            st.sampled_from(["Kursk", "كورسك", '"سكك حديدية"', "Tumen bridge", "1,500"]),
            max_size=3,
            unique=True,
        ).map(tuple),
    ),
    max_size=6,
    unique_by=lambda c: (c.platform, c.chat_id),
)
feeds = st.lists(
    st.builds(
        FeedState,
        url=st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,8}", fullmatch=True),
        name=st.text(min_size=1, max_size=30),
        lang=st.sampled_from([None, "ar", "en"]),
        origin=st.sampled_from(["config", "operator"]),
        disabled=st.booleans(),
        fetch_url=st.none() | st.just("https://moved.example/rss"),
        added_at=st.none() | aware,
    ),
    max_size=5,
    unique_by=lambda f: f.url,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chats=chats, feeds=feeds)
def test_any_state_round_trips(chats: list[Chat], feeds: list[FeedState]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        first, second = Path(scratch, "a"), Path(scratch, "b")
        fill(first, chats, feeds)
        state = StateStore(first)
        exported = export_document(state.chats(), state.feeds(), {}, NOW)
        state.close()
        raw = json.dumps(exported, ensure_ascii=False).encode()
        target = StateStore(second)
        plan = plan_import(parse_document(raw, source="x"), {}, {}, NOW)
        target.save_chats(plan.chats)
        target.save_feeds(plan.feeds)
        assert all(f.origin == "operator" and f.added_at == NOW for f in target.feeds())
        assert here(export_document(target.chats(), target.feeds(), {}, NOW)) == here(exported)
        assert target.chats() == sorted(chats, key=lambda c: (c.platform, c.chat_id))
        again = plan_import(parse_document(raw, source="x"), {
            (c.platform, c.chat_id): c for c in target.chats()
        }, {f.url: f for f in target.feeds()}, NOW)  # fmt: skip
        assert (again.chats, again.feeds) == ((), ())
        target.close()


def test_imported_feeds_are_polled_here_and_keep_what_the_file_leaves_out() -> None:
    raw = bad(
        chats=[],
        feeds=[
            {"url": "https://new.example/rss", "name": "New", "origin": "config"},
            {"url": "https://known.example/rss", "name": "Renamed"},
        ],
    )
    known = FeedState(
        url="https://known.example/rss",
        name="Known",
        fetch_url="https://moved.example/rss",
        added_at=NOW - timedelta(days=90),
    )
    later = NOW + timedelta(days=1)
    plan = plan_import(parse_document(raw, source="x"), {}, {known.url: known}, later)
    new, renamed = plan.feeds
    # listed in the old install's config, not in this one's: polled here as an operator's feed,
    # dated now so that its backlog is archived rather than announced
    assert (new.origin, new.added_at) == ("operator", later)
    assert renamed == replace(known, name="Renamed")  # nothing the file left out is lost


def test_imported_chats_follow_the_settings_rules_and_times_are_utc() -> None:
    record = {
        "platform": "telegram",
        "chat_id": 7,
        "digest_times": ["19:00", "7:00", "19:00"],
        "last_digest_at": "2026-01-01T12:00:00+03:00",
    }
    [chat] = plan_import(parse_document(bad(chats=[record]), source="x"), {}, {}, NOW).chats
    assert chat.digest_times == ("07:00", "19:00")
    assert chat.last_digest_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert chat.last_digest_at.utcoffset() == timedelta(0)
    seven = [f"{h:02d}:00" for h in range(7)]
    with pytest.raises(DigestbotError, match="digest_times"):
        parse_document(bad(chats=[{**record, "digest_times": seven}]), source="x")
