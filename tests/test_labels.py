"""Outlet labels: the built-in data, the lookup by host, overrides and bad files."""

from __future__ import annotations

import pytest

from bot.digest.labels import KINDS, load_labels, parse_labels
from bot.errors import ConfigError

LABELS = load_labels()


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://arabic.rt.com/world/123-x/", "state"),
        ("https://tass.com/politics/1", "state"),
        ("http://www.kcna.kp/en/article/q/abc.kcmsf", "state"),
        ("https://feeds.bbci.co.uk/arabic/rss.xml", "public"),
        ("https://www.nknews.org/2024/11/x/", "independent"),
        ("https://EN.YNA.CO.KR./view/AEN1", "public"),
        ("https://notrt.com/x", None),  # a suffix of the name, not of its labels
        ("https://example.org/rt.com", None),
        ("not a link", None),
        ("https://[::1/", None),
        ("https://" + "a." * 200 + "rt.com/", None),
    ],
)
def test_a_link_is_labelled_by_its_host(url: str, kind: str | None) -> None:
    assert LABELS.kind(url) == kind


def test_a_feeds_own_label_wins_and_an_empty_one_hides_it() -> None:
    assert LABELS.kind("https://tass.com/x", override="independent") == "independent"
    assert LABELS.kind("https://tass.com/x", override="") is None
    assert LABELS.kind("https://example.org/x", override="state") == "state"


def test_every_built_in_label_names_the_public_source_it_rests_on() -> None:
    outlets = LABELS.outlets()
    assert {"KCNA", "Rodong Sinmun", "TASS", "RIA Novosti", "RT", "Sputnik"} <= {
        o.name for o in outlets if o.kind == "state"
    }
    for outlet in outlets:
        assert outlet.kind in KINDS
        assert outlet.source.startswith("https://"), outlet.name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[outlet]]\nname = 'X'\nkind = 'friendly'\nhosts = ['x.org']\nsource = 'https://a'",
            "kind",
        ),
        (
            "[[outlet]]\nname = 'X'\nkind = 'state'\nhosts = ['x.org']\nsource = 'trust me'",
            "source",
        ),
        (
            "[[outlet]]\nname = 'X'\nkind = 'state'\nhosts = ['X.org/']\nsource = 'https://a'",
            "hosts",
        ),
        ("[[outlet]]\nname = 'X'\nkind = 'state'\nhosts = []\nsource = 'https://a'", "hosts"),
        ("[[outlet]]\nname = ''\nkind = 'state'\nhosts = ['x.org']\nsource = 'https://a'", "name"),
        ("outlet = 3", "list"),
        ("[[outlet]", "TOML"),
        (
            "[[outlet]]\nname='A'\nkind='state'\nhosts=['x.org']\nsource='https://a'\n"
            "[[outlet]]\nname='B'\nkind='public'\nhosts=['x.org']\nsource='https://b'",
            "twice",
        ),
    ],
)
def test_a_bad_labels_file_is_refused_with_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_labels(text, "labels.toml")
