"""A full disk, for real: ``small_disk_scenario.py`` runs in its own user and mount namespace
(``unshare``, no root needed where unprivileged user namespaces are allowed) with its data
directory on a 2 MB tmpfs, so the writes fail with the kernel's own ENOSPC, to TinyDB's
temporary file and to SQLite's database and WAL alike. Neither ``RLIMIT_FSIZE`` (EFBIG, and
only past an offset) nor an injected ``OSError`` would show what SQLite does on a full disk.

Skipped where user namespaces are not allowed (some hardened kernels and CI images)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_process import clean_env

pytestmark = pytest.mark.slow

SCENARIO = Path(__file__).with_name("small_disk_scenario.py")
UNSHARE = ["unshare", "--user", "--map-root-user", "--mount"]


def namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, check=False)
    return probe.returncode == 0


def test_a_full_disk_keeps_the_state_valid_and_the_bot_goes_on(tmp_path: Path) -> None:
    if not namespaces_allowed():
        pytest.skip("unprivileged user namespaces are not available here (unshare failed)")
    disk = tmp_path / "small"
    disk.mkdir()
    script = (
        'mount -t tmpfs -o size=2m digestbot-small "$0" && '
        'exec "$1" -m pytest -q -p no:cacheprovider --basetemp "$2" "$3"'
    )
    result = subprocess.run(
        [*UNSHARE, "sh", "-c", script, disk, sys.executable, tmp_path / "inner", SCENARIO],
        cwd=Path(__file__).parents[2],
        env=clean_env() | {"DIGESTBOT_SMALL_DISK": str(disk)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
