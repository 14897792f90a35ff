"""Figures as news writes them, read as integers with where they are written."""

from __future__ import annotations

import pytest

from bot.text.normalize import normalize
from bot.text.numbers import figures, quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("اثنا عشر ألف جندي", 12_000),
        ("اثني عشر ألفا", 12_000),
        ("خمسة عشر ألف حاوية", 15_000),
        ("إحدى عشرة مليون", 11_000_000),
        ("كنا اثني عشر معلما", 12),
    ],
)
def test_arabic_teens_with_and_without_a_multiplier(text: str, value: int) -> None:
    assert quantities(normalize(text)) == {value}


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("وصول ١٢ ألف جندي", {12_000: "12 الف"}),
        ("شحن بـ١٥٠٠ حاوية و1,200 قذيفة", {1500: "1500", 1200: "1,200"}),
        ("في 21 مارس 2024 أرسلت سبعة آلاف", {7000: "سبعه الاف"}),
        ("ل300 ول400", {300: "300", 400: "400"}),
        ("1.5 million tonnes on 13 September", {1_500_000: "1.5 million"}),
    ],
)
def test_each_figure_knows_where_it_is_written(text: str, written: dict[int, str]) -> None:
    normalized = normalize(text)
    found = figures(normalized)
    assert {f.value: normalized[f.start : f.end] for f in found} == written
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert {f.value for f in found} == quantities(normalized)


def test_one_is_a_figure_only_in_a_teen() -> None:
    # احدى الملايين is "one of the millions", not a million.
    assert quantities(normalize("إحدى الملايين من الدولارات")) == set()
    assert quantities(normalize("أحد عشر ألف")) == {11_000}


@pytest.mark.parametrize(
    "text", ["2024" * 78, "9" * 400, "1" * 40 + " الف", "12" * 200 + " million"]
)
def test_runs_of_digits_too_long_for_a_quantity_are_none(text: str) -> None:
    assert quantities(text) == set()  # and never an overflow of float's range
