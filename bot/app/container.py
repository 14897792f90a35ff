"""The composition root: the one place that builds the pipeline (poller, summaries, digest
queue), the stores, the LLM clients and the channels from the settings. Everything below
receives its dependencies, and its own section of the settings, from here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.digest.labels import feed_labeller
from bot.errors import StoreError
from bot.i18n import Catalog
from bot.ingest.fetch import FeedFetcher, make_client
from bot.llm.usage import LLMBudget, LLMUsage
from bot.pipeline.digests import DigestQueue
from bot.pipeline.feed import FeedReader, PollSettings
from bot.pipeline.grouping import StoryGrouper
from bot.pipeline.poller import Poller
from bot.pipeline.summaries import Summaries
from bot.pipeline.worker import CpuWorker
from bot.platforms.base import Platforms
from bot.platforms.console import ConsolePlatform
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.telegram.platform import TelegramPlatform
from bot.store.archive import Archive
from bot.store.state import StateStore
from bot.stories import Reader
from bot.summarize import FallbackSummarizer
from bot.topic.configured import build_matcher
from bot.topic.matcher import TopicMatcher

if TYPE_CHECKING:
    from bot.summarize.llm import LLMSummarizer
    from bot.topic.second_opinion import SecondOpinion

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a command needs, built once."""

    settings: Settings
    state: StateStore
    archive: Archive
    matcher: TopicMatcher
    catalog: Catalog
    poller: Poller
    summaries: Summaries
    digests: DigestQueue
    llm: LLMSummarizer | None
    now: Callable[[], datetime]
    platforms: Platforms


def platforms() -> Platforms:
    """Every chat platform the bot knows, one line each; the terminal when none is configured."""
    return Platforms(
        TelegramPlatform(),
        DiscordPlatform(),
        fallback=ConsolePlatform(),
    )


def poll_settings(settings: Settings) -> PollSettings:
    """The settings a poll reads."""
    return PollSettings(
        ingest=settings.ingest,
        feeds=tuple(settings.feed_sources()),
        poll_interval=timedelta(minutes=settings.schedule.poll_minutes),
        seen_days=settings.archive.seen_days,
        max_age=timedelta(hours=settings.digest.max_age_hours),
    )


def open_stores(settings: Settings) -> tuple[StateStore, Archive]:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        state = StateStore(settings.data_dir)
    except OSError as exc:
        raise StoreError(
            f"{settings.data_dir}: cannot use this data folder: {exc.strerror or exc}"
        ) from None
    try:
        archive = Archive.in_dir(settings.data_dir)
    except BaseException:
        state.close()
        raise
    return state, archive


@contextlib.asynccontextmanager
async def services(
    settings: Settings, *, now: Callable[[], datetime] = utc_now
) -> AsyncIterator[Services]:
    """Build the services for one command and close them all afterwards."""
    matcher = build_matcher(settings)
    catalog = Catalog.load(matcher.lexicon.topic.words())
    state, archive = open_stores(settings)
    client = make_client(
        timeout_s=settings.ingest.timeout_s,
        allow_private_networks=settings.ingest.allow_private_networks,
    )
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    llm: LLMSummarizer | None = None
    if settings.llm.enabled:
        from bot.summarize.llm import LLMSummarizer  # loads the openai SDK: only when used

        llm = LLMSummarizer(
            base_url=settings.llm.base_url or None,
            api_key=key,  # None with a local server: the summarizer sends a placeholder
            model=settings.llm.model,
            timeout_s=settings.llm.timeout_s,
            now=now,
            lexicon=matcher.lexicon,  # the grounding check's names in both languages
        )
    summarizer = FallbackSummarizer(llm, entity_score=matcher.entity_score)
    second: SecondOpinion | None = None
    if settings.topic.second_opinion and settings.llm.enabled:
        from bot.topic.second_opinion import SecondOpinion

        second = SecondOpinion(
            base_url=settings.llm.base_url or None,
            api_key=key,
            model=settings.llm.model,
            low=settings.topic.borderline_low,
            high=settings.topic.borderline_high,
            timeout_s=settings.llm.timeout_s,
            topic=matcher.lexicon.topic.about(),
            outage=llm.outage if llm is not None else None,  # one endpoint, one outage
            now=now,
        )
    fetcher = FeedFetcher(
        client,
        allow_private_networks=settings.ingest.allow_private_networks,
        max_bytes=settings.ingest.max_bytes,
    )
    meters: list[tuple[str, LLMUsage]] = []
    if llm is not None:
        meters.append(("summary", llm.usage))
    if second is not None:
        meters.append(("second_opinion", second.usage))
    budget = LLMBudget(
        archive, daily_tokens=settings.llm.daily_token_budget, now=now, meters=meters
    )
    topic_file = Path(settings.topic.file) if settings.topic.file else None
    reader = Reader(matcher.lexicon, topic_file)
    rules = reader.rules(
        threshold=settings.stories.threshold, horizon_hours=settings.stories.horizon_hours
    )
    cpu = CpuWorker()
    poll = poll_settings(settings)
    poller = Poller(
        settings=poll,
        state=state,
        archive=archive,
        feed=FeedReader(
            settings=poll,
            archive=archive,
            fetcher=fetcher,
            matcher=matcher,
            cpu=cpu,
            second_opinion=second,
            budget=budget,
        ),
        grouper=StoryGrouper(archive=archive, matcher=matcher, reader=reader, rules=rules, cpu=cpu),
        now=now,
    )
    summaries = Summaries(
        settings=settings.llm,
        archive=archive,
        summarizer=summarizer,
        budget=budget,
        horizon=rules.horizon,
        now=now,
    )
    known = platforms()
    digests = DigestQueue(
        settings=settings.digest,
        state=state,
        archive=archive,
        catalog=catalog,
        entity_names=matcher.entity_names,
        labels=feed_labeller(settings.feed_sources()),
        platforms=known,
        now=now,
    )
    try:
        yield Services(
            settings=settings,
            state=state,
            archive=archive,
            matcher=matcher,
            catalog=catalog,
            poller=poller,
            summaries=summaries,
            digests=digests,
            llm=llm,
            now=now,
            platforms=known,
        )
    finally:
        cpu.close()
        await client.aclose()
        if llm is not None:
            await llm.aclose()
        if second is not None:
            await second.aclose()
        archive.close()
        state.close()
