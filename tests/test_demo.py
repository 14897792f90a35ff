"""`digestbot demo`: the whole pipeline on the bundled feeds, offline, deterministic."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.app.container import services
from bot.cli import main
from bot.cli.demo import demo_settings
from bot.ops.demo import load_manifest, serve


def test_demo_prints_a_bilingual_digest_with_links() -> None:
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    text = out.getvalue()
    assert "📰 Russia–North Korea relations" in text
    assert "📰 موجز العلاقات الروسية الكورية الشمالية" in text
    links = re.findall(r"<(https://[^>]+)>", text)
    assert len(links) >= 10 and all(".example." in link for link in links)
    # both stories of the seed article are caught
    assert "10900" in text and "تومانغانغ" in text and "Tumangang" in text
    # near-misses and off-topic items are not in the digest
    assert "Hyundai" not in text and "أوبك" not in text and "Kursk submarine" not in text
    assert "— demo: 4 feeds, 40 new items read, 18 about Russia–North Korea" in text
    # deterministic: a second run prints the same digest
    again = io.StringIO()
    main(["demo"], out=again)
    assert again.getvalue() == text


async def test_demo_feeds_are_filtered_and_clustered_as_labelled(tmp_path: Path) -> None:
    manifest = load_manifest()
    expected = manifest.expected
    with serve(manifest) as base_url:
        settings = demo_settings(manifest, base_url, str(tmp_path))
        async with services(settings, now=lambda: manifest.now) as svc:
            report = await svc.poller.poll()
            assert report.feeds_ok == 4 and report.new_items == 40
            rows = svc.archive.recent_articles(manifest.now.replace(year=2000))
    # ids are "g:<feed key>:<guid>"
    story_of = {row.article.id.split(":", 2)[2]: row.story_id for row in rows}
    assert set(story_of) == set(expected["relevant"])
    for group in expected["same_event"]:
        assert len({story_of[guid] for guid in group}) == 1, group
    grouped = {guid for group in expected["same_event"] for guid in group}
    # every labelled event is its own story, and no two events share one
    events = [tuple(g) for g in expected["same_event"]] + [
        (guid,) for guid in expected["relevant"] if guid not in grouped
    ]
    assert len({story_of[event[0]] for event in events}) == len(events)


def test_demo_can_keep_its_archive_for_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--data-dir", str(tmp_path)], out=io.StringIO()) == 0
    out = io.StringIO()
    assert main(["search", "Tumangang", "--data-dir", str(tmp_path)], out=out) == 0
    assert "تومانغانغ" in out.getvalue() or "Tumangang" in out.getvalue()
    capsys.readouterr()

    # a filter it cannot use is explained in both languages on standard error, with a usage
    # exit code and an example for the terminal (not Telegram's /search)
    out = io.StringIO()
    code = main(["search", "Tumangang", "since:2024-13-45", "--data-dir", str(tmp_path)], out=out)
    assert code == 2
    assert out.getvalue() == ""
    err = capsys.readouterr().err
    assert "“since:2024-13-45”" in err and "«since:2024-13-45»" in err
    assert "since:YYYY-MM-DD" in err
    assert "/search" not in err and "digestbot search Kursk lang:en" in err
