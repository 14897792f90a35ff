"""The README's "Try it" and "Docker" sections work as written: their `digestbot` commands run
(in an empty folder standing for a fresh clone, which they leave as it was), and what they say
about the image and the compose file holds for the Dockerfile, docker-compose.yml and
.dockerignore. No Docker engine is needed: the files are parsed, and the command lines the
image runs are run here."""

from __future__ import annotations

import fnmatch
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.app import daemon as runner
from bot.config import ENV_SECRETS, Settings

ROOT = Path(__file__).resolve().parent.parent


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def shell_lines(text: str) -> list[list[str]]:
    """The commands of the ```sh blocks: continuation lines joined, `&&` chains split."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                if part.strip():
                    commands.append(shlex.split(part))
    return commands


def run_digestbot(words: list[str], home: Path) -> tuple[int, str]:
    """``digestbot …`` as a shell would run it, ``~`` being ``home``."""
    argv = [str(home) + w[1:] if w.startswith("~/") else w for w in words[1:]]
    out = io.StringIO()
    return cli.main(argv, out=out), out.getvalue()


def instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    steps = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            steps.append((keyword.upper(), rest.strip()))
    return steps


def dockerfile() -> list[tuple[str, str]]:
    return instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def image_command(keyword: str) -> list[str]:
    [arg] = [arg for kw, arg in dockerfile() if kw == keyword]
    if keyword == "HEALTHCHECK":
        arg = arg[arg.index("CMD") + 3 :].strip()
    command = json.loads(arg)
    assert isinstance(command, list)
    return command


def in_volume(command: list[str], volume: Path) -> list[str]:
    """The image's command line with its /data volume at ``volume``."""
    return [str(volume) + w[len("/data") :] if w.startswith("/data") else w for w in command]


def test_try_it_runs_as_written_and_leaves_the_clone_as_it_was(tmp_path: Path) -> None:
    clone = Path.cwd()  # an empty folder of its own (conftest)
    commands = shell_lines(section("Try it"))
    ran = 0
    for words in commands:
        if words[:2] in (["pip", "install"], ["python", "-m"]):
            continue  # installing, and the test suite this test is part of
        assert words[0] == "digestbot", words
        code, out = run_digestbot(words, tmp_path)
        assert code == 0, (words, out)
        if words[1] == "demo":
            assert "📰 Russia–North Korea relations" in out
        if words[1] == "search":
            assert out.startswith("1. "), out  # the kept demo archive has Kursk in it
        ran += 1
    assert ran >= 3
    assert (tmp_path / "digestbot-demo" / "archive.sqlite3").exists()
    assert list(clone.iterdir()) == []


def test_the_image_starts_with_a_token_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`docker run -v VOLUME:/data -e TELEGRAM_BOT_TOKEN=… digestbot`, as the README shows it:
    the image's command line, in its working directory, with an empty volume and no config."""
    steps = dockerfile()
    workdir = [arg for kw, arg in steps if kw == "WORKDIR"][-1]
    assert workdir == "/data"
    [docker_run] = [w for w in shell_lines(section("Docker")) if w[:2] == ["docker", "run"]]
    volumes = [docker_run[i + 1] for i, w in enumerate(docker_run) if w == "-v"]
    assert [v.split(":")[1] for v in volumes] == ["/data"]
    assert any("/data" in json.loads(arg) for kw, arg in steps if kw == "VOLUME")
    env = [docker_run[i + 1].split("=")[0] for i, w in enumerate(docker_run) if w == "-e"]
    assert env and set(env) <= set(ENV_SECRETS)

    volume = tmp_path / "volume"
    volume.mkdir()
    monkeypatch.chdir(volume)  # WORKDIR /data
    started: list[Settings] = []

    async def record(settings: Settings, stop: Any = None) -> None:
        started.append(settings)  # the long-running part needs the chat platforms

    monkeypatch.setattr(runner, "run_forever", record)
    for name in ENV_SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:IMAGE-secret-token")
    command = in_volume(image_command("CMD"), volume)
    assert command[:2] == ["digestbot", "run"]
    assert cli.main(command[1:], out=io.StringIO()) == 0
    [settings] = started
    assert settings.telegram.enabled
    assert settings.data_dir == volume
    assert len(settings.feeds) >= 10  # the built-in list

    # the health check, on the same fresh volume: healthy, and nothing written
    check = in_volume(image_command("HEALTHCHECK"), volume)
    assert check[:2] == ["digestbot", "status"]
    out = io.StringIO()
    assert cli.main(check[1:], out=out) == 0, out.getvalue()
    assert list(volume.iterdir()) == []

    # a config in the volume is read when there is one
    (volume / "config.toml").write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n', encoding="utf-8"
    )
    assert cli.main(command[1:], out=io.StringIO()) == 0
    assert [f.name for f in started[-1].feeds] == ["A"]


def test_compose_passes_every_secret_and_uses_a_volume_the_image_can_write() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    live = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    for name in ENV_SECRETS:
        assert any(re.fullmatch(rf"\s+{name}: \$\{{{name}:-\}}", ln) for ln in live), name
    mounts = [m.group(1) for ln in live if (m := re.fullmatch(r"\s+- (\S+):/data", ln))]
    assert mounts == ["digestbot-data"]  # a named volume, not a folder Docker makes for root
    assert "volumes:" in live and "  digestbot-data:" in live


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` out of the build context: the last pattern that matches
    the path or a folder above it wins; ``!`` lets a path back in."""
    parts = path.split("/")
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        regex = fnmatch.translate(body).replace(".*.*/", "(?:.*/)?")
        if any(re.match(regex, candidate) for candidate in candidates):
            ignored = not negate
    return ignored


def test_the_build_context_holds_what_the_image_installs_and_no_secrets() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    copied = [src for kw, arg in dockerfile() if kw == "COPY" for src in arg.split()[:-1]]
    assert copied == ["pyproject.toml", "README.md", "bot"]
    for kept in (
        "pyproject.toml",
        "README.md",
        "bot/cli/__init__.py",
        "bot/data/feeds/default.toml",
    ):
        assert not _ignored(kept, patterns), kept
    for left_out in (
        ".venv/lib/python3.11/site-packages/x.py",
        "data/archive.sqlite3",
        "config.toml",
        ".git/HEAD",
        ".env",
        "tests/test_cli_process.py",
        "bot/__pycache__/cli.cpython-311.pyc",
    ):
        assert _ignored(left_out, patterns), left_out
