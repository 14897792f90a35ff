"""Benchmark: LLM summary quality on real stories - grounding, language purity, length, cost.

Corpus: ``../shared/corpora/stories-dev.jsonl`` beside the project (real outlets' headlines and
leads, labelled with the real event each reports; read from there, never copied). Its articles
grouped by event are the stories; each is summarized by ``bot.summarize.llm.LLMSummarizer`` as
the bot would (prompt, one retry with the reason, grounding check), with the packaged topic
lexicon.

By default against the fake OpenAI server of ``tests/fakes`` on loopback, run five times:
``grounded`` (extractive answers copied from the articles: every rejection there is a false
one, target 0) and the same answers spoilt by an invented figure, an invented name and an
obeyed injection (target: every answer caught). With ``--live`` the summarizer uses the ``[llm]``
section of the config (``--config``, default ./config.toml, and the usual environment), so an
operator with Ollama or an API key can measure a model; there is no right answer then, only
the figures.

Per language, for the first answer of each story (before any retry): answers with a grounding
violation by reason, language purity (the mean share of letters in the language's script) and
mean length of headline and summary; per story: calls, tokens and stories that fell back to
the offline summary. Run from the project root:

    python bench/summaries.py [--real PATH] [--live] [--config PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # `python bench/summaries.py` puts bench/ first on sys.path; the project root is one up.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stories import REAL, load
from bot.errors import DigestbotError, SummarizeError
from bot.models import Article, Story
from bot.summarize.grounding import Sources, Ungrounded, check_grounding
from bot.summarize.llm import LLMSummarizer
from bot.summarize.prompt import pick_articles
from bot.summarize.schema import AnswerError, parse_answer, script_share
from bot.topic.lexicon import Lexicon
from bot.topic.topic_file import load_lexicon

LANGS = ("ar", "en")
FLAWS = {"number": "number", "name": "name", "injection": "instruction"}  # flaw: reason


def load_stories(path: Path) -> list[Story]:
    """The corpus's articles, one story per labelled event, in order of first publication."""
    by_event: dict[str, list[Article]] = defaultdict(list)
    for item in load(path):
        published = item.published.astimezone(UTC)
        by_event[item.event].append(
            Article(
                id=item.id,
                feed_url="https://example.invalid/feed",
                source=item.source,
                url=item.url,
                title=item.title,
                summary=item.summary,
                lang=item.lang,  # type: ignore[arg-type]
                published=published,
                seen_at=published,
            )
        )
    stories = []
    for number, articles in enumerate(
        sorted(by_event.values(), key=lambda arts: min(a.published for a in arts)), start=1
    ):
        first = min(a.published for a in articles)
        stories.append(
            Story(id=number, created_at=first, updated_at=first, articles=tuple(articles))
        )
    return stories


@dataclass
class Tally:
    """Figures of one run."""

    stories: int = 0
    answers: int = 0  # first answers that parsed
    unparsed: int = 0
    violations: dict[str, Counter[str]] = field(
        default_factory=lambda: {lang: Counter() for lang in LANGS}
    )
    flagged: int = 0  # first answers with a violation in any language
    purity: dict[str, list[float]] = field(default_factory=lambda: {lang: [] for lang in LANGS})
    headline_chars: dict[str, list[int]] = field(
        default_factory=lambda: {lang: [] for lang in LANGS}
    )
    summary_chars: dict[str, list[int]] = field(
        default_factory=lambda: {lang: [] for lang in LANGS}
    )
    offline: int = 0
    calls: int = 0
    tokens: int = 0
    rejections: Counter[str] = field(default_factory=Counter)


def judge(content: str | None, story: Story, lexicon: Lexicon, tally: Tally) -> None:
    """Add one first answer's figures to ``tally``: each language's fields checked apart."""
    try:
        answer = parse_answer(content)
    except AnswerError:
        tally.unparsed += 1
        return
    tally.answers += 1
    sources = Sources.of(pick_articles(story.articles), lexicon)
    flagged = False
    for lang in LANGS:
        fields = {
            f"{part}_{lang}": getattr(answer, f"{part}_{lang}") for part in ("headline", "summary")
        }
        try:
            check_grounding(fields, sources, lexicon)
        except Ungrounded as err:
            tally.violations[lang][err.kind] += 1
            flagged = True
        script = "ar" if lang == "ar" else "latin"
        tally.purity[lang].append(script_share(" ".join(fields.values()), script))
        tally.headline_chars[lang].append(len(fields[f"headline_{lang}"]))
        tally.summary_chars[lang].append(len(fields[f"summary_{lang}"]))
    tally.flagged += flagged


