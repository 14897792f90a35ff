"""Benchmark: one real poll of many loopback feeds, cold (every feed 200) then warm (every 304).

Run from the project root::

    python bench/ingest.py                # 500 feeds × 50 items
    python bench/ingest.py --feeds 50     # a quick run
    python bench/ingest.py --hostile      # only the hostile-body parse bounds (a few seconds)
    python bench/ingest.py --real         # only the per-item cost on ../shared/feeds

The feeds are generated from Arabic and English templates with a seeded RNG (about one item in
ten is on topic) and served by ``tests.fakes.feed_server.FeedServer`` in a separate process, so
the CPU time measured here is the bot's alone. The poll is the real one, built by the composition
root (``bot.app.container.services``) from settings: fetch, parse, normalize, classify, archive,
cluster.

Printed side by side: cold and warm wall time and CPU per feed, the warm/cold ratio, items parsed
per CPU second, peak RSS, and PASS/FAIL against the targets (warm ≤ 2 ms CPU per feed; cold
≥ 1,500 items/s per core; peak RSS ≤ 150 MB).

Then where the CPU goes per item: the same bodies run again in this process, stage by stage as
the poll runs them (parse_feed, html_to_text, script_lang, the rest of to_article, classify,
entities for the relevant), in µs per item and as a multiple of feedparser's own time on the
same bodies (with parse_feed's options; feedparser's defaults, which also sanitize, are printed
too), the rest of the cold poll (fetch, dedupe, archive, stories), and PASS/FAIL for all stages
≤ 1.3x feedparser's time. ``--real`` prints the same breakdown for the shared corpus of real
feeds (``../shared/feeds``, read from there, skipped when absent), where items are longer.

``--hostile`` instead parses hostile bodies (nested tags, a flood of empty tags, a flood of tiny
items) twice in one run: as before the bounds (feedparser given the whole body) and through
``parse_feed`` (``bot.ingest.shape`` bounds the markup first). It prints CPU time and peak
traced memory of each, their ratios, and the worst body the bounds let through (just under the
tag budget of the default 500 items): the most one feed's parse can cost. Each parse runs in a
forked child (Linux), so its memory figure is its own growth of the resident set.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import multiprocessing
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]

WARM_CPU_PER_FEED_MS = 2.0
COLD_ITEMS_PER_CPU_S = 1_500.0
PEAK_RSS_MB = 150.0
HOSTILE_MIN_RATIO = 5.0
COLD_FP_RATIO = 1.3
WORST_PARSE_CPU_S = 2.0

# --- generated feeds --------------------------------------------------------------------------

AR_TOPIC = [
    "{who} يبحث مع نظيره الكوري الشمالي في {place} تعزيز التعاون العسكري بين روسيا وكوريا الشمالية",
    "وفد روسي يصل إلى بيونغ يانغ لبحث {thing} مع كوريا الشمالية",
    "تقرير: كوريا الشمالية ترسل {thing} إلى روسيا عبر {place}",
    "الكرملين: العلاقات مع كوريا الشمالية تشهد {trend} بعد قمة بوتين وكيم جونغ أون",
]
AR_OTHER = [
    "أسعار {thing} {trend} في أسواق {place} مع بداية الأسبوع",
    "{who} يفتتح معرضاً جديداً عن {thing} في {place}",
    "الأرصاد تتوقع {trend} في درجات الحرارة في {place} خلال الأيام المقبلة",
    "منتخب {place} يستعد لمباراة حاسمة وسط {trend} في صفوف الجماهير",
    "دراسة جديدة عن {thing} تثير اهتمام الباحثين في {place}",
    "وزارة التعليم في {place} تعلن خطة جديدة بشأن {thing}",
]
AR_FILL = {
    "who": ["وزير الخارجية", "رئيس الوزراء", "محافظ المدينة", "وزير الاقتصاد", "السفير"],
    "place": ["القاهرة", "بغداد", "دمشق", "الرياض", "عمّان", "بيروت", "تونس", "الرباط"],
    "thing": ["الذهب", "القمح", "النفط", "الطاقة الشمسية", "المياه", "الكتب", "الذخائر"],
    "trend": ["ارتفاعاً ملحوظاً", "تراجعاً طفيفاً", "استقراراً", "تقلبات حادة", "تحسناً"],
}
EN_TOPIC = [
    "{who} meets North Korean counterpart in {place} as Russia and North Korea deepen ties",
    "Russian delegation arrives in Pyongyang to discuss {thing} with North Korea",
    "Report: North Korea ships {thing} to Russia through {place}",
    "Kremlin says ties with North Korea show {trend} after Putin–Kim summit",
]
EN_OTHER = [
    "{thing} prices show {trend} in {place} markets as the week opens",
    "{who} opens a new exhibition on {thing} in {place}",
    "Forecasters expect {trend} in temperatures across {place} this week",
    "{place} squad prepares for a decisive match amid {trend} among fans",
    "New study on {thing} draws interest from researchers in {place}",
    "Education ministry in {place} unveils a plan on {thing}",
]
EN_FILL = {
    "who": ["The foreign minister", "The prime minister", "The mayor", "The economy minister"],
    "place": ["Cairo", "Baghdad", "Lisbon", "Nairobi", "Lima", "Oslo", "Hanoi", "Quito"],
    "thing": ["gold", "wheat", "oil", "solar power", "water", "books", "ammunition"],
    "trend": ["a sharp rise", "a slight dip", "stability", "wild swings", "an improvement"],
}
AR_BODY = (
    "<p>قال مسؤولون إن {a} و{b} ناقشوا الملف في اجتماع مطوّل، وأكدوا أن الخطوات المقبلة "
    "ستُعلن خلال الأسابيع القادمة.</p><p>وأضاف المصدر أن {c} سيبقى على رأس الأولويات.</p>"
)
EN_BODY = (
    "<p>Officials said {a} and {b} discussed the matter at length and that next steps would "
    "be announced in the coming weeks.</p><p>A source added that {c} remains a priority.</p>"
)


def feed_lang(index: int) -> str:
    return "ar" if index % 2 == 0 else "en"


def make_feed(index: int, items: int, seed: int, now: datetime) -> bytes:
    """One RSS 2.0 feed, the same for the same arguments."""
    rng = random.Random(seed * 1_000_003 + index)
    lang = feed_lang(index)
    topic, other, fill, body = (
        (AR_TOPIC, AR_OTHER, AR_FILL, AR_BODY)
        if lang == "ar"
        else (EN_TOPIC, EN_OTHER, EN_FILL, EN_BODY)
    )
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Feed {index}</title><link>https://feed{index}.example/</link>",
        f"<description>bench feed {index}</description><language>{lang}</language>",
    ]
    for n in range(items):
        template = rng.choice(topic if rng.random() < 0.1 else other)
        words = {key: rng.choice(values) for key, values in fill.items()}
        title = f"{template.format(**words)} ({index}-{n})"
        text = body.format(
            a=rng.choice(fill["who"]), b=rng.choice(fill["place"]), c=rng.choice(fill["thing"])
        )
        published = now - timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        link = f"https://feed{index}.example/news/{n}"
        parts.append(
            f"<item><title>{escape(title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">feed{index}-{n}</guid>'
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


# --- the feed server, in its own process ------------------------------------------------------


def _serve(conn: Connection, feeds: int, items: int, seed: int) -> None:
    """Child process: serve the generated feeds until the parent says stop."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.feed_server import FeedServer

    async def main() -> None:
        server = FeedServer()
        now = datetime.now(UTC)
        for index in range(feeds):
            server.add(f"/feed/{index}.xml", make_feed(index, items, seed, now))
        async with server:
            conn.send(server.base_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


# --- the measurement --------------------------------------------------------------------------


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def _top(profile: cProfile.Profile, label: str, lines: int = 25) -> str:
    out = io.StringIO()
    out.write(f"--- profile of the {label} poll (event-loop thread only) ---\n")
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


async def measure(
    base_url: str, feeds: int, concurrency: int, profile: bool = False
) -> dict[str, Any]:
    from bot.app.container import services
    from bot.config import Settings

    with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as data_dir:
        settings = Settings.model_validate(
            {
                "storage": {"data_dir": data_dir},
                "ingest": {
                    "allow_private_networks": True,
                    "concurrency": concurrency,
                    # Every bench feed is on the one loopback host.
                    "per_host_concurrency": concurrency,
                },
                "feeds": [
                    {"url": f"{base_url}/feed/{i}.xml", "name": f"Feed {i}", "lang": feed_lang(i)}
                    for i in range(feeds)
                ],
            }
        )
        async with services(settings) as svc:
            rss_before = peak_rss_mb()
            runs = []
            profiles = []
            for label in ("cold", "warm"):
                profiler = cProfile.Profile() if profile else None
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                # force: right after the cold poll no feed is due yet.
                report = await svc.poller.poll(force=True)
                if profiler is not None:
                    profiler.disable()
                runs.append((time.perf_counter() - wall, time.process_time() - cpu, report))
                if profiler is not None:
                    profiles.append(_top(profiler, label))
    return {
        "rss_before": rss_before,
        "runs": runs,
        "rss_peak": peak_rss_mb(),
        "profiles": profiles,
    }


# --- where the CPU goes per item, beside plain feedparser on the same bodies --------------------

REAL_FEEDS = ROOT.parent / "shared" / "feeds"
STAGES = ("parse", "html_to_text", "language", "article (id, link)", "classify", "entities")


def real_bodies(folder: Path = REAL_FEEDS) -> list[bytes]:
    """The bodies of the shared real-feed corpus, as the fetcher hands them on (decompressed)."""
    import gzip

    bodies = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".md", ".txt") or not path.is_file():
            continue
        body = path.read_bytes()
        bodies.append(gzip.decompress(body) if path.suffix == ".gz" else body)
    return bodies


