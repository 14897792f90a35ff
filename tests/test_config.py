"""Config validation: one line naming the file, the key and the problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings, parse_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_is_valid_and_lists_both_languages() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    langs = {feed.lang for feed in settings.feeds}
    assert langs == {"ar", "en"}
    assert not settings.llm.enabled
    assert not settings.telegram.enabled
    assert settings.ingest.allow_private_networks is False


def test_example_config_documents_every_key() -> None:
    """Every settings key appears in config.example.toml and in the README."""
    from bot.config import Settings

    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section, field in Settings.model_fields.items():
        if section == "feeds":
            assert example["feeds"], "the example lists feeds"
            continue
        model = field.annotation
        assert section in example, section
        for key in model.model_fields:  # type: ignore[union-attr]
            assert key in example[section], f"[{section}] {key} missing from the example"
            assert f"`{key}`" in readme, f"[{section}] {key} missing from README"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"llm": {"timeout_s": "soon"}}, "[llm] timeout_s: expected a number, got 'soon'"),
        ({"llm": {"tiemout_s": 3}}, "[llm] tiemout_s: unknown key"),
        ({"surprise": 1}, "surprise: unknown key"),
        ({"llm": 5}, "[llm]: expected a table, got 5"),
        ({"llm": {"base_url": "localhost:11434"}}, "[llm] base_url: not an http(s) URL"),
        ({"telegram": {"base_url": "ftp://x"}}, "[telegram] base_url: not an http(s) URL"),
        ({"telegram": {"reply_share": 0.9}}, "[telegram] reply_share: must be a share between"),
        ({"telegram": {"reply_share": 1}}, "[telegram] reply_share: must be a share between"),
        ({"telegram": {"reply_share": -0.1}}, "[telegram] reply_share: must be a share between"),
        ({"telegram": {"reply_share": "5%"}}, "[telegram] reply_share: expected a number"),
        ({"schedule": {"digest_times": ["25:00"]}}, "[schedule] digest_times: not a time of day"),
        ({"schedule": {"digest_times": ["8am"]}}, "[schedule] digest_times: not a time of day"),
        ({"schedule": {"digest_times": "08:00"}}, "[schedule] digest_times: expected a list"),
        ({"schedule": {"timezone": "Mars/Base"}}, "[schedule] timezone: unknown timezone"),
        ({"schedule": {"poll_minutes": 0}}, "[schedule] poll_minutes:"),
        (
            {"ingest": {"allow_private_networks": "yes"}},
            "[ingest] allow_private_networks: expected true or false",
        ),
        (
            {
                "feeds": [
                    {"url": "https://a.example/rss", "name": "A"},
                    {"url": "file:///etc/passwd", "name": "B"},
                ]
            },
            "[[feeds]][2] url: not an http(s) URL",
        ),
        (
            {"feeds": [{"url": "https://a.example/rss"}]},
            "[[feeds]][1] name: required key is missing",
        ),
        (
            {"feeds": [{"url": "https://a.example/rss", "name": "A", "lang": "fr"}]},
            "[[feeds]][1] lang:",
        ),
        (
            {"feeds": [{"url": "https://a.example/rss", "name": "A"}] * 2},
            "[[feeds]]: feed listed twice",
        ),
    ],
)
def test_bad_config_names_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(data, source="config.toml")
    text = str(info.value)
    assert text.startswith(f"config.toml: {message}"), text
    assert "\n" not in text


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123456")
    settings = parse_settings({})
    assert settings.telegram.enabled and settings.llm.enabled
    assert "secret-token" not in repr(settings)
    assert "sk-test" not in repr(settings)


def test_the_file_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:from-env")
    settings = parse_settings({"telegram": {"token": "2:from-file"}})
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "2:from-file"


def test_check_config_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[schedule]\ntimezone = "Asia/Riyadh"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(good)]) == 0
    assert "OK" in capsys.readouterr().out

    bad = tmp_path / "bad.toml"
    bad.write_text('[schedule]\ndigest_times = ["08:00", "7 pm"]\n', encoding="utf-8")
    assert main(["check-config", "--config", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert err == f"digestbot: {bad}: [schedule] digest_times: not a time of day (HH:MM): '7 pm'"

    broken = tmp_path / "broken.toml"
    broken.write_text("[llm\nmodel = 1\n", encoding="utf-8")
    assert main(["check-config", "--config", str(broken)]) != 0
    assert f"{broken}: not valid TOML" in capsys.readouterr().err

    assert main(["check-config", "--config", str(tmp_path / "missing.toml")]) != 0
    assert "no such file" in capsys.readouterr().err


def test_telegram_base_url_must_end_with_bot() -> None:
    with pytest.raises(ConfigError, match=r"\[telegram\] base_url: must end with /bot"):
        parse_settings({"telegram": {"base_url": "https://api.telegram.org/"}})
    ok = parse_settings({"telegram": {"base_url": "http://127.0.0.1:8081/bot/"}})
    assert ok.telegram.base_url == "http://127.0.0.1:8081/bot"


def test_second_opinion_needs_an_llm() -> None:
    with pytest.raises(ConfigError, match="second_opinion needs an LLM"):
        parse_settings({"topic": {"second_opinion": True}})


def test_check_config_opens_the_topic_and_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_topic = tmp_path / "topic.toml"
    bad_topic.write_text(f'[topic]\nfile = "{tmp_path / "missing.toml"}"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(bad_topic)]) == 2
    assert "missing.toml" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["check-config", "--data-dir", str(blocker / "data")]) == 2
    assert "cannot use this data folder" in capsys.readouterr().err
