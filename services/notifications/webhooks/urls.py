"""Webhook URL rules: http(s) only, no credentials, no private, loopback or link-local targets.

Checked when an endpoint is registered and again at every attempt. At an attempt the name is
resolved once, every address is checked, and the request goes to the checked address itself (the
URL's host replaced by it, with the name kept in ``Host`` and, for HTTPS, in SNI and the
certificate check). So a name that resolves to a public address for the check and to an internal
one for the connection (DNS rebinding) cannot reach the inside. ``allow_private`` lifts the
address rule (tests, on-premise partners).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class UnsafeUrl(ValueError):
    pass


@dataclass(frozen=True)
class Pinned:
    """Where one attempt connects: a checked address, and the name the receiver expects."""

    url: str  # the URL with its host replaced by ``address``
    address: str
    host_header: str
    sni_hostname: str | None  # HTTPS to a name: the name for SNI and the certificate check


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_form(url: str, max_length: int = 2048) -> tuple[str, int]:
    """The host and port of a well-formed URL, or UnsafeUrl saying why not."""
    if len(url) > max_length:
        raise UnsafeUrl(f"is longer than {max_length} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("is not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("must use http or https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl("must not carry credentials")
    if not parts.hostname:
        raise UnsafeUrl("must name a host")
    if parts.fragment:
        raise UnsafeUrl("must not have a fragment")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def _addresses(host: str, port: int) -> list[str]:
    if _literal(host):
        return [host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrl("names a host that does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _bracket(host: str) -> str:
    """IPv6 literals stand in brackets in URLs and Host headers."""
    return f"[{host}]" if ":" in host else host


async def pin(url: str, *, allow_private: bool, max_length: int = 2048) -> Pinned:
    """Resolve the URL's host once, check the addresses, and say where to connect."""
    host, port = check_form(url, max_length)
    local = host.lower().rstrip(".")
    if not allow_private and (local in _LOCAL_NAMES or local.endswith(".localhost")):
        raise UnsafeUrl("must not point at a private, loopback or link-local address")
    addresses = await _addresses(host, port)
    if not addresses or not (allow_private or all(_is_public(a) for a in addresses)):
        raise UnsafeUrl("must not point at a private, loopback or link-local address")
    address = addresses[0]
    parts = urlsplit(url)
    default_port = port == (443 if parts.scheme == "https" else 80)
    pinned_url = urlunsplit(parts._replace(netloc=f"{_bracket(address)}:{port}"))
    return Pinned(
        url=pinned_url,
        address=address,
        host_header=_bracket(host) if default_port else f"{_bracket(host)}:{port}",
        sni_hostname=host if parts.scheme == "https" and not _literal(host) else None,
    )


async def check(url: str, *, allow_private: bool, max_length: int = 2048) -> None:
    """Registration: the same rules an attempt applies, without connecting."""
    await pin(url, allow_private=allow_private, max_length=max_length)