def feedparser_cpu(bodies: Sequence[bytes], *, plain: bool) -> float:
    """CPU seconds of feedparser on ``bodies``: as anyone would call it (``plain``, which also
    sanitizes the HTML and resolves relative links), or with the options ``parse_feed`` uses."""
    import feedparser

    options: dict[str, Any] = (
        {}
        if plain
        else {
            "response_headers": {"content-type": "application/xml"},
            "sanitize_html": False,
            "resolve_relative_uris": False,
        }
    )
    start = time.process_time()
    for body in bodies:
        feedparser.parse(io.BytesIO(body), **options)
    return time.process_time() - start


def stage_costs(bodies: Sequence[bytes]) -> tuple[dict[str, float], int]:
    """CPU seconds of each stage the poll runs per item, over ``bodies``, and how many items:
    the stages are called one by one on the same inputs the poll gives them."""
    from bot.errors import ParseError
    from bot.ingest.articles import MAX_SUMMARY_CHARS, MAX_SUMMARY_HTML_CHARS, to_article
    from bot.ingest.parse import parse_feed
    from bot.text.html import html_to_text
    from bot.text.lang import script_lang
    from bot.topic.matcher import TopicMatcher
    from bot.topic.topic_file import load_lexicon

    matcher = TopicMatcher(load_lexicon())
    now = datetime.now(UTC)
    cost = dict.fromkeys(STAGES, 0.0)
    clock = time.process_time
    items = 0
    for body in bodies:
        start = clock()
        try:
            entries = parse_feed(body, base_url="https://feed.example/rss")
        except ParseError:
            entries = []
        cost["parse"] += clock() - start
        for entry in entries:
            start = clock()
            title = html_to_text(entry.title[:MAX_SUMMARY_HTML_CHARS])
            summary = html_to_text(entry.summary[:MAX_SUMMARY_HTML_CHARS], MAX_SUMMARY_CHARS)
            cleaned = clock()
            script_lang(f"{title} {summary}")
            detected = clock()
            article = to_article(entry, feed_url="https://feed.example/rss", source="s", now=now)
            built = clock()
            cost["html_to_text"] += cleaned - start
            cost["language"] += detected - cleaned
            # to_article cleans and detects again: only the rest of its time is its own
            cost["article (id, link)"] += max(0.0, (built - detected) - (detected - start))
            if article is None:
                continue
            items += 1
            decision = matcher.classify(article.title, article.summary)
            classified = clock()
            cost["classify"] += classified - built
            if decision.relevant:
                matcher.entities(f"{article.title}\n{article.summary}")
                cost["entities"] += clock() - classified
    return cost, items


