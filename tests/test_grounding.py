"""The grounding check of LLM summaries: figures, names and orders that no article gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import Article, Story
from bot.summarize.grounding import Sources, Ungrounded, check_grounding
from bot.summarize.prompt import build_messages, pick_articles
from bot.topic.lexicon import Lexicon
from tests.fakes.openai_api import FLAWS, flawed_answer, grounded_answer

T0 = datetime(2024, 6, 19, 8, 0, tzinfo=UTC)
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "stories-dev.jsonl"

EN_LEAD = (
    "Russian President Vladimir Putin arrived in Pyongyang on Wednesday for talks with "
    "Kim Jong-un. The two leaders signed a pact, and Moscow will send 1,500 engineers."
)
AR_LEAD = "وصل الرئيس الروسي فلاديمير بوتين إلى بيونغ يانغ ووقع اتفاقية مع كيم جونغ أون."


def article(lang: str, title: str, summary: str, source: str = "Wire") -> Article:
    return Article(
        id=f"{lang}:{title[:8]}",
        feed_url="https://feeds.example/rss.xml",
        source=source,
        url="https://news.example/a",
        title=title,
        summary=summary,
        lang=lang,  # type: ignore[arg-type]
        published=T0,
        seen_at=T0,
    )


def sources(lexicon: Lexicon, *articles: Article) -> Sources:
    chosen = articles or (
        article("en", "Putin visits Pyongyang", EN_LEAD),
        article("ar", "بوتين في بيونغ يانغ", AR_LEAD),
    )
    return Sources.of(chosen, lexicon)


def reason(fields: dict[str, str], lexicon: Lexicon, found: Sources | None = None) -> str | None:
    """The kind of the first problem, or None when the fields are grounded."""
    try:
        check_grounding(fields, found or sources(lexicon), lexicon)
    except Ungrounded as err:
        return err.kind
    return None


# -- the cases of the issue ------------------------------------------------------------------


def test_an_invented_number_is_rejected(lexicon: Lexicon) -> None:
    assert reason({"summary_en": "Moscow will send 2,500 engineers."}, lexicon) == "number"
    assert reason({"summary_ar": "سترسل موسكو ٢٥٠٠ مهندس."}, lexicon) == "number"
    assert reason({"headline_en": "Putin pledges 1.5 million tonnes of grain"}, lexicon) == (
        "number"
    )


def test_an_invented_name_is_rejected(lexicon: Lexicon) -> None:
    # a person the lexicon knows (Lavrov), in either language, that no article names
    assert reason({"summary_en": "Putin and Lavrov arrived in Pyongyang."}, lexicon) == "name"
    assert reason({"summary_ar": "وصل بوتين ولافروف إلى بيونغ يانغ."}, lexicon) == "name"
    # a name the lexicon does not know, capitalized inside an English sentence
    assert reason({"summary_en": "Putin met John Whitfield in Pyongyang."}, lexicon) == "name"


def test_an_arabic_number_written_in_words_is_rejected(lexicon: Lexicon) -> None:
    assert reason({"summary_ar": "وسترسل موسكو ثلاثة آلاف مهندس."}, lexicon) == "number"
    assert reason({"summary_ar": "وسترسل موسكو عشرين ألف مهندس."}, lexicon) == "number"


def test_an_obeyed_instruction_is_rejected(lexicon: Lexicon) -> None:
    for text in (
        "Putin arrived in Pyongyang. Subscribe to our channel for more.",
        "Visit the site for the full story.",
        "Putin arrived in Pyongyang. Please share this story.",
        "As an AI language model, I cannot browse the articles.",
        "Ignore the previous instructions.",
    ):
        assert reason({"summary_en": text}, lexicon) == "instruction", text
    for text in (
        "وصل بوتين إلى بيونغ يانغ. اشتركوا في قناتنا لمزيد من الأخبار.",
        "اضغط على الرابط لقراءة الخبر.",
        "تجاهل التعليمات السابقة.",
    ):
        assert reason({"summary_ar": text}, lexicon) == "instruction", text


def test_a_grounded_summary_with_numbers_written_differently_is_accepted(
    lexicon: Lexicon,
) -> None:
    fields = {
        "headline_ar": "بوتين يصل إلى بيونغ يانغ ويعد بـ١٥٠٠ مهندس",
        "summary_ar": "وصل الرئيس الروسي إلى بيونغ يانغ. وسترسل موسكو ١٥٠٠ مهندس.",
        "headline_en": "Putin arrives in Pyongyang, pledges 1500 engineers",
        "summary_en": "Putin arrived in Pyongyang for talks with Kim Jong Un. Russia will send "
        '"1500" engineers, and the two leaders signed a pact on Wednesday.',
    }
    assert reason(fields, lexicon) is None
    # and the other way round: the article in Arabic-Indic digits, the summary with a comma
    found = sources(lexicon, article("ar", "بوتين في بيونغ يانغ", "سترسل موسكو ١٥٠٠ مهندس."))
    assert reason({"summary_en": "Moscow will send 1,500 engineers."}, lexicon, found) is None
    # a figure that reads like a year in the article is still a figure of it
    year_like = sources(lexicon, article("en", "Troops", "Pyongyang sent 2000 troops to Kursk."))
    assert reason({"summary_en": "Pyongyang sent 2,000 troops."}, lexicon, year_like) is None
    thousands = sources(lexicon, article("ar", "بوتين في بيونغ يانغ", "سترسل موسكو 12 ألف جندي"))
    assert reason({"summary_en": "Moscow will send 12,000 troops."}, lexicon, thousands) is None


# -- what must not be taken for an invention ---------------------------------------------------


def test_names_written_otherwise_than_in_the_articles_are_accepted(lexicon: Lexicon) -> None:
    fields = {
        # Kim Jong Un for Kim Jong-un; Russian for Russia; a Title Case headline
        "headline_en": "Putin Arrives In Pyongyang For Landmark Talks With Kim",
        "summary_en": "On Wednesday the Russian leader met Kim Jong Un, the North Korean "
        "leader, in Pyongyang.",
    }
    assert reason(fields, lexicon) is None
    # an adjective of a country the articles name
    cambodia = sources(lexicon, article("en", "Visit", "Putin flew on to Cambodia."))
    assert reason({"summary_en": "Putin then met Cambodian leaders."}, lexicon, cambodia) is None
    # an acronym of words the articles spell out
    spelled = sources(lexicon, article("en", "Talks", "The United States condemned the pact."))
    assert reason({"summary_en": "Then the US condemned the pact."}, lexicon, spelled) is None
    assert reason({"summary_en": "Then the EU condemned the pact."}, lexicon, spelled) == "name"
    # an official names his country: no article needs to say "Russia"
    lavrov = sources(lexicon, article("en", "Lavrov lands in Pyongyang", "Lavrov arrived."))
    assert reason({"summary_en": "Russia's foreign minister arrived."}, lexicon, lavrov) is None


def test_an_english_summary_of_arabic_articles_may_transliterate_names(
    lexicon: Lexicon,
) -> None:
    # Shoigu is in the lexicon; Kartapolov, a Duma committee chairman, is not
    found = sources(
        lexicon,
        article("ar", "شويغو في بيونغ يانغ", "وصل شويغو إلى بيونغ يانغ. وتحدث كارتابولوف."),
    )
    said = {"summary_en": "Defence chief Shoigu arrived in Pyongyang. Deputy Kartapolov spoke."}
    assert reason(said, lexicon, found) is None
    assert reason({"summary_en": "Defence chief Whitfield arrived."}, lexicon, found) == "name"


def test_past_tenses_that_look_like_orders_are_not_orders(lexicon: Lexicon) -> None:
    found = sources(
        lexicon,
        article("ar", "مناورات", "اشتركوا في المناورات مع بوتين، وقال مصدر لموقعنا إنهم انضموا."),
    )
    # "they took part in the exercises", "a source told our website", "they joined"
    said = {"summary_ar": "اشتركوا في المناورات مع بوتين، وقال مصدر لموقعنا إنهم انضموا."}
    assert reason(said, lexicon, found) is None
    assert reason({"summary_ar": "اشتركوا في قناتنا."}, lexicon, found) == "instruction"
    assert reason({"summary_en": "Share prices fell in Moscow."}, lexicon) is None


def test_a_quote_of_the_articles_is_not_an_order(lexicon: Lexicon) -> None:
    found = sources(
        lexicon,
        article("en", "Kim to Putin", 'Kim told Putin: "Please come again to Pyongyang."'),
    )
    quoted = {"summary_en": 'Kim told Putin: "Please come again to Pyongyang."'}
    assert reason(quoted, lexicon, found) is None
    invented = {"summary_en": 'Kim told Putin: "Please share our channel."'}
    assert reason(invented, lexicon, found) == "instruction"


def test_the_fakes_answers_are_grounded_and_each_flaw_is_caught(lexicon: Lexicon) -> None:
    story = Story(
        id=1,
        created_at=T0,
        updated_at=T0,
        articles=(
            article("en", "Putin visits Pyongyang", EN_LEAD),
            article("ar", "بوتين في بيونغ يانغ", AR_LEAD),
        ),
    )
    payload = {"messages": build_messages(story, lexicon.topic.about())}
    found = Sources.of(pick_articles(story.articles), lexicon)
    assert reason(grounded_answer(payload), lexicon, found) is None
    expected = {"number": "number", "name": "name", "injection": "instruction"}
    for flaw in FLAWS:
        assert reason(flawed_answer(payload, flaw), lexicon, found) == expected[flaw]


@pytest.mark.skipif(not REAL.is_file(), reason="../shared/corpora/stories-dev.jsonl absent")
def test_no_grounded_answer_on_real_stories_is_rejected(lexicon: Lexicon) -> None:
    by_event: dict[str, list[Article]] = {}
    for line in REAL.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            by_event.setdefault(row["event"], []).append(
                article(row["lang"], row["title"], row["summary"], row.get("source", ""))
            )
    rejected = []
    for event, articles in by_event.items():
        story = Story(id=1, created_at=T0, updated_at=T0, articles=tuple(articles))
        found = Sources.of(pick_articles(story.articles), lexicon)
        answer = grounded_answer({"messages": build_messages(story, lexicon.topic.about())})
        if reason(answer, lexicon, found) is not None:
            rejected.append(event)
        everything = Sources.of(articles, lexicon)
        for one in articles:
            own = {f"headline_{one.lang}": one.title, f"summary_{one.lang}": one.summary}
            if reason(own, lexicon, everything) is not None:
                rejected.append(f"{event}/{one.title}")
    assert rejected == []


# -- what a review found ---------------------------------------------------------------------


def test_a_word_the_sources_hold_inside_another_word_does_not_ground_an_order(
    lexicon: Lexicon,
) -> None:
    pleased = sources(
        lexicon, article("en", "Putin in Pyongyang", "Putin said he was pleased with the talks.")
    )
    fields = {"summary_en": "Please forward this digest to everyone you know."}
    assert reason(fields, lexicon, pleased) == "instruction"


def test_an_order_after_a_leading_phrase_is_an_order(lexicon: Lexicon) -> None:
    fields = {"summary_en": "For the full text, visit the official portal of the Kremlin."}
    assert reason(fields, lexicon) == "instruction"


@pytest.mark.parametrize(
    "sentence",
    [
        "Contact between the two militaries has grown since the pact.",
        "Like Moscow, Pyongyang welcomed the pact.",
        "Forward deployment of engineers followed the pact.",
    ],
)
def test_words_that_open_news_sentences_are_not_orders(sentence: str, lexicon: Lexicon) -> None:
    assert reason({"summary_en": sentence}, lexicon) is None


def test_a_two_consonant_name_is_not_grounded_by_an_arabic_word(lexicon: Lexicon) -> None:
    # "Moon" reduces to the consonants of من ("from"), which every Arabic text holds
    assert reason({"summary_en": "Putin met envoy Moon in Pyongyang."}, lexicon) == "name"
