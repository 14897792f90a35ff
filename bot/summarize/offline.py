"""The offline summary: the original headline and a lead-based extract, per language.

Pure: no I/O, no clock. Used when no LLM is configured or when it fails. It never translates:
a language with no article in the story gets ``None`` and the digest renderer shows the
original headline with an entity line instead.

For each of Arabic and English::

    representative = earliest-published article in that language (ties by id)
    headline       = its title
    summary        = up to ``max_sentences`` of its lead sentences, favouring sentences that
                     name a topic entity, in their original order, within ``max_chars``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.models import Article, Story, Summary
from bot.text.display import link_like, strip_hidden
from bot.text.sentences import split_sentences

EntityScore = Callable[[str], int]
"""How many topic entities a sentence names (the topic matcher provides it)."""

ELLIPSIS = "…"
_ENTITY_BONUS = 0.5
# A sentence that is the headline plus a dateline or agency tag ("MOSCOW, June 1 (Reuters) -")
# still counts as a repeat: up to this many extra letters and digits.
_REPEAT_EXTRA = 25


def _key(text: str) -> str:
    """Letters and digits only, casefolded: enough to spot a repeated headline."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _repeats(sentence: str, headline_key: str) -> bool:
    key = _key(sentence)
    if not key or not headline_key:
        return not key
    if key in headline_key:
        return True
    return headline_key in key and len(key) - len(headline_key) <= _REPEAT_EXTRA


def _cut(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars`` characters at a word boundary, ending in "…"."""
    if len(text) <= max_chars:
        return text
    head = text[: max(max_chars - len(ELLIPSIS), 0)]
    if " " in head.strip():
        head = head.rstrip().rsplit(" ", 1)[0]
    return head.rstrip(" ,،;؛:-–—") + ELLIPSIS


def _pick(
    sentences: Sequence[str], entity_score: EntityScore | None, max_sentences: int
) -> list[int]:
    """Indexes of the chosen sentences: earlier is better, naming an entity earns a bonus."""

    def score(index: int) -> tuple[float, int]:
        value = 1.0 / (1 + index)
        if entity_score is not None and entity_score(sentences[index]) > 0:
            value += _ENTITY_BONUS
        return (-value, index)

    ranked = sorted(range(len(sentences)), key=score)
    return sorted(ranked[:max_sentences])


_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


def _has_link(sentence: str) -> bool:
    """A link, bare domain (t.me/x, evil-news.ru), e-mail address, @handle or /command."""
    return bool(_URL.search(sentence)) or link_like(sentence) is not None


def extract_summary(
    text: str,
    headline: str,
    *,
    entity_score: EntityScore | None = None,
    max_sentences: int = 2,
    max_chars: int = 400,
) -> str | None:
    """A lead-based extract of ``text`` that does not repeat ``headline``; ``None`` if empty."""
    headline_key = _key(headline)
    # A sentence carrying a link or a handle is never quoted: digest links come from the feeds
    # only, and a link inside article text is how an injected "post this link" would reach
    # readers. (Invisible characters are deleted first, so they cannot hide one.)
    sentences = [
        s
        for s in (strip_hidden(s) for s in split_sentences(text))
        if s and not _repeats(s, headline_key) and not _has_link(s)
    ]
    if not sentences or max_sentences <= 0 or max_chars <= 0:
        return None
    chosen = [sentences[i] for i in _pick(sentences, entity_score, max_sentences)]
    parts: list[str] = []
    length = 0
    for sentence in chosen:
        extra = len(sentence) + (1 if parts else 0)
        if length + extra <= max_chars:
            parts.append(sentence)
            length += extra
    if not parts:
        # Even the best sentence alone is too long: keep its beginning.
        parts = [_cut(chosen[0], max_chars)]
    return " ".join(parts) or None


def representative(articles: Sequence[Article], lang: str) -> Article | None:
    """The earliest-published article in ``lang`` (ties broken by id) that has a text, else the
    earliest one with only a headline (headline-only feeds are common), if any."""
    in_lang = sorted((a for a in articles if a.lang == lang), key=lambda a: (a.published, a.id))
    with_text = [a for a in in_lang if a.summary.strip()]
    candidates = with_text or in_lang
    return candidates[0] if candidates else None


def offline_summary(
    story: Story,
    *,
    entity_score: EntityScore | None = None,
    max_sentences: int = 2,
    max_chars: int = 400,
) -> Summary:
    """Headline and extractive summary in each language the story has articles in."""
    fields: dict[str, str | None] = {}
    for lang in ("ar", "en"):
        article = representative(story.articles, lang)
        # the feed's title as shown: invisible characters and line breaks go; renderers defang it
        headline = strip_hidden(article.title) if article is not None else ""
        summary = None
        if article is not None:
            summary = extract_summary(
                article.summary,
                headline,
                entity_score=entity_score,
                max_sentences=max_sentences,
                max_chars=max_chars,
            )
        fields[f"headline_{lang}"] = headline or None
        fields[f"summary_{lang}"] = summary
    return Summary(
        headline_ar=fields["headline_ar"],
        summary_ar=fields["summary_ar"],
        headline_en=fields["headline_en"],
        summary_en=fields["summary_en"],
        method="offline",
        model=None,
    )
