"""The composition root: the one place that builds the pipeline, the stores, the summarizer and
the channels from the settings. Everything below receives its dependencies from here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import StoreError
from bot.i18n import Catalog
from bot.ingest.fetch import FeedFetcher, make_client
from bot.pipeline.poller import Pipeline
from bot.store.archive import Archive
from bot.store.state import StateStore
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
    pipeline: Pipeline
    llm: LLMSummarizer | None
    now: Callable[[], datetime]


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
    catalog = Catalog.load()
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
            outage=llm.outage if llm is not None else None,  # one endpoint, one outage
            now=now,
        )
    fetcher = FeedFetcher(
        client,
        allow_private_networks=settings.ingest.allow_private_networks,
        max_bytes=settings.ingest.max_bytes,
    )
    pipeline = Pipeline(
        settings=settings,
        state=state,
        archive=archive,
        fetcher=fetcher,
        matcher=matcher,
        summarizer=summarizer,
        catalog=catalog,
        now=now,
        second_opinion=second,
        meters=[
            *([("summary", llm.usage)] if llm is not None else []),
            *([("second_opinion", second.usage)] if second is not None else []),
        ],
    )
    try:
        yield Services(
            settings=settings,
            state=state,
            archive=archive,
            matcher=matcher,
            catalog=catalog,
            pipeline=pipeline,
            llm=llm,
            now=now,
        )
    finally:
        pipeline.close()
        await client.aclose()
        if llm is not None:
            await llm.aclose()
        if second is not None:
            await second.aclose()
        archive.close()
        state.close()