def print_breakdown(
    label: str, bodies: Sequence[bytes], cost: dict[str, float], items: int
) -> tuple[float, float]:
    """Prints the per-item cost of each stage beside feedparser's on the same bodies; returns
    the ratio of all stages to feedparser with parse_feed's options, and plain feedparser's
    CPU seconds per item (its defaults, as anyone would call it)."""
    plain = feedparser_cpu(bodies, plain=True)
    bare = feedparser_cpu(bodies, plain=False)
    total = sum(cost.values())
    per = 1e6 / max(items, 1)
    print(f"per-item CPU, {label}: {len(bodies)} bodies, {items:,} items")
    print(f"{'stage':22}{'µs/item':>10}{'share':>8}{'× feedparser':>14}")
    for stage in STAGES:
        print(
            f"{stage:22}{cost[stage] * per:>10.0f}{cost[stage] / total:>8.0%}"
            f"{cost[stage] / bare:>13.2f}x"
        )
    print(f"{'all stages':22}{total * per:>10.0f}{'':>8}{total / bare:>13.2f}x")
    print(
        f"feedparser alone, with parse_feed's options (no sanitizing): {bare * per:,.0f} µs/item"
        f" ({items / bare:,.0f} items/s); with its defaults: {plain * per:,.0f} µs/item"
        f" ({items / plain:,.0f} items/s, all stages {total / plain:.2f}x that)"
    )
    return total / bare, plain / max(items, 1)


