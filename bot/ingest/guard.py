"""Which URLs the bot may fetch: the guard against server-side request forgery.

A feed URL comes from an operator or a chat admin, and every redirect hop comes from a server we
do not control, so each hop is checked twice before a connection is made:

- ``check_url``: the scheme is http or https, there is a host, and there are no credentials;
- ``check_host``: every address the host resolves to is a public one (not loopback, private,
  link-local, multicast, reserved, unspecified, or an IPv6 form that wraps one of those).

URLs are parsed with ``httpx.URL``, the same parser that makes the request, so the guard and the
client cannot disagree about which host a URL names.

The name is resolved here and again by the HTTP client when it connects, and a DNS server may
answer differently the second time (DNS rebinding): ``bot.ingest.pinned`` checks the addresses
the connection itself uses, so the second answer is judged too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx

from bot.errors import BlockedURLError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Resolver(Protocol):
    """Turns a host name into the IP addresses a connection could go to.

    Raises ``OSError`` (``socket.gaierror``) when the name cannot be resolved.
    """

    async def __call__(self, host: str, port: int, /) -> list[str]: ...


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system's resolver, off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def redact_url(url: str) -> str:
    """A form of ``url`` safe for logs and error messages: no credentials, no query values."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if parsed.query:
        parsed = parsed.copy_with(query=b"...")
    return str(parsed.copy_with(fragment=None))


def url_target(url: str) -> tuple[str, int]:
    """The ``(host, port)`` a URL would connect to, after the checks of ``check_url``.

    The host is in its ASCII (IDNA) form, as the HTTP client would resolve it.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise BlockedURLError(f"invalid URL: {exc}") from None
    scheme = parsed.scheme.lower()
    if scheme not in _SCHEMES:
        raise BlockedURLError(f"scheme {scheme or '(none)'!r} is not allowed, only http and https")
    if not parsed.host:
        raise BlockedURLError("URL has no host")
    if parsed.userinfo:
        # The credentials themselves must never reach an error message or a log line.
        raise BlockedURLError("URL carries credentials (user:password@); these are not allowed")
    host = parsed.raw_host.decode("ascii", "replace")
    port = parsed.port or _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise BlockedURLError(f"invalid URL: port {port} is out of range")
    return host, port


def check_url(url: str) -> None:
    """Raise ``BlockedURLError`` unless ``url`` is an http(s) URL with a host and no credentials."""
    url_target(url)


def is_forbidden_address(ip: IPAddress) -> bool:
    """True when a connection to ``ip`` could reach this machine or a private network."""
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address inside are judged by that address.
        if ip.ipv4_mapped is not None:
            return is_forbidden_address(ip.ipv4_mapped)
        if ip.sixtofour is not None and is_forbidden_address(ip.sixtofour):
            return True
        if ip.teredo is not None and is_forbidden_address(ip.teredo[1]):
            return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # Catches what the flags above miss, such as 100.64.0.0/10 (carrier-grade NAT, where
        # some clouds put their metadata service).
        or not ip.is_global
    )


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def check_host(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> None:
    """Raise ``BlockedURLError`` if ``host`` is, or resolves to, any non-public address.

    IP literals are judged without resolving. A name that cannot be resolved raises
    ``FetchError``. With ``allow_private`` nothing is checked (for feeds on a local network).
    """
    if allow_private:
        return
    literal = _parse_ip(host)
    if literal is not None:
        if is_forbidden_address(literal):
            raise BlockedURLError(f"address {literal} is not public")
        return
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    checked_addresses(host, addresses)


def checked_addresses(
    host: str,
    addresses: Sequence[str],
    *,
    is_forbidden: Callable[[IPAddress], bool] | None = None,
) -> list[str]:
    """``addresses`` (what ``host`` resolved to) when every one is public; else raise
    ``BlockedURLError`` (``FetchError`` when there are none). One private address is enough to
    refuse: a client could connect to any of them."""
    forbidden = is_forbidden or is_forbidden_address
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no addresses")
    for text in addresses:
        ip = _parse_ip(text)
        if ip is None or forbidden(ip):
            raise BlockedURLError(f"{host} resolves to {text}, which is not public")
    return list(addresses)
