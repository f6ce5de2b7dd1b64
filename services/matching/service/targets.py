"""Webhook targets: refuse URLs that would turn the platform on its own network (SSRF).

A URL must be `http` or `https` with a host and no credentials; unless private targets are
allowed (`MATCHING_ALLOW_PRIVATE_WEBHOOKS`, for tests and the local demo), every address the
host resolves to must be public: not private, loopback, link-local (cloud metadata lives at
169.254.169.254), multicast, reserved or unspecified, also when IPv4 is mapped into IPv6. The
check runs when a subscription is saved and again before each delivery, so a name re-pointed
at an internal address later (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_target(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be http:// or https://")
    if not parts.hostname:
        raise TargetRefused("the URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry credentials")
    if allow_private:
        return
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"the host {parts.hostname} does not resolve") from exc
    if not addresses:
        raise TargetRefused(f"the host {parts.hostname} does not resolve")
    refused = sorted({address for address in addresses if _forbidden(address)})
    if refused:
        raise TargetRefused(
            f"the host {parts.hostname} resolves to a private, loopback or link-local address "
            f"({', '.join(refused)}); webhooks go to public addresses only"
        )
