"""Login attempts, limited per account from one client address and per client address (token
buckets in Redis).

The account's limit is kept per address, not for the account as a whole: a limit of the account
alone let anyone lock a staff member out by sending wrong passwords for their username. Now the
guesser only slows themselves down (429 with Retry-After, the bucket refilling a few attempts a
minute), while the owner logging in from their own address still gets in. A guesser with many
addresses gets each address's budget; what holds them is that each guess costs an argon2 hash
and that staff passwords are at least 8 characters, not a lock that would also hold the owner.

Every attempt counts, successful or not: a limit on failures alone would let a guesser who
also knows one valid password reset it. Both buckets are taken in one atomic step, so a
refusal by one does not spend the other. When Redis does not answer, logins fail closed
(503): a password endpoint without its brute-force limit is worse than a short outage.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math

from aiohttp import web

from parley.contracts.errors import ErrorCode, ParleyError
from parley.ratelimit import Bucket, RateLimiter
from parley_auth.settings import AuthSettings

# One IPv6 client holds a whole /64 (SLAAC, privacy addresses): counted per address, a guesser
# would move to a fresh one for every attempt. Its /64 is its address for the limits.
IPV6_CLIENT_PREFIX = 64
# What a proxy may say an address is, kept to this length in the bucket's key (a bound on Redis keys).
MAX_ADDRESS_LENGTH = 64


class LoginRefused(ParleyError):
    """Too many attempts; ``retry_after`` whole seconds until the next one can pass."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, message)
        self.retry_after = retry_after


class LoginLimits:
    def __init__(self, limiter: RateLimiter, settings: AuthSettings) -> None:
        self._limiter = limiter
        self._settings = settings

    def client_address(self, request: web.Request) -> str:
        """The caller's address: the socket peer, or what the trusted proxies say it was."""
        hops = self._settings.auth_trusted_proxy_hops
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if hops and len(forwarded) >= hops:
            return limited_address(forwarded[-hops])
        return limited_address(request.remote or "unknown")

    def buckets(self, account: str, address: str) -> tuple[Bucket, Bucket]:
        """The account-from-this-address bucket and the address's, one group (the pair is the address's)."""
        settings = self._settings
        group = f"login:address:{address}"
        by_pair = Bucket(
            f"login:pair:{_digest(account, address)}",
            settings.auth_login_account_burst,
            settings.auth_login_account_per_minute / 60,
            group=group,
        )
        by_address = Bucket(
            group, settings.auth_login_address_burst, settings.auth_login_address_per_minute / 60, group=group
        )
        return by_pair, by_address

    async def attempt(self, request: web.Request, account: str) -> None:
        """Count one login attempt for ``account`` from this request; raise LoginRefused when over."""
        settings = self._settings
        by_pair, by_address = self.buckets(account, self.client_address(request))
        verdict = await self._limiter.take(by_pair, by_address)
        if not verdict.allowed:
            retry_after = max(1, math.ceil(verdict.retry_after_seconds))
            if verdict.blocked_by is by_pair:
                what, limit = "for this account from this address", settings.auth_login_account_burst
            else:
                what, limit = "from this address", settings.auth_login_address_burst
            raise LoginRefused(
                f"too many login attempts {what} (at most {limit} in a row); retry in {retry_after} s", retry_after
            )


def limited_address(address: str) -> str:
    """The client address the limits count: an IPv6 address's /64, an IPv4 one (also written as
    IPv6) as it is; anything else (a proxy's odd entry) cut to a bounded length."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:MAX_ADDRESS_LENGTH]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def _digest(account: str, address: str) -> str:
    """The bucket's name for an account and an address: hashed, so neither usernames nor device
    ids sit in Redis in the clear (surrogatepass: a lone surrogate in a name must not crash it)."""
    return hashlib.sha256(f"{account}\n{address}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
