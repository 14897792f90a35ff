"""The Dockerfile and the compose example keep their key properties."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instructions(text: str) -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_non_root_with_data_volume_and_status_healthcheck() -> None:
    steps = _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    users = [arg for kw, arg in steps if kw == "USER"]
    assert users, "no USER instruction"
    assert users[-1] not in {"root", "0"} and not users[-1].startswith("0:")
    volumes = [arg for kw, arg in steps if kw == "VOLUME"]
    assert any("/data" in (json.loads(v) if v.startswith("[") else v.split()) for v in volumes)
    checks = [arg for kw, arg in steps if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    cmd = json.loads(checks[0][checks[0].index("CMD") + 3 :].strip())
    assert cmd[:2] == ["digestbot", "status"]
    # USER comes before the command that runs the bot.
    kws = [kw for kw, _ in steps]
    assert max(i for i, kw in enumerate(kws) if kw == "USER") < kws.index("CMD")


def test_compose_mounts_data_and_offers_a_commented_local_llm() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    live = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    assert any(re.fullmatch(r"\s+-\s+\S+:/data", ln) for ln in live)
    assert any(re.fullmatch(r"\s+digestbot:", ln) for ln in live)
    commented = [ln.lstrip()[1:].strip() for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert "ollama:" in commented
    assert not any("TELEGRAM_BOT_TOKEN: " in ln and "${" not in ln for ln in live)
