"""The topic filter the settings ask for: the topic file of ``[topic] file``, else the built-in
one. Apart from the composition root, so that a command that only checks the topic file
(``digestbot check-config``) does not load the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon

if TYPE_CHECKING:
    from bot.config import Settings


def build_matcher(settings: Settings) -> TopicMatcher:
    path = Path(settings.topic.file) if settings.topic.file else None
    return TopicMatcher(load_lexicon(path))
