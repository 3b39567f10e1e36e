"""Where a webhook may be sent: https to a public address, checked at save and at send.

`resolve_target` parses the URL, resolves the host and refuses it when any of its addresses
is loopback, private, link-local (cloud metadata 169.254.169.254 included), multicast,
reserved, unspecified or otherwise not global. The sender then connects to the checked
address itself (see `Target.connect_url`), so a DNS answer that changes between check and
connect (DNS rebinding) cannot send the request somewhere else. Loopback receivers (and
plain http to them) are allowed only when the caller says so: the tests' and the bench's
receivers, through MIOMENTE_WEBHOOK_ALLOW_LOOPBACK, never on by default.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.validation import InvalidInput

ALLOW_LOOPBACK_ENV = "MIOMENTE_WEBHOOK_ALLOW_LOOPBACK"
MAX_URL = 2000

BAD_URL = "webhooks.url_invalid"
NOT_HTTPS = "webhooks.url_not_https"
NOT_PUBLIC = "webhooks.url_not_public"
UNRESOLVED = "webhooks.url_unresolved"

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allow_loopback(env: Mapping[str, str] | None = None) -> bool:
    """True only when MIOMENTE_WEBHOOK_ALLOW_LOOPBACK is set to 1/true (tests, bench)."""
    value = (env if env is not None else os.environ).get(ALLOW_LOOPBACK_ENV, "")
    return value.strip().lower() in ("1", "true", "yes")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(ip: IPAddress) -> bool:
    """A global unicast address: not loopback, private, link-local, multicast, reserved…"""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    ip: str  # the checked address the sender connects to

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name (Host header: host)."""
        parts = urlsplit(self.url)
        netloc = f"[{self.ip}]" if ":" in self.ip else self.ip
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{netloc}:{self.port}{path}{query}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_address(text: str, *, loopback_ok: bool) -> IPAddress:
    """The address, or InvalidInput when it is not one a webhook may reach."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if is_public(ip):
        return ip
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if loopback_ok and (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
        return ip
    raise InvalidInput(NOT_PUBLIC, address=str(ip))


def parse_url(url: str, *, loopback_ok: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of a well-formed webhook URL; InvalidInput otherwise."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InvalidInput(BAD_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(BAD_URL) from error
    host = parts.hostname or ""
    if not host or parts.username or parts.password or parts.fragment:
        raise InvalidInput(BAD_URL)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and loopback_ok):
        raise InvalidInput(NOT_HTTPS)
    return scheme, host.lower(), port or (443 if scheme == "https" else 80)


def resolve_target(
    url: str, *, loopback_ok: bool = False, resolver: Resolver = system_resolver
) -> Target:
    """Check a webhook URL and pick the address to connect to; InvalidInput if refused.

    Every resolved address must pass (a name with one private among public answers is
    refused: the connection could land on either)."""
    scheme, host, port = parse_url(url, loopback_ok=loopback_ok)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise InvalidInput(UNRESOLVED, host=host) from error
    if not addresses:
        raise InvalidInput(UNRESOLVED, host=host)
    checked = [check_address(a, loopback_ok=loopback_ok) for a in addresses]
    # Plain http only to the allowed loopback receivers (what passed and is not public).
    if scheme == "http" and any(is_public(ip) for ip in checked):
        raise InvalidInput(NOT_HTTPS)
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, ip=str(checked[0]))
