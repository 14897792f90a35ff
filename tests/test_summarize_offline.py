"""The offline summary: headline choice, lead extract with an entity bonus, caps, no fake
translation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Article, Story
from bot.summarize.offline import extract_summary, offline_summary

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def article(
    id: str,
    lang: str,
    title: str,
    summary: str = "",
    *,
    minutes: int = 0,
    source: str = "Outlet",
) -> Article:
    return Article(
        id=id,
        feed_url=f"https://feeds.example/{source}.xml",
        source=source,
        url=f"https://news.example/{id}",
        title=title,
        summary=summary,
        lang=lang,  # type: ignore[arg-type]
        published=T0 + timedelta(minutes=minutes),
        seen_at=T0 + timedelta(minutes=minutes + 1),
    )


def story(*articles: Article) -> Story:
    return Story(id=7, created_at=T0, updated_at=T0, articles=articles)


def names_an_entity(sentence: str) -> int:
    return sum(name in sentence for name in ("Lavrov", "Pyongyang", "لافروف", "بيونغ يانغ"))


EN_TEXT = (
    "The weather in the capital was mild on Tuesday. "
    "Officials gathered for a ceremony at the airport. "
    "Lavrov arrived in Pyongyang for two days of talks. "
    "Traffic was heavy."
)


def test_headline_is_the_earliest_article_in_each_language() -> None:
    s = offline_summary(
        story(
            article("en-late", "en", "Later English title", "Later text.", minutes=30),
            article("en-early", "en", "Early English title", "Early text here.", minutes=5),
            article("ar-1", "ar", "عنوان عربي أول", "نص عربي أول.", minutes=10),
            article("ar-0", "ar", "عنوان عربي مبكر", "نص عربي مبكر.", minutes=1),
            article("other", "other", "Titre français", "Texte.", minutes=0),
        )
    )
    assert s.method == "offline"
    assert s.model is None
    assert (s.headline_en, s.summary_en) == ("Early English title", "Early text here.")
    assert (s.headline_ar, s.summary_ar) == ("عنوان عربي مبكر", "نص عربي مبكر.")


def test_ties_on_published_are_broken_by_id() -> None:
    s = offline_summary(
        story(article("b", "en", "Title B", minutes=3), article("a", "en", "Title A", minutes=3))
    )
    assert s.headline_en == "Title A"


def test_missing_language_is_none_never_a_translation() -> None:
    s = offline_summary(story(article("en", "en", "Lavrov in Pyongyang", EN_TEXT)))
    assert s.headline_ar is None
    assert s.summary_ar is None
    assert s.headline_en == "Lavrov in Pyongyang"
    assert s.summary_en is not None


def test_story_with_only_other_languages_has_nothing() -> None:
    s = offline_summary(story(article("fr", "other", "Titre", "Texte.")))
    assert (s.headline_ar, s.summary_ar, s.headline_en, s.summary_en) == (None,) * 4


def test_empty_text_keeps_only_the_headline() -> None:
    s = offline_summary(story(article("ar", "ar", "بوتين يستقبل كيم", "")))
    assert s.headline_ar == "بوتين يستقبل كيم"
    assert s.summary_ar is None


def test_lead_sentences_without_entity_score() -> None:
    s = offline_summary(story(article("en", "en", "Title", EN_TEXT)))
    assert s.summary_en == (
        "The weather in the capital was mild on Tuesday. "
        "Officials gathered for a ceremony at the airport."
    )


def test_entity_bonus_brings_in_a_later_sentence_in_original_order() -> None:
    s = offline_summary(story(article("en", "en", "Title", EN_TEXT)), entity_score=names_an_entity)
    assert s.summary_en == (
        "The weather in the capital was mild on Tuesday. "
        "Lavrov arrived in Pyongyang for two days of talks."
    )


def test_entity_bonus_in_arabic() -> None:
    text = "كان الطقس معتدلا. تجمع المسؤولون في المطار. وصل لافروف إلى بيونغ يانغ لإجراء محادثات."
    s = offline_summary(
        story(article("ar", "ar", "عنوان", text)), entity_score=names_an_entity, max_sentences=2
    )
    assert s.summary_ar == "كان الطقس معتدلا. وصل لافروف إلى بيونغ يانغ لإجراء محادثات."


def test_sentences_repeating_the_headline_are_skipped() -> None:
    text = "Lavrov arrives in Pyongyang. He will meet Kim. Talks last two days."
    s = offline_summary(story(article("en", "en", "Lavrov arrives in Pyongyang", text)))
    assert s.summary_en == "He will meet Kim. Talks last two days."


def test_headline_with_a_dateline_still_counts_as_a_repeat() -> None:
    text = "MOSCOW (Reuters) - Lavrov arrives in Pyongyang. He will meet Kim."
    s = offline_summary(story(article("en", "en", "Lavrov arrives in Pyongyang", text)))
    assert s.summary_en == "He will meet Kim."


def test_text_that_only_repeats_the_headline_gives_no_summary() -> None:
    s = offline_summary(story(article("en", "en", "Kim meets Putin", "Kim meets Putin.")))
    assert s.summary_en is None


@pytest.mark.parametrize("max_sentences", [1, 2, 3])
def test_max_sentences_respected(max_sentences: int) -> None:
    s = offline_summary(story(article("en", "en", "T", EN_TEXT)), max_sentences=max_sentences)
    assert s.summary_en is not None
    assert s.summary_en.count(". ") + 1 == max_sentences


def test_max_chars_drops_a_sentence_that_does_not_fit() -> None:
    s = offline_summary(story(article("en", "en", "T", EN_TEXT)), max_chars=60)
    assert s.summary_en == "The weather in the capital was mild on Tuesday."


def test_single_long_sentence_is_cut_at_a_word_boundary() -> None:
    text = "Russian and North Korean officials " + "discussed railway cooperation " * 20 + "today."
    result = extract_summary(text, "Title", max_chars=80)
    assert result is not None
    assert len(result) <= 80
    assert result.endswith("…")
    body = result[:-1]
    assert text.startswith(body)
    assert text[len(body)] == " "  # the cut falls between words


def test_arabic_cut_keeps_whole_words() -> None:
    text = "ناقش المسؤولون الروس والكوريون الشماليون " + "التعاون في السكك الحديدية " * 20
    result = extract_summary(text, "عنوان", max_chars=50)
    assert result is not None
    assert len(result) <= 50
    assert result.endswith("…")
    assert text.startswith(result[:-1])
    assert text[len(result) - 1] == " "


def test_a_headline_only_report_gives_way_to_one_with_text() -> None:
    result = offline_summary(
        story(
            article("first", "en", "Lavrov lands in Pyongyang"),
            article("later", "en", "Lavrov in Pyongyang for talks", EN_TEXT, minutes=30),
        ),
        entity_score=names_an_entity,
    )
    assert result.headline_en == "Lavrov in Pyongyang for talks"
    assert result.summary_en is not None and "Lavrov arrived in Pyongyang" in result.summary_en


def test_headline_only_stories_keep_their_headline() -> None:
    result = offline_summary(story(article("only", "en", "Lavrov lands in Pyongyang")))
    assert result.headline_en == "Lavrov lands in Pyongyang"
    assert result.summary_en is None
