"""Who controls an outlet: the labels shown beside its links (``data/outlets/labels.toml``).

Pure once loaded: a link's host is looked up, suffix by suffix, in the outlets' hosts
("arabic.rt.com" → "rt.com"). A feed's own label from the config wins over the built-in one,
and an empty one there hides it. An outlet the data does not list gets no label: an unknown
owner is not an independent one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.models import FeedSource

LabelKind = Literal["state", "public", "independent"]
KINDS: tuple[LabelKind, ...] = ("state", "public", "independent")
_RESOURCE = ("data", "outlets", "labels.toml")
_MAX_HOST = 253  # the longest DNS name; longer text is no host

SourceLabeller = Callable[[str, str], LabelKind | None]
"""The label of a source from its link and its feed's URL (``bot.digest.compose``)."""


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    kind: LabelKind
    hosts: tuple[str, ...]
    source: str
    """The public document the label rests on."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The outlets by host."""

    by_host: Mapping[str, Outlet]

    def outlet(self, url: str) -> Outlet | None:
        """The listed outlet whose host the link's host is or ends in, or None."""
        host = _host(url)
        while host:
            found = self.by_host.get(host)
            if found is not None:
                return found
            _, _, host = host.partition(".")
        return None

    def kind(self, url: str, override: str | None = None) -> LabelKind | None:
        """The label of a link: ``override`` (a feed's ``label`` in the config; "" for none)
        when given, else the built-in one."""
        if override is not None:
            return override if override in KINDS else None
        found = self.outlet(url)
        return found.kind if found else None

    def outlets(self) -> list[Outlet]:
        """Every listed outlet once, by name."""
        unique = {outlet.name: outlet for outlet in self.by_host.values()}
        return [unique[name] for name in sorted(unique)]


def _host(url: str) -> str:
    if len(url) > 4096:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".").lower()
    return host if len(host) <= _MAX_HOST else ""


def _outlet(entry: Any, origin: str, index: int) -> Outlet:
    where = f"{origin}: outlet {index + 1}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected a table")
    name, kind, hosts, source = (entry.get(k) for k in ("name", "kind", "hosts", "source"))
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    if kind not in KINDS:
        raise ConfigError(f"{where} ({name}): 'kind' must be one of {', '.join(KINDS)}")
    if not isinstance(source, str) or not source.startswith("https://"):
        raise ConfigError(f"{where} ({name}): 'source' must be the https:// address it rests on")
    if (
        not isinstance(hosts, list)
        or not hosts
        or not all(isinstance(h, str) and h and _host(f"https://{h}/") == h for h in hosts)
    ):
        raise ConfigError(f"{where} ({name}): 'hosts' must list lower-case host names")
    return Outlet(name=name, kind=cast(LabelKind, kind), hosts=tuple(hosts), source=source)


def parse_labels(text: str, origin: str = "labels") -> Labels:
    """The outlets of a labels file; a ``ConfigError`` naming the outlet for a bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None
    entries = data.get("outlet", [])
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise ConfigError(f"{origin}: 'outlet' must be a list of tables")
    by_host: dict[str, Outlet] = {}
    for index, entry in enumerate(entries):
        outlet = _outlet(entry, origin, index)
        for host in outlet.hosts:
            if host in by_host:
                raise ConfigError(f"{origin}: host {host} is listed twice")
            by_host[host] = outlet
    return Labels(by_host)


def load_labels() -> Labels:
    """The built-in labels."""
    text = resources.files("bot").joinpath(*_RESOURCE).read_text(encoding="utf-8")
    return parse_labels(text, "built-in outlet labels")


@cache
def builtin_labels() -> Labels:
    """The built-in labels, read once per process (they ship with the package)."""
    return load_labels()


def labeller(labels: Labels, overrides: Mapping[str, str | None]) -> SourceLabeller:
    """A source's label: its feed's own ``label`` from the config (``overrides``, by feed URL)
    when the operator set one, else the built-in label of the link's host."""

    def label(url: str, feed_url: str) -> LabelKind | None:
        return labels.kind(url, overrides.get(feed_url))

    return label


def feed_labeller(feeds: Sequence[FeedSource]) -> SourceLabeller:
    """The labeller for the configured feeds, over the built-in labels."""
    return labeller(builtin_labels(), {feed.url: feed.label for feed in feeds})
