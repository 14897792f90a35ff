"""HostLimits: at most ``per_host`` fetches per host and ``overall`` in total, and no leftovers."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.ingest.limits import HostLimits, host_key


class FakeFetches:
    """Slow fake fetches that stay inside their slot until released, recording the peaks."""

    def __init__(self, limits: HostLimits) -> None:
        self.limits = limits
        self.gate = asyncio.Event()
        self.running: Counter[str] = Counter()
        self.peak_per_host: Counter[str] = Counter()
        self.peak_total = 0
        self.done: list[str] = []

    async def fetch(self, url: str) -> None:
        async with self.limits.slot(url):
            key = host_key(url)
            self.running[key] += 1
            self.peak_per_host[key] = max(self.peak_per_host[key], self.running[key])
            self.peak_total = max(self.peak_total, sum(self.running.values()))
            await self.gate.wait()
            # A few more turns of the loop inside the slot, as a real body read would take.
            for _ in range(3):
                await asyncio.sleep(0)
            self.running[key] -= 1
            self.done.append(url)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def urls(hosts: int, per: int) -> list[str]:
    return [f"https://h{h}.example/feed/{i}" for h in range(hosts) for i in range(per)]


@pytest.mark.parametrize(
    ("overall", "per_host", "hosts", "feeds_per_host"),
    [(16, 2, 10, 6), (4, 2, 5, 5), (3, 1, 2, 10), (100, 3, 4, 8)],
)
async def test_concurrency_stays_within_both_limits(
    overall: int, per_host: int, hosts: int, feeds_per_host: int
) -> None:
    limits = HostLimits(overall=overall, per_host=per_host)
    fake = FakeFetches(limits)
    tasks = [asyncio.create_task(fake.fetch(url)) for url in urls(hosts, feeds_per_host)]
    await settle()
    # Everyone who could get in is in: the limits are reached, not merely respected.
    assert sum(fake.running.values()) == min(overall, hosts * per_host)
    assert max(fake.running.values()) <= per_host
    fake.gate.set()
    await asyncio.gather(*tasks)
    assert len(fake.done) == hosts * feeds_per_host
    assert max(fake.peak_per_host.values()) == min(per_host, feeds_per_host)
    assert fake.peak_total == min(overall, hosts * per_host)
    assert limits.active_hosts == 0


async def test_a_busy_host_does_not_take_the_overall_slots() -> None:
    limits = HostLimits(overall=3, per_host=1)
    fake = FakeFetches(limits)
    crowd = [asyncio.create_task(fake.fetch(f"https://busy.example/{i}")) for i in range(10)]
    await settle()
    others = [asyncio.create_task(fake.fetch(f"https://h{i}.example/rss")) for i in range(2)]
    await settle()
    assert fake.running["busy.example:443"] == 1
    assert fake.running["h0.example:443"] == fake.running["h1.example:443"] == 1
    fake.gate.set()
    await asyncio.gather(*crowd, *others)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://News.Example/rss", "news.example:443"),
        ("http://news.example/rss", "news.example:80"),
        ("http://news.example:8080/a", "news.example:8080"),
        ("http://127.0.0.1:5000/x", "127.0.0.1:5000"),
        ("http://[::1]:5000/x", "::1:5000"),
        ("https://كوريا.example/", "xn--mgbt7cual.example:443"),
        ("not a url", "not a url"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


async def test_hosts_share_a_slot_across_schemes_only_with_the_same_port() -> None:
    limits = HostLimits(overall=10, per_host=1)
    fake = FakeFetches(limits)
    tasks = [
        asyncio.create_task(fake.fetch(url))
        for url in ("https://a.example/1", "https://A.EXAMPLE:443/2", "http://a.example/3")
    ]
    await settle()
    assert fake.running == Counter({"a.example:443": 1, "a.example:80": 1})
    fake.gate.set()
    await asyncio.gather(*tasks)


async def test_idle_hosts_are_dropped_and_cancelled_waiters_release() -> None:
    limits = HostLimits(overall=1, per_host=1)
    fake = FakeFetches(limits)
    holder = asyncio.create_task(fake.fetch("https://a.example/1"))
    waiters = [asyncio.create_task(fake.fetch(f"https://b.example/{i}")) for i in range(3)]
    await settle()
    assert limits.active_hosts == 2
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert limits.active_hosts == 1
    fake.gate.set()
    await holder
    assert limits.active_hosts == 0
    # The slots are whole again: a new fetch gets in at once.
    fake.gate.clear()
    again = asyncio.create_task(fake.fetch("https://b.example/again"))
    await settle()
    assert fake.running["b.example:443"] == 1
    fake.gate.set()
    await again


async def test_an_error_inside_the_slot_releases_it() -> None:
    limits = HostLimits(overall=1, per_host=1)
    with pytest.raises(RuntimeError):
        async with limits.slot("https://a.example/"):
            raise RuntimeError("fetch failed")
    async with asyncio.timeout(5), limits.slot("https://a.example/"):
        assert limits.active_hosts == 1
    assert limits.active_hosts == 0


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        HostLimits(overall=0)
    with pytest.raises(ValueError, match="at least 1"):
        HostLimits(per_host=0)
