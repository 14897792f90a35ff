"""The soak benchmark's driver at a tiny size: every digest the chats' settings call for
arrives, complete and once, through 429s and LLM failures. Timing and memory are the
benchmark's business (``bench/soak.py``), not asserted here."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.soak import Options, read_message, soak, tally

SLOT = datetime(2024, 10, 26, 17, 0, tzinfo=UTC)


def test_a_small_soak_delivers_every_digest_once() -> None:
    result = soak(Options(hours=3, feeds=5, chats=30, llm_failure=0.3, flood_share=0.2))
    tally, fakes = result.tally, result.run.fakes
    assert fakes["refusals"] > 0 and sum(fakes["llm_injected"].values()) > 0
    assert result.news_gaps == 0 and result.kept == result.on_topic
    assert tally.expected_digests > 0
    assert tally.missing == tally.incomplete == tally.unexpected == 0
    assert tally.complete == tally.expected_digests
    assert tally.delivered == tally.expected
    assert tally.duplicates == 0
    assert result.run.outbox == {"sent": tally.delivered}


def test_the_tally_counts_lost_duplicated_and_unexpected_parts() -> None:
    header = "<b>📰 Russia–North Korea relations · 3 stories · since 2024-10-26 05:00 UTC</b>"
    first = f"{header}\n\n<b>A</b>\n🔗 Sources: x\n\n<b>B</b>\n🔗 Sources: y"
    second = "<b>C</b>\n🔗 Sources: z"
    expected = {(1, "2024-10-26 05:00 UTC"): SLOT, (2, "2024-10-26 05:00 UTC"): SLOT}
    expected |= {(3, "2024-10-26 05:00 UTC"): SLOT}
    received = [
        read_message(1, first),
        read_message(1, second),
        read_message(1, second),  # sent twice
        read_message(2, first),  # its second part never came
        read_message(4, first),  # a chat that was due nothing
        read_message(5, second),  # a part with no header before it
    ]
    result = tally(expected, received)
    assert (result.complete, result.incomplete, result.missing) == (1, 1, 1)
    assert (result.delivered, result.expected) == (3, 2 + 2 + 1)
    assert result.duplicates == 1 and result.unexpected == 2
