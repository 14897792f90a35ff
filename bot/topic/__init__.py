"""The topic as data: a bilingual lexicon loaded from TOML, and the filter that uses it."""

from __future__ import annotations

from bot.topic.lexicon import Entity, Hit, Lexicon, load_lexicon, parse_lexicon
from bot.topic.matcher import TopicMatcher

__all__ = ["Entity", "Hit", "Lexicon", "TopicMatcher", "load_lexicon", "parse_lexicon"]
