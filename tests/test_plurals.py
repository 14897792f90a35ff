"""Counted words take the CLDR plural form of their language (Arabic has six), in every digest
header; numbers may be written in Arabic-Indic digits."""

from __future__ import annotations

from dataclasses import replace

import discord
import pytest
from telegram import Bot

from bot.digest.render import render_plain
from bot.i18n import Catalog, localize_digits, plural_category
from bot.models import Digest
from bot.platforms.discord.channel import DiscordChannel
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.telegram.channel import TelegramChannel
from bot.platforms.telegram.platform import TelegramPlatform
from tests.delivery_support import TOKEN
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscordAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_render import sample_digest

CATALOG = Catalog.load()


@pytest.mark.parametrize(
    ("count", "category"),
    [
        (0, "zero"),
        (1, "one"),
        (2, "two"),
        (3, "few"),
        (10, "few"),
        (11, "many"),
        (99, "many"),
        (100, "other"),
        (102, "other"),
        (103, "few"),
        (111, "many"),
        (1000, "other"),
    ],
)
def test_arabic_plural_categories_come_from_cldr(count: int, category: str) -> None:
    assert plural_category("ar", count) == category


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("ar", 3, "3 قصص"),
        ("ar", 10, "10 قصص"),
        ("ar", 11, "11 قصة"),
        ("ar", 20, "20 قصة"),
        ("ar", 100, "100 قصة"),
        ("ar", 1, "قصة واحدة"),
        ("ar", 2, "قصتان"),
        ("en", 1, "1 story"),
        ("en", 2, "2 stories"),
        ("en", 21, "21 stories"),
    ],
)
def test_digest_header_counts_stories_in_the_right_form(
    lang: str, count: int, expected: str
) -> None:
    header = CATALOG.t(lang, "digest.header", count=count, period="p")
    assert f" {expected} " in header
    if lang == "ar" and count > 10:
        assert "قصص" not in header  # "20 قصص" is what a hand-written rule used to say


def test_a_rendered_digest_of_eleven_stories_says_11_qissa() -> None:
    text = render_plain(digest_of("ar", 11), CATALOG)
    assert "11 قصة" in text.splitlines()[0]


def test_every_counted_message_picks_a_form_for_any_count() -> None:
    for lang in ("ar", "en"):
        for key in CATALOG.keys(lang):
            if CATALOG.forms(lang, key) is None:
                continue
            for count in range(0, 230):
                assert CATALOG.t(lang, key, count=count, period="p", hours=count)


def test_a_counted_message_needs_a_count() -> None:
    with pytest.raises(TypeError, match="count"):
        CATALOG.t("ar", "digest.header", period="p")


def test_numbers_in_arabic_indic_digits() -> None:
    header = CATALOG.t("ar", "digest.header", count=20, period="p", digits="arab")
    assert "٢٠ قصة" in header
    assert localize_digits("08:30, 2024", "arab") == "٠٨:٣٠, ٢٠٢٤"
    assert localize_digits("08:30", "latn") == "08:30"


# Through the real libraries to the fake platforms: the header a chat receives.

CHAT = 4242
CHANNEL = 111111111111111111


def digest_of(lang: str, count: int) -> Digest:
    digest = sample_digest(lang)  # type: ignore[arg-type]
    story = digest.items[0]
    return replace(digest, items=tuple(replace(story, story_id=n) for n in range(1, count + 1)))


CASES = [("ar", 3, "3 قصص"), ("ar", 11, "11 قصة"), ("ar", 20, "20 قصة"), ("ar", 100, "100 قصة")]
CASES += [("en", 1, "1 story"), ("en", 2, "2 stories")]


@pytest.mark.parametrize(("lang", "count", "expected"), CASES)
async def test_a_telegram_chat_receives_the_right_plural(
    telegram_api: FakeTelegramAPI, lang: str, count: int, expected: str
) -> None:
    parts = TelegramPlatform().render_digest(digest_of(lang, count), CATALOG)
    async with Bot(TOKEN, base_url=telegram_api.bot_url) as bot:
        await TelegramChannel(bot).send(CHAT, parts[0].text)
    [received] = telegram_api.messages_to(CHAT)
    assert f" {expected} " in received.text.splitlines()[0]


@pytest.mark.parametrize(("lang", "count", "expected"), CASES)
async def test_a_discord_channel_receives_the_right_plural(
    discord_api: FakeDiscordAPI, lang: str, count: int, expected: str
) -> None:
    parts = DiscordPlatform().render_digest(digest_of(lang, count), CATALOG)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(BOT_TOKEN)  # REST only: no gateway
    try:
        await DiscordChannel(client).send(CHANNEL, parts[0].text)
    finally:
        await client.close()
    [payload] = discord_api.sent_to(CHANNEL)
    assert f" {expected} " in payload["content"].splitlines()[0]
