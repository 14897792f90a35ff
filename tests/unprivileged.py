"""Running a command as a user that file permissions apply to.

The tests may run as root, for whom a read-only file or folder is writable all the same. There
the command runs under ``setpriv`` without the capabilities that override permissions
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so root meets the permission bits like anyone else.
"""

from __future__ import annotations

import os
import shutil

import pytest


def prefix() -> list[str]:
    """What to put before a command line; skips the test when permissions cannot apply."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: read-only files are writable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
