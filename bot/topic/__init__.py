"""The topic as data: a bilingual lexicon loaded from TOML, and the filter that uses it."""

from __future__ import annotations

from bot.topic.lexicon import Entity, Hit, Lexicon
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon, parse_lexicon

__all__ = ["Entity", "Hit", "Lexicon", "TopicMatcher", "load_lexicon", "parse_lexicon"]