async def run(stories: Sequence[Story], options: dict[str, Any], lexicon: Lexicon) -> Tally:
    """Each story through the summarizer; the first answer of each is judged as well."""
    llm = LLMSummarizer(lexicon=lexicon, **options)
    tally = Tally(stories=len(stories))
    first: list[str | None] = []
    complete = llm._complete  # the bench reads the raw answers too

    async def recording(messages: list[dict[str, str]]) -> str | None:
        content = await complete(messages)
        first.append(content)
        return content

    llm._complete = recording  # type: ignore[method-assign]
    try:
        for story in stories:
            first.clear()
            try:
                await llm.summarize(story)
            except SummarizeError:
                tally.offline += 1
            if first:
                judge(first[0], story, lexicon, tally)
    finally:
        await llm.aclose()
    tally.calls = llm.usage.calls
    tally.tokens = llm.usage.total_tokens
    tally.rejections = llm.usage.rejections
    return tally


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def show(label: str, tally: Tally) -> None:
    n = max(tally.stories, 1)
    print(
        f"\n-- {label}: {tally.stories} stories, {tally.answers} first answers parsed"
        f" ({tally.unparsed} not), flagged {tally.flagged}/{tally.answers}"
        f" = {tally.flagged / max(tally.answers, 1):.2f}; offline fallback {tally.offline};"
        f" {tally.calls / n:.2f} calls and {tally.tokens / n:.0f} tokens per story"
    )
    print(
        f"   {'lang':<5}{'number':>8}{'name':>6}{'instr.':>8}{'purity':>8}"
        f"{'headline':>10}{'summary':>9}"
    )
    for lang in LANGS:
        v = tally.violations[lang]
        print(
            f"   {lang:<5}{v['number']:>8}{v['name']:>6}{v['instruction']:>8}"
            f"{_mean(tally.purity[lang]):>8.2f}{_mean(tally.headline_chars[lang]):>10.0f}"
            f"{_mean(tally.summary_chars[lang]):>9.0f}"
        )
    if tally.rejections:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(tally.rejections.items()))
        print(f"   rejected answers by reason (all attempts): {reasons}")


def every_article(stories: Sequence[Story], lexicon: Lexicon) -> bool:
    """Each article's own title and lead, checked as a summary of its story: all grounded, so
    every rejection is a false one (a wider sample than the fake's first article)."""
    checked = 0
    false: list[str] = []
    for story in stories:
        sources = Sources.of(story.articles, lexicon)
        for article in story.articles:
            fields = {
                f"headline_{article.lang}": article.title,
                f"summary_{article.lang}": article.summary,
            }
            checked += 1
            try:
                check_grounding(fields, sources, lexicon)
            except Ungrounded as err:
                false.append(f"{article.id}: {err}")
    print(
        f"\n-- every article's title and lead as its story's summary: {checked} checked,"
        f" {len(false)} rejected = {len(false) / max(checked, 1):.2f} (target 0):"
        f" {'PASS' if not false else 'FAIL'}"
    )
    for line in false:
        print(f"   {line}")
    return not false


async def against_fake(stories: Sequence[Story], lexicon: Lexicon) -> bool:
    from tests.fakes.openai_api import FakeOpenAI

    ok = every_article(stories, lexicon)
    for flaw in (None, *FLAWS):
        fake = FakeOpenAI(grounded=True, flaw=flaw)
        await fake.start()
        try:
            options = {"base_url": fake.base_url, "api_key": "k", "model": "fake", "max_retries": 0}
            tally = await run(stories, options, lexicon)
        finally:
            await fake.stop()
        show(f"fake, {'grounded' if flaw is None else f'grounded + invented {flaw}'}", tally)
        if flaw is None:
            rate = tally.flagged / max(tally.answers, 1)
            # the fake's copies that break the format rules (schema.py) are not this bench's
            passed = tally.flagged == 0 and not set(tally.rejections) - {"format"}
            print(
                f"   false rejections of grounded answers: {rate:.2f} (target 0):"
                f" {'PASS' if passed else 'FAIL'}"
            )
        else:
            caught = tally.flagged / max(tally.answers, 1)
            kind = FLAWS[flaw]
            passed = tally.flagged == tally.answers and tally.rejections[kind] >= tally.answers
            print(f"   {flaw} caught: {caught:.2f} (target 1.00): {'PASS' if passed else 'FAIL'}")
        ok = ok and passed
    return ok


async def live(stories: Sequence[Story], lexicon: Lexicon, config: Path | None) -> None:
    from bot.config import load_settings

    settings = load_settings(config)
    if not settings.llm.enabled:
        sys.exit("--live: no [llm] endpoint configured (base_url or api_key in the config or env)")
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    options = {
        "base_url": settings.llm.base_url or None,
        "api_key": key,
        "model": settings.llm.model,
        "timeout_s": settings.llm.timeout_s,
    }
    tally = await run(stories, options, lexicon)
    show(f"live, model {settings.llm.model}", tally)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=Path, default=REAL, help="stories corpus (JSON lines)")
    parser.add_argument("--live", action="store_true", help="use the configured [llm] endpoint")
    parser.add_argument("--config", type=Path, default=None, help="config file for --live")
    parser.add_argument("--limit", type=int, default=0, help="only the first N stories")
    args = parser.parse_args()
    if not args.real.is_file():
        print(f"{args.real}: corpus absent, nothing to measure (skipped)")
        return
    stories = load_stories(args.real)
    if args.limit:
        stories = stories[: args.limit]
    lexicon = load_lexicon()
    articles = sum(len(s.articles) for s in stories)
    print(f"== summaries of {len(stories)} real stories ({articles} articles) ==")
    if args.live:
        try:
            asyncio.run(live(stories, lexicon, args.config))
        except DigestbotError as err:
            sys.exit(f"--live: {err}")
        return
    if not asyncio.run(against_fake(stories, lexicon)):
        sys.exit(1)


if __name__ == "__main__":
    main()
