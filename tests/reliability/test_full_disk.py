"""A full disk: ``small_disk_scenario.py`` runs the bot in a pytest process of its own whose
data directory fills up, and must find the state file whole, the errors logged, and nothing
lost once space returns.

- ``tmpfs`` is the real thing: the scenario runs in its own user and mount namespace
  (``unshare``, no root needed where unprivileged user namespaces are allowed) with its data on
  a 2 MB tmpfs, so writes fail with the kernel's own ENOSPC, to TinyDB's temporary file and to
  SQLite's database and WAL alike. Skipped where namespaces are not allowed (some hardened
  kernels and CI images).
- ``file-size-limit`` runs everywhere: ``RLIMIT_FSIZE`` at 0 makes every write fail (EFBIG).
  An ``OSError`` injected into our own code would not show what SQLite does.
"""

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
MOUNT_AND_RUN = 'mount -t tmpfs -o size=2m digestbot-small "$0" && exec "$@"'


def namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.parametrize("mode", ["tmpfs", "file-size-limit"])
def test_a_full_disk_keeps_the_state_valid_and_the_bot_goes_on(tmp_path: Path, mode: str) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    pytest_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command = [*pytest_args, "--basetemp", str(tmp_path / "inner"), str(SCENARIO)]
    if mode == "tmpfs":
        if not namespaces_allowed():
            pytest.skip("unprivileged user namespaces are not available here (unshare failed)")
        command = [*UNSHARE, "sh", "-c", MOUNT_AND_RUN, str(disk), *command]
    result = subprocess.run(
        command,
        cwd=Path(__file__).parents[2],
        env=clean_env() | {"DIGESTBOT_SMALL_DISK": str(disk), "DIGESTBOT_DISK_MODE": mode},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
