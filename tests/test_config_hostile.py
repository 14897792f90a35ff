"""Config files as they come: any value of a known key is a one-line ``ConfigError`` or valid
settings, never another exception; the value of a secret key is never echoed, whatever its
type; a UTF-8 byte order mark is accepted; an empty ``data_dir`` is an error, not the current
folder."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.config import Settings, load_settings, parse_settings
from bot.errors import ConfigError

SECRET_KEYS = {
    ("telegram", "token"),
    ("llm", "api_key"),
    ("discord", "token"),
    ("discord", "webhooks"),
}
"""Keys whose value, or anything below it, is a secret (a webhook URL holds its token)."""
WEBHOOK = "https://discord.com/api/webhooks/123456789012345678/" + "T0KEN-" * 12
FEED = {"url": "https://wire.example/rss", "name": "Wire"}
MARK = "SeCrEt"


def _with_mark(text: str) -> str:
    return f"sk-{MARK}-{text}"


def toml_values(strings: st.SearchStrategy[str], integers: st.SearchStrategy[int]) -> Any:
    """Every kind of value a TOML document can hold, nested."""
    scalars = st.one_of(
        strings,
        integers,
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.datetimes(timezones=st.none() | st.just(UTC)),
        st.dates(),
        st.times(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3),
        max_leaves=6,
    )


ANY_VALUE = toml_values(st.text(max_size=30), st.integers())
SECRET_VALUE = toml_values(
    st.text(max_size=20).map(_with_mark), st.integers(min_value=10**9, max_value=10**18)
)


def known_keys() -> list[tuple[str, ...]]:
    """Every key a config file may set: ``(section, key)``, and the keys of a feed and of a
    Discord webhook."""
    keys: list[tuple[str, ...]] = []
    for section, field in Settings.model_fields.items():
        if section == "feeds":
            continue
        model = field.annotation
        keys.extend((section, key) for key in model.model_fields)  # type: ignore[union-attr]
    keys.extend(("feeds", key) for key in ("url", "name", "lang"))
    keys.extend(("discord", "webhooks", key) for key in ("name", "url", "lang"))
    return keys


def document(key: tuple[str, ...], value: Any) -> dict[str, Any]:
    if key[0] == "feeds":
        return {"feeds": [{**FEED, key[1]: value}]}
    if key[:2] == ("discord", "webhooks") and len(key) == 3:
        return {"discord": {"webhooks": [{"name": "news", "url": WEBHOOK, key[2]: value}]}}
    return {key[0]: {key[1]: value}}


def is_secret(key: tuple[str, ...]) -> bool:
    return key[:2] in SECRET_KEYS


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(known_keys()), data=st.data())
def test_any_value_of_a_known_key_is_an_error_line_or_settings(
    key: tuple[str, ...], data: st.DataObject
) -> None:
    secret = is_secret(key)
    value = data.draw(SECRET_VALUE if secret else ANY_VALUE)
    try:
        parse_settings(document(key, value), source="config.toml")
    except ConfigError as exc:
        line = str(exc)
        assert line.startswith("config.toml: ") and "\n" not in line
        if secret:
            assert MARK not in line, line
            for leaf in leaves(value):
                if isinstance(leaf, int) and not isinstance(leaf, bool):
                    assert str(leaf) not in line, line


@settings(max_examples=200, deadline=None)
@given(value=SECRET_VALUE, where=st.sampled_from(sorted(SECRET_KEYS)))
def test_a_secret_in_a_broken_section_is_never_echoed(value: Any, where: tuple[str, str]) -> None:
    """A bad value elsewhere in the same section reports that key, never the secret."""
    section, key = where
    broken = {"telegram": "base_url", "llm": "timeout_s", "discord": "sync_commands"}[section]
    with pytest.raises(ConfigError) as caught:
        parse_settings({section: {key: value, broken: [MARK]}}, source="c")
    assert MARK not in str(caught.value)


@pytest.mark.parametrize(
    ("section", "key"), [("llm", "api_key"), ("telegram", "token"), ("discord", "token")]
)
@pytest.mark.parametrize(
    "value", [["sk-live-1234567890"], {"key": "sk-live-1234567890"}, 1234567890123]
)
def test_a_secret_of_the_wrong_type_is_not_echoed(section: str, key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({section: {key: value}}, source="config.toml")
    line = str(caught.value)
    assert line.startswith(f"config.toml: [{section}] {key}: expected a string")
    assert "1234567890" not in line and "not shown" in line


def test_a_webhook_url_where_a_table_belongs_is_not_echoed() -> None:
    for value in (WEBHOOK, [WEBHOOK], [[WEBHOOK]]):
        with pytest.raises(ConfigError) as caught:
            parse_settings({"discord": {"webhooks": value}}, source="c")
        assert "T0KEN" not in str(caught.value)


def test_no_list_or_table_is_echoed_even_outside_secret_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"llm": ["sk-put-in-the-wrong-place"]}, source="c")
    assert str(caught.value) == "c: [llm]: expected a table, got a list"


def test_the_check_config_command_does_not_echo_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[llm]\napi_key = ["sk-proj-abcdef123456"]\n', encoding="utf-8")
    assert main(["check-config", "--config", str(config)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "[llm] api_key: expected a string" in err and "sk-proj" not in err


# how the file is read


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = '[schedule]\ntimezone = "Asia/Riyadh"\n[[feeds]]\nurl = "https://a.example/rss"\n'
    config.write_bytes(b"\xef\xbb\xbf" + (text + 'name = "الجزيرة"\n').encode("utf-8"))
    settings = load_settings(config)
    assert settings.schedule.timezone == "Asia/Riyadh"
    assert settings.feeds[0].name == "الجزيرة"


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_data_dir_is_an_error(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[storage\] data_dir: a folder is required"):
        load_settings(config)
    with pytest.raises(ConfigError, match=r"--data-dir: a folder is required"):
        load_settings(None, data_dir=value)


def test_a_nul_in_a_path_is_an_error() -> None:
    for data in ({"storage": {"data_dir": "da\x00ta"}}, {"topic": {"file": "t\x00.toml"}}):
        with pytest.raises(ConfigError, match="NUL"):
            parse_settings(data, source="c")


def test_the_current_folder_can_still_be_asked_for() -> None:
    assert load_settings(None, data_dir=".").data_dir == Path(".")


def test_values_of_every_toml_type_are_told_apart() -> None:
    """The fuzz above draws these; each gives a line naming the key."""
    for value in (datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 1), time(8, 0), 1.5, True):
        with pytest.raises(ConfigError, match=r"^c: \[storage\] data_dir: expected a string"):
            parse_settings({"storage": {"data_dir": value}}, source="c")
