"""Benchmark: ``digestbot feeds import`` of a large OPML file, against a linear baseline.

Run from the project root::

    python bench/opml_import.py                      # 1,000 and 20,000 feeds
    python bench/opml_import.py --sizes 500 5000     # other sizes
    python bench/opml_import.py --budget 60          # give up on a size after 60 s

For each size N an OPML file of N distinct feeds (nested folders, Arabic and English titles) is
imported by the real ``feeds_admin.import_opml`` into an empty state file, in a child process
stopped after ``--budget`` seconds. Beside it, in the same run, the linear baseline: parsing
that file (``parse_opml``) plus saving N feed states in one ``StateStore.save_feeds`` — the work
an import cannot avoid. Printed side by side: import and baseline seconds, microseconds per feed,
their ratio, and how the time per feed grows from the smallest size to the largest (1.0 is
linear; the defect this guards against grew about 20-fold from 1,000 to 20,000 feeds). PASS when
the growth of the import's time per feed stays within 3× the baseline's.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GROWTH_LIMIT = 3.0


def opml(feeds: int) -> bytes:
    """N distinct feeds in folders of 50, alternating Arabic and English."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>bench']
    parts.append("</title></head><body>")
    for start in range(0, feeds, 50):
        parts.append(f'<outline text="folder {start // 50}">')
        for i in range(start, min(start + 50, feeds)):
            lang, title = ("ar", f"وكالة الأنباء {i}") if i % 2 else ("en", f"News wire {i}")
            url = f"https://news{i}.example.com/feeds/{i}/rss.xml?lang={lang}"
            parts.append(
                f"<outline type={quoteattr('rss')} text={quoteattr(title)}"
                f" xmlUrl={quoteattr(url)} language={quoteattr(lang)}/>"
            )
        parts.append("</outline>")
    parts.append("</body></opml>")
    return "".join(parts).encode()


def _import(conn: Connection, data: bytes) -> None:
    from bot.config import Settings
    from bot.ops.feeds_admin import import_opml
    from bot.store.state import StateStore

    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder))
        out = io.StringIO()
        started = time.perf_counter()
        added = import_opml(Settings(), state, NOW, data, out)
        conn.send((time.perf_counter() - started, added))
        state.close()


def _update(conn: Connection, data: bytes) -> None:
    """A poll's save of every feed's state, once they are all stored."""
    from dataclasses import replace

    from bot.config import Settings
    from bot.ops.feeds_admin import import_opml
    from bot.store.state import StateStore

    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder))
        import_opml(Settings(), state, NOW, data, io.StringIO())
        polled = [replace(feed, failures=1, last_status=200) for feed in state.feeds()]
        started = time.perf_counter()
        state.save_feeds(polled)
        conn.send((time.perf_counter() - started, len(polled)))
        state.close()


def _baseline(conn: Connection, data: bytes) -> None:
    from bot.ingest.opml import parse_opml
    from bot.models import FeedState
    from bot.store.state import StateStore

    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder))
        started = time.perf_counter()
        sources, _ = parse_opml(data)
        state.save_feeds(
            FeedState(url=s.url, name=s.name, lang=s.lang, added_at=NOW, origin="operator")
            for s in sources
        )
        conn.send((time.perf_counter() - started, len(sources)))
        state.close()


def timed(target: object, data: bytes, budget: float) -> tuple[float, int] | None:
    """Run ``target`` in a child process; its seconds and feed count, None past ``budget``."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, data), daemon=True)
    process.start()
    try:
        if not ours.poll(budget + 30):  # start-up and file writes on top of the budget
            return None
        seconds, count = ours.recv()
        return (seconds, count) if seconds <= budget else None
    finally:
        process.terminate()
        process.join(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 20_000])
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per import")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    rows: dict[int, tuple[tuple[float, int] | None, tuple[float, int] | None]] = {}
    updates: dict[int, tuple[float, int] | None] = {}
    header = ("feeds", 7), ("import s", 9), ("µs/feed", 8), ("baseline s", 11), ("µs/feed", 8)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'ratio':>6}")
    for size in sizes:
        data = opml(size)
        imported = timed(_import, data, args.budget)
        base = timed(_baseline, data, args.budget)
        rows[size] = (imported, base)
        updates[size] = timed(_update, data, args.budget) if imported else None
        if imported is not None and imported[1] != size:
            print(f"{size}: the import added {imported[1]} feeds, not {size}")
            return 1
        shown_import = (
            f"{imported[0]:9.2f} {imported[0] / size * 1e6:8.0f}"
            if imported
            else f"{'>' + str(int(args.budget)):>9} {'—':>8}"
        )
        shown_base = (
            f"{base[0]:11.2f} {base[0] / size * 1e6:8.0f}" if base else f"{'—':>11} {'—':>8}"
        )
        ratio = f"{imported[0] / base[0]:6.1f}" if imported and base else f"{'—':>6}"
        print(f"{size:>7} {shown_import} {shown_base} {ratio}")
    small, large = sizes[0], sizes[-1]
    first, last = rows[small], rows[large]
    if first[0] is None or last[0] is None or first[1] is None or last[1] is None:
        print(f"FAIL: an import did not finish within {args.budget:.0f} s")
        return 1
    grew = (last[0][0] / large) / (first[0][0] / small)
    base_grew = (last[1][0] / large) / (first[1][0] / small)
    print(
        f"time per feed, {large:,} vs {small:,} feeds: import ×{grew:.2f},"
        f" baseline ×{base_grew:.2f}"
    )
    ok = grew <= GROWTH_LIMIT * max(base_grew, 1.0)
    first_update, last_update = updates[small], updates[large]
    if first_update is None or last_update is None:
        print(f"FAIL: a save of every feed did not finish within {args.budget:.0f} s")
        return 1
    update_grew = (last_update[0] / large) / (first_update[0] / small)
    print(
        f"save of every feed after a poll: {first_update[0]:.2f} s for {small:,},"
        f" {last_update[0]:.2f} s for {large:,}: time per feed ×{update_grew:.2f}"
    )
    ok = ok and update_grew <= GROWTH_LIMIT * max(base_grew, 1.0)
    print(
        f"{'PASS' if ok else 'FAIL'}: import and save grow ≤ {GROWTH_LIMIT:.0f}× the"
        " baseline's growth"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