def real_main() -> int:
    sys.path.insert(0, str(ROOT))
    if not REAL_FEEDS.is_dir():
        print(f"real feeds: skipped, {REAL_FEEDS} not found")
        return 0
    bodies = real_bodies()
    stage_costs(bodies)  # warm-up: imports, the lexicon, caches
    cost, items = stage_costs(bodies)
    ratio, _ = print_breakdown(f"real feeds ({REAL_FEEDS.name}/)", bodies, cost, items)
    passed = ratio <= COLD_FP_RATIO
    print(
        f"{'PASS' if passed else 'FAIL'}  all stages ≤ {COLD_FP_RATIO:g}x feedparser's time"
        f" (parse_feed's options) on the same bodies"
    )
    return 0 if passed else 1


# --- hostile bodies: parse cost with and without the markup bounds ----------------------------

_HEAD = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
_ITEM = b"<item><title>x</title><link>https://h.example/1</link></item>"
_TAIL = b"</channel></rss>"


def hostile_bodies() -> list[tuple[str, bytes]]:
    """Modest bodies (well under the 5 MB fetch limit) so the unbounded parse takes about a
    second each; the real ones of issue 13 were 4.8 MB and took 100 s."""
    return [
        ("nested tags, 120 KB", _HEAD + _ITEM + b"<a>" * 40_000 + _TAIL),
        ("empty tags, 440 KB", _HEAD + _ITEM + b"<x/>" * 110_000 + _TAIL),
        ("tiny items, 900 KB", _HEAD + _ITEM * 15_000 + _TAIL),
    ]


