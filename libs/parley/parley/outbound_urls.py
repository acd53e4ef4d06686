"""Which outside URLs a service may call: public HTTPS hosts only (no SSRF).

Every outbound URL Parley calls was given by someone outside: a push subscription's endpoint (the
browser's, notification), a webhook's or an external bot's URL (an admin's, integrations). Whoever
sets it chooses where the service's requests go. Left unchecked, ``https://169.254.169.254/...`` (cloud metadata),
``https://10.0.0.5:6379/`` or ``https://[::1]:15672/`` would make the service call the
infrastructure on the attacker's behalf. Two checks close it:

- When a subscription is stored, :meth:`EndpointRule.problem` refuses a URL that is not https,
  carries a user name or password, has a port other than 443, or names a host that cannot be a
  public push service: an IP literal that is not globally routable (loopback, private, link-local,
  CGNAT, multicast, unspecified...), ``localhost`` and other special-use names, a name without
  a dot.
- When a push is sent, the same check runs on every request (a middleware: a redirect's target
  too), and a host name is resolved by :class:`PublicAddressResolver`, which keeps only the
  public addresses. A public name that resolves to a private address (a changed DNS record, DNS
  rebinding) is therefore never called.

The resolver is the connector's, so the address checked is the address connected to: there is
no window between a check and a later resolution that an attacker's DNS (answering public, then
private) could use. TLS still verifies the certificate against the host name.

Browsers' push services (FCM, Mozilla autopush, Apple, WNS) are all public https on port 443, and
so must webhook receivers and bots be (the pods' egress allows 443 only). ``allowed_hosts`` (empty
by default) exempts named hosts from the address and port rules, for a local push service or
webhook receiver in tests and development.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import (
    ClientError,
    ClientHandlerType,
    ClientMiddlewareType,
    ClientRequest,
    ClientResponse,
    ClientSession,
    ClientTimeout,
    TCPConnector,
)
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The port push services listen on; another one on a public host is more likely a probe of some
# other service than a push endpoint.
PUSH_SERVICE_PORT = 443
# Special-use names (RFC 6761, 6762, 8375) and ICANN's reserved private TLD: never public hosts.
SPECIAL_USE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".invalid", ".test", ".example")


class EndpointRefused(ClientError):
    """An endpoint (or a redirect's target, or an address its name resolves to) is not a public
    HTTPS host; raised instead of making the request."""


def is_public_address(address: IpAddress) -> bool:
    """Whether an address is globally routable (and not multicast, which ``is_global`` lets through).

    An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it is.
    """
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def ip_literal(host: str) -> IpAddress | None:
    """The address a host names when it is an IP literal, in any spelling getaddrinfo accepts
    (``2130706433`` and ``127.1`` are 127.0.0.1 too); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class EndpointRule:
    """What an endpoint URL must look like; ``allowed_hosts`` are exempt from the public-address
    and port rules (lower case, IP literals or names)."""

    allowed_hosts: frozenset[str] = frozenset()
    allow_insecure: bool = False

    @classmethod
    def of(cls, allowed_hosts: Collection[str], allow_insecure: bool) -> EndpointRule:
        return cls(frozenset(host.lower().strip("[]") for host in allowed_hosts), allow_insecure)

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".").strip("[]") in self.allowed_hosts

    def problem(self, url: str) -> str | None:
        """Why the service must not call ``url``, or None when it may."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            return f"it is not a valid URL ({error})"
        schemes = ("https", "http") if self.allow_insecure else ("https",)
        if parts.scheme not in schemes:
            return "it is not an https URL"
        if parts.username is not None or parts.password is not None:
            return "it carries a user name or password"
        host = (parts.hostname or "").rstrip(".")
        if not host:
            return "it has no host"
        if self.allows_host(host):
            return None
        if port not in (None, PUSH_SERVICE_PORT):
            return f"port {port} is not the https port ({PUSH_SERVICE_PORT})"
        return host_problem(host)


def host_problem(host: str) -> str | None:
    """Why ``host`` (an IP literal or a name, lower case) cannot be a public host, or None."""
    address = ip_literal(host)
    if address is not None:
        return None if is_public_address(address) else f"{host} is not a public address"
    if host == "localhost" or host.endswith(SPECIAL_USE_SUFFIXES):
        return f"{host} is a local name"
    if "." not in host:
        return f"{host} is not a public host name"
    return None


class PublicAddressResolver(AbstractResolver):
    """Resolves with the event loop's getaddrinfo and keeps only public addresses; a name with none
    left raises EndpointRefused. Hosts the rule allows are resolved unfiltered."""

    def __init__(self, rule: EndpointRule) -> None:
        self._rule = rule
        self._resolver: ThreadedResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._resolver is None:  # created in the running loop, on first use
            self._resolver = ThreadedResolver()
        resolved = await self._resolver.resolve(host, port, family)
        if self._rule.allows_host(host):
            return resolved
        public = [entry for entry in resolved if is_public_address(ipaddress.ip_address(entry["host"]))]
        if not public:
            raise EndpointRefused(f"endpoint host {host} resolves to no public address")
        return public

    async def close(self) -> None:
        if self._resolver is not None:
            await self._resolver.close()


def checking_middleware(rule: EndpointRule) -> ClientMiddlewareType:
    """A client middleware that refuses every request (a redirect's too) to a URL the rule refuses."""

    async def middleware(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        problem = rule.problem(str(request.url))
        if problem is not None:
            raise EndpointRefused(f"endpoint refused: {problem}")
        return await handler(request)

    return middleware


def guarded_session(rule: EndpointRule, *, timeout: ClientTimeout | None = None) -> ClientSession:
    """An HTTP client that calls only what ``rule`` allows: every request (a redirect's too) is
    checked, and host names resolve to their public addresses only."""
    connector = TCPConnector(resolver=PublicAddressResolver(rule))
    if timeout is None:
        return ClientSession(connector=connector, middlewares=(checking_middleware(rule),))
    return ClientSession(connector=connector, middlewares=(checking_middleware(rule),), timeout=timeout)
