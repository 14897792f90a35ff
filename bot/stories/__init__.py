"""Stories: which reports of the topic are about the same event. Pure.

::

    report ──features──▶ Features (word stems; marks: story terms, entities, figures)
    new reports of a poll + recent stories ──cluster──▶ joins, new stories, merges

``features.py`` reads a report, ``vocabulary.py`` holds the topic file's story terms,
``similarity.py`` scores two reports, ``cluster.py`` decides a whole poll at once (``scoring.py``
scores all its pairs, ``joins.py`` joins its clusters). The engine knows no word of any topic:
what tells events apart is data in the topic file.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path

from bot.stories.cluster import Report, Rules, cluster
from bot.stories.features import Features, features
from bot.stories.similarity import rarity, similarity
from bot.stories.vocabulary import load_vocabulary
from bot.topic.lexicon import Lexicon

# What the pipeline, tests and bench import from the package.
__all__ = ["Features", "Reader", "Report", "Rules", "cluster", "rarity", "similarity"]


class Reader:
    """Reads reports into ``Features`` with one topic: its vocabulary and generic entities."""

    def __init__(self, lexicon: Lexicon, topic_file: Path | None = None) -> None:
        generic = frozenset(e.id for e in lexicon.entities if e.generic)
        self.generic: frozenset[str] = generic
        self.vocabulary = load_vocabulary(
            topic_file,
            topic_words=[a for e in lexicon.entities if e.id in generic for a in e.aliases],
        )

    def read(
        self,
        *,
        lang: str,
        title: str,
        summary: str,
        entities: Collection[str],
        published: datetime,
    ) -> Features:
        return features(
            lang=lang,
            title=title,
            summary=summary,
            entities=entities,
            generic=self.generic,
            published=published,
            vocabulary=self.vocabulary,
        )

    def rules(self, *, threshold: float, horizon_hours: float) -> Rules:
        return Rules(
            threshold=threshold,
            horizon=timedelta(hours=horizon_hours),
            contrast=self.vocabulary.contrast,
        )
