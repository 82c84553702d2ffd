"""Webhook URL rules: http(s) only, no credentials, no private, loopback or link-local targets.

Checked when an endpoint is registered and again before every attempt (a name may start resolving
to an internal address later). ``allow_private`` lifts the address rule (tests, on-premise partners).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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


async def check(url: str, *, allow_private: bool, max_length: int = 2048) -> None:
    host, port = check_form(url, max_length)
    if allow_private:
        return
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise UnsafeUrl("must not point at a private, loopback or link-local address")
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UnsafeUrl("names a host that does not resolve") from exc
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(_is_public(a) for a in addresses):
        raise UnsafeUrl("must not point at a private, loopback or link-local address")
