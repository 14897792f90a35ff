"""Shared test set-up. Every test runs offline: a connection or a DNS look-up for anything but
loopback fails the test at once (the idea of python-telegram-bot's ``OfflineRequest``)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkAccessError(AssertionError):
    """A test tried to reach beyond this machine."""


def _is_local_host(host: object) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_local_host(host):
        raise NetworkAccessError(f"test tried to connect to {address!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local_host(host):
        raise NetworkAccessError(f"test tried to resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _scratch_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Every test runs in an empty folder of its own: a command that falls back on
    ``./config.toml`` or ``./data`` reads and writes there, never in the folder pytest was
    started from (a developer's config.toml is not read, and no data/ is left in the repo)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield


# The loopback fakes' fixtures, available to every test.
from bot.topic.lexicon import Lexicon  # noqa: E402
from bot.topic.matcher import TopicMatcher  # noqa: E402
from bot.topic.topic_file import load_lexicon  # noqa: E402
from tests.fakes.discord_api import discord_api  # noqa: E402, F401
from tests.fakes.feed_server import FeedServer, feed_server  # noqa: E402, F401
from tests.fakes.openai_api import openai_api  # noqa: E402, F401
from tests.fakes.telegram_api import telegram_api  # noqa: E402, F401


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A feed server in a thread serving ``/wire.xml`` with fresh items, for the tests that run
    ``digestbot`` as a process (a test module may define its own ``feeds``)."""
    from tests.test_cli_process import fresh_feed

    server = FeedServer()
    with server.run_in_thread() as running:
        running.add("/wire.xml", fresh_feed())
        yield running


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    """The packaged topic's lexicon (read once: it is never changed by a test)."""
    return load_lexicon()


@pytest.fixture(scope="session")
def matcher(lexicon: Lexicon) -> TopicMatcher:
    return TopicMatcher(lexicon)
