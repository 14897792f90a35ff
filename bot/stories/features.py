"""What clustering compares about one report, computed once per article. Pure.

A report is reduced to two bags:

- ``words``: the stems of its content words, in its own language (``bot.text.stem``), without
  stop words and without the topic words that every report of the topic uses;
- ``marks``: what it says in a form that is the same in both languages: the story terms of the
  topic file (what happened, what it was about, who and where), the topic's specific entities
  (people, places, bridges of the two sides), and its figures (``bot.text.numbers``: "1,000",
  "ألف" and "١٠٠٠" are one mark).

Within a language two reports are compared on both bags; across languages on the marks alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.stories.vocabulary import StoryVocabulary, stems
from bot.text.normalize import normalize, tokenize
from bot.text.numbers import quantities
from bot.text.stem import stem
from bot.topic.reading import strip_dateline

_STOPWORDS = frozenset(
    stems(
        """
        a an the and or but of to in on at for from by with as is are was were be been has have
        had it its this that these those he she they his her their not no will would could
        should may said says say after before over about into than more most new also who which
        what when where how why all any one two first last week year day today yesterday
        monday tuesday wednesday thursday friday saturday sunday report reports reported
        according official officials news agency media state leader president country
        countries government minister ministry
        في من على الى ان عن مع هذا هذه ذلك التي الذي الذين كان كانت قد لم لن ما لا او ثم بعد
        قبل حيث كما بين عند الي اي كل وقال قال وقالت قالت وفق خلال منذ حتى لها له هو هي اليوم
        امس الاثنين الثلاثاء الاربعاء الخميس الجمعة السبت الاحد وكالة وكالات الانباء رئيس الرئيس
        زعيم الزعيم البلدين الجانبين وزير وزارة مسؤول مسؤولين الرسمية وسائل الاعلام تقارير
        """
    )
)


@dataclass(frozen=True, slots=True)
class Features:
    """One report as clustering sees it."""

    lang: str
    words: frozenset[str]
    """Content-word stems, in the report's language."""
    marks: frozenset[str]
    """Language-independent marks: story terms, specific entities, figures (``#1000``)."""
    published: datetime


def features(
    *,
    lang: str,
    title: str,
    summary: str,
    entities: Iterable[str],
    generic: Collection[str],
    published: datetime,
    vocabulary: StoryVocabulary,
) -> Features:
    """The ``Features`` of one report; ``entities`` are its topic entity ids, of which those in
    ``generic`` (named by nearly every report) are left out."""
    # A dateline's place and date are where and when the report was filed, not facts of the
    # event: the topic filter's reading of it, on the normalized lead.
    text = f"{normalize(title)} {strip_dateline(normalize(summary))}"
    all_stems = [stem(token) for token in tokenize(text)]
    terms = vocabulary.terms(all_stems)
    words = frozenset(
        s
        for s in all_stems
        if len(s) > 2
        and not s.isdigit()
        and s not in _STOPWORDS
        and s not in vocabulary.topic_words
    )
    specific = {e for e in entities if e not in generic}
    marks = terms | specific | {f"#{n}" for n in quantities(text)}
    return Features(lang=lang, words=words, marks=frozenset(marks), published=published)
