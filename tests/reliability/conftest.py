"""The fault tests run with the rest of the suite (CI runs plain ``python -m pytest``); the
``slow`` mark lets a quick local run leave them out: ``python -m pytest -m "not slow"``."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a fault test that takes several seconds")
