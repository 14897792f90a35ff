"""Text handling shared by the filter, clustering, summaries and search: the one normalizer,
language by script, and sentence splitting."""

from __future__ import annotations

from bot.text.lang import script_lang
from bot.text.normalize import clitic_forms, normalize, tokenize

__all__ = ["clitic_forms", "normalize", "script_lang", "tokenize"]
