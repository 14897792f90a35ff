"""The topic's words come from the topic file only: the summaries' instructions, the second
opinion's, and which names stand for which in the grounding check."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from bot.app.container import services
from bot.config import Settings
from bot.errors import ConfigError
from bot.i18n import Catalog
from bot.models import Article, Decision, Story
from bot.summarize.grounding import Sources, Ungrounded, check_grounding
from bot.summarize.llm import LLMSummarizer
from bot.topic.lexicon import Lexicon
from bot.topic.second_opinion import SecondOpinion
from bot.topic.topic_file import load_topic, parse_lexicon
from tests.fakes.openai_api import FakeOpenAI

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
ABOUT = "ties between France and Mali"

CUSTOM = f"""
[topic]
name = "France–Mali"
name_ar = "فرنسا ومالي"
description = "{ABOUT}"
sides = ["fr", "ml"]

[topic.stands_for]
"fr:paris" = "fr:france"

[[entity]]
id = "fr:france"
group = "fr"
ar = "فرنسا"
en = "France"

[[entity]]
id = "fr:paris"
group = "fr"
ar = "باريس"
en = "Paris"

[[entity]]
id = "ml:mali"
group = "ml"
ar = "مالي"
en = "Mali"
aliases = ["Bamako"]
"""

BORDERLINE = Decision(relevant=False, score=0.5, matched=("fr:france",), reason="one side")


def _packaged_topic() -> dict[str, object]:
    """The packaged file's [topic] table, read here without the bot's loader."""
    text = resources.files("bot").joinpath("data", "topic", "default.toml").read_text("utf-8")
    topic = tomllib.loads(text)["topic"]
    assert isinstance(topic, dict)
    return topic


def _story() -> Story:
    article = Article(
        id="a1",
        feed_url="https://example.org/feed",
        source="Wire",
        url="https://example.org/1",
        title="Paris and Bamako sign a water deal",
        summary="Paris said on Monday that it signed a water deal with Bamako.",
        lang="en",
        published=T0,
        seen_at=T0,
    )
    return Story(id=1, created_at=T0, updated_at=T0, articles=(article,))


def _system(api: FakeOpenAI) -> str:
    content = api.requests[-1]["messages"][0]["content"]
    assert isinstance(content, str)
    return content


async def test_the_summary_prompt_says_the_topic_of_the_topic_file(
    openai_api: FakeOpenAI,
) -> None:
    lexicons: list[Lexicon | None] = [parse_lexicon(CUSTOM), None]
    for lexicon in lexicons:
        llm = LLMSummarizer(base_url=openai_api.base_url, api_key=None, model="m", lexicon=lexicon)
        try:
            openai_api.queue_grounded()
            await llm.summarize(_story())
        finally:
            await llm.aclose()
    custom, packaged = [r["messages"][0]["content"] for r in openai_api.requests]
    assert f"news digest about {ABOUT}." in custom
    assert str(_packaged_topic()["description"]) in packaged
    assert ABOUT not in packaged


async def test_the_second_opinion_says_the_topic_of_the_topic_file(
    openai_api: FakeOpenAI, tmp_path: Path
) -> None:
    topic_file = tmp_path / "topic.toml"
    topic_file.write_text(CUSTOM, encoding="utf-8")
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "llm": {"base_url": openai_api.base_url, "model": "m", "timeout_s": 5.0},
            "topic": {"file": str(topic_file), "second_opinion": True},
        }
    )
    async with services(settings) as svc:
        second = svc.poller.feed.second_opinion
        assert second is not None
        openai_api.queue_answer({"relevant": True, "reason": "a deal between the two"})
        await second.review("Paris and Bamako", "A deal.", BORDERLINE)
    assert f"The topic is: {ABOUT}." in _system(openai_api)

    packaged = SecondOpinion(base_url=openai_api.base_url, api_key=None, model="m", low=0, high=1)
    try:
        openai_api.queue_answer({"relevant": False, "reason": "not about it"})
        await packaged.review("Paris and Bamako", "A deal.", BORDERLINE)
    finally:
        await packaged.aclose()
    assert f"The topic is: {_packaged_topic()['description']}." in _system(openai_api)


def test_which_name_stands_for_which_is_read_from_the_topic_file() -> None:
    with_table = parse_lexicon(CUSTOM)
    without = parse_lexicon(CUSTOM.replace('"fr:paris" = "fr:france"', ""))
    summary = {"summary_en": "France signed a water deal with Mali."}
    for lexicon in (with_table, without):
        sources = Sources.of(_story().articles, lexicon)
        if lexicon is with_table:
            check_grounding(summary, sources, lexicon)  # Paris stands for France
        else:
            with pytest.raises(Ungrounded, match="France is named by no article"):
                check_grounding(summary, sources, lexicon)


def test_the_topic_names_and_their_defaults() -> None:
    topic = parse_lexicon(CUSTOM).topic
    assert (topic.label("en"), topic.label("ar"), topic.about("en")) == (
        "France–Mali",
        "فرنسا ومالي",
        ABOUT,
    )
    assert topic.about("ar") == "فرنسا ومالي"  # no description_ar: the Arabic name
    bare = parse_lexicon(CUSTOM.replace(f'description = "{ABOUT}"\n', "")).topic
    assert bare.about("en") == "France–Mali"
    packaged = load_topic()
    assert (packaged.label("en"), packaged.about("en")) == (
        _packaged_topic()["name"],
        _packaged_topic()["description"],
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('"fr:paris" = "fr:lyon"', "no entity has the id 'fr:lyon'"),
        ('"fr:nice" = "fr:france"', "no entity has the id 'fr:nice'"),
        ('"fr:paris" = "ml:mali"', "'ml:mali' is of another group"),
        ('"fr:paris" = "fr:paris"', "must stand for itself"),
        ('"fr:paris" = "fr:france"\n"fr:france" = "fr:paris"', "must stand for itself"),
        ('"fr:paris" = 3', "must name an entity id"),
    ],
)
def test_a_bad_stands_for_table_is_refused(table: str, message: str) -> None:
    text = CUSTOM.replace('"fr:paris" = "fr:france"', table)
    with pytest.raises(ConfigError, match="stands_for") as error:
        parse_lexicon(text, "custom.toml")
    assert message in str(error.value)


def test_a_topic_text_must_be_a_string() -> None:
    with pytest.raises(ConfigError, match=r"\[topic\].description must be a string"):
        parse_lexicon(CUSTOM.replace(f'description = "{ABOUT}"', "description = 1"))


def test_the_messages_name_the_topic_of_the_topic_file(tmp_path: Path) -> None:
    words = parse_lexicon(CUSTOM).topic.words()
    catalog = Catalog.load(words)
    header = catalog.t("en", "digest.header", count=2, period="p")
    assert header == "📰 France–Mali · 2 stories · p"
    assert (
        catalog.t("ar", "digest.header", count=11, period="p") == "📰 موجز فرنسا ومالي · 11 قصة · p"
    )
    assert ABOUT in catalog.t("en", "digest.empty")
    assert ABOUT in catalog.t("en", "bot.start", help="h")
    packaged = Catalog.load()  # without a topic: the built-in topic file's words
    assert "Russia–North Korea relations" in packaged.t("en", "digest.header", count=2, period="p")


def test_the_message_catalogs_and_the_command_line_hold_no_topic_words() -> None:
    from bot.cli.parser import DESCRIPTION

    folder = resources.files("bot").joinpath("data", "messages")
    texts = [folder.joinpath(f"{lang}.toml").read_text("utf-8") for lang in ("ar", "en")]
    for text in [*texts, DESCRIPTION]:
        for word in ("Russia", "Korea", "روسي", "كوري", "روسيا", "كوريا"):
            assert word not in text, word


async def test_the_running_bot_speaks_of_its_configured_topic(tmp_path: Path) -> None:
    topic_file = tmp_path / "topic.toml"
    topic_file.write_text(CUSTOM, encoding="utf-8")
    settings = Settings.model_validate(
        {"storage": {"data_dir": str(tmp_path)}, "topic": {"file": str(topic_file)}}
    )
    async with services(settings) as svc:
        assert "France–Mali" in svc.catalog.t("en", "digest.header", count=3, period="p")