def _unbounded(body: bytes) -> object:
    """What parse_feed did before the bounds: feedparser on the whole body."""
    import feedparser

    return feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-type": "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _bounded(body: bytes) -> object:
    from bot.errors import ParseError
    from bot.ingest.parse import parse_feed

    try:
        return parse_feed(body, max_items=500)
    except ParseError as exc:
        return exc


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cost(parse: Callable[[bytes], object], body: bytes) -> tuple[float, float, str]:
    """CPU seconds and memory growth (peak RSS over RSS before, MB) of one parse, run in a
    forked child so that each starts from the same memory and its peak is its own."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse, report, exit without running the parent's cleanup
        os.close(read_end)
        gc.collect()
        before = _status_kb("VmRSS")
        start = time.process_time()
        result = parse(body)
        cpu = time.process_time() - start
        grown = (_status_kb("VmHWM") - before) / 1e3
        outcome = (
            f"{len(result)} entries"
            if isinstance(result, list)
            else "refused"
            if isinstance(result, Exception)
            else f"{len(result.get('entries', []))} entries"  # type: ignore[attr-defined]
        )
        os.write(write_end, f"{cpu}\t{grown}\t{outcome}".encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        cpu_text, grown_text, outcome = pipe.read().decode().split("\t")
    os.waitpid(pid, 0)
    return float(cpu_text), float(grown_text), outcome


def hostile_main() -> int:
    sys.path.insert(0, str(ROOT))
    from bot.ingest.shape import MARKUP_BASE, MARKUP_PER_ITEM

    budget = 500 * MARKUP_PER_ITEM + MARKUP_BASE
    print("hostile bodies: feedparser on the whole body (before) vs. parse_feed (bounded)")
    print(
        f"{'body':22}{'CPU s before':>13}{'bounded':>9}{'ratio':>8}"
        f"{'+MB before':>11}{'bounded':>9}{'ratio':>8}  outcome (bounded)"
    )
    ratios = []
    for label, body in hostile_bodies():
        cpu_u, mem_u, _ = _cost(_unbounded, body)
        cpu_b, mem_b, outcome = _cost(_bounded, body)
        ratios.append(cpu_u / max(cpu_b, 1e-3))
        print(
            f"{label:22}{cpu_u:>13.2f}{cpu_b:>9.3f}{ratios[-1]:>7.0f}x"
            f"{mem_u:>11.1f}{mem_b:>9.1f}{mem_u / max(mem_b, 0.1):>7.0f}x  {outcome}"
        )
    worst = _HEAD + _ITEM + b"<x/>" * (budget - 20) + _TAIL
    cpu_w, mem_w, outcome = _cost(_bounded, worst)
    print(
        f"worst accepted body ({budget - 20:,} tags, just under the budget of {budget:,}):"
        f" {cpu_w:.2f} s CPU, +{mem_w:.1f} MB, {outcome}"
    )
    checks = [
        (
            f"every hostile body parses ≥ {HOSTILE_MIN_RATIO:g}x cheaper bounded",
            min(ratios) >= HOSTILE_MIN_RATIO,
        ),
        (f"the worst accepted body ≤ {WORST_PARSE_CPU_S:g} s CPU", cpu_w <= WORST_PARSE_CPU_S),
    ]
    for label, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {label}")
    return 0 if all(passed for _, passed in checks) else 1


def main(argv: Sequence[str] | None = None) -> int:
    # the bot of this checkout, not an installed copy
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="print where the time went (skews the figures)"
    )
    parser.add_argument(
        "--hostile", action="store_true", help="only the parse bounds on hostile bodies"
    )
    parser.add_argument(
        "--real", action="store_true", help="only the per-item cost on the shared real feeds"
    )
    args = parser.parse_args(argv)
    if args.hostile:
        return hostile_main()
    if args.real:
        return real_main()

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(
        target=_serve, args=(theirs, args.feeds, args.items, args.seed), daemon=True
    )
    server.start()
    try:
        if not ours.poll(120):
            raise SystemExit("the feed server did not start")
        base_url = ours.recv()
        result = asyncio.run(measure(base_url, args.feeds, args.concurrency, args.profile))
    finally:
        ours.send("stop")
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()

    for text in result["profiles"]:
        print(text)
    (cold_wall, cold_cpu, cold), (warm_wall, warm_cpu, warm) = result["runs"]
    n = args.feeds
    items_per_s = cold.new_items / cold_cpu if cold_cpu else float("inf")
    cold_ms, warm_ms = 1000 * cold_cpu / n, 1000 * warm_cpu / n
    print(f"ingest bench: {n} feeds × {args.items} items, concurrency {args.concurrency}")
    print("  (feed server in a separate process: the CPU times below are the bot's alone;")
    print("   every feed is on one loopback host, so per-host concurrency = concurrency)")
    print(f"{'':24}{'cold (200)':>14}{'warm (304)':>14}{'warm/cold':>12}")
    print(f"{'wall time, s':24}{cold_wall:>14.2f}{warm_wall:>14.2f}{warm_wall / cold_wall:>12.3f}")
    print(f"{'CPU time, s':24}{cold_cpu:>14.2f}{warm_cpu:>14.2f}{warm_cpu / cold_cpu:>12.3f}")
    print(f"{'CPU per feed, ms':24}{cold_ms:>14.2f}{warm_ms:>14.2f}")
    print(
        f"{'feeds ok / 304 / failed':24}"
        f"{f'{cold.feeds_ok}/{cold.feeds_not_modified}/{cold.feeds_failed}':>14}"
        f"{f'{warm.feeds_ok}/{warm.feeds_not_modified}/{warm.feeds_failed}':>14}"
    )
    print(f"{'new items (relevant)':24}{f'{cold.new_items} ({cold.relevant})':>14}")
    print(f"items parsed per CPU s: {items_per_s:,.0f}")
    print(
        f"peak RSS: {result['rss_peak']:.1f} MB (before the first poll: {result['rss_before']:.1f})"
    )
    for error in (cold.errors + warm.errors)[:5]:
        print(f"  error: {error}")
    # The same bodies again, stage by stage and through feedparser alone, in this process.
    now = datetime.now(UTC)
    bodies = [make_feed(index, args.items, args.seed, now) for index in range(n)]
    cost, staged_items = stage_costs(bodies)
    print()
    stages_ratio, plain_per_item = print_breakdown(
        "the same generated feeds", bodies, cost, staged_items
    )
    whole = cold_cpu / max(cold.new_items, 1)
    rest = whole - sum(cost.values()) / max(staged_items, 1)
    print(f"rest of the cold poll (fetch, dedupe, archive, stories): {rest * 1e6:,.0f} µs/item")
    print(
        f"the whole cold poll: {whole * 1e6:,.0f} µs/item,"
        f" {whole / plain_per_item:.2f}x plain feedparser (its defaults) on the same bodies"
    )
    checks = [
        (f"warm CPU per feed ≤ {WARM_CPU_PER_FEED_MS:g} ms", warm_ms <= WARM_CPU_PER_FEED_MS),
        (
            f"cold ≥ {COLD_ITEMS_PER_CPU_S:,.0f} items/s per core",
            items_per_s >= COLD_ITEMS_PER_CPU_S,
        ),
        (
            f"ingest stages ≤ {COLD_FP_RATIO:g}x feedparser's time on the same bodies",
            stages_ratio <= COLD_FP_RATIO,
        ),
        (f"peak RSS ≤ {PEAK_RSS_MB:g} MB", result["rss_peak"] <= PEAK_RSS_MB),
        ("every feed 200 cold, 304 warm", cold.feeds_ok == n and warm.feeds_not_modified == n),
    ]
    for label, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {label}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
