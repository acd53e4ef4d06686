"""Login attempts, limited per account and per client address (token buckets in Redis).

Every attempt counts, successful or not: a limit on failures alone would let a guesser who
also knows one valid password reset it. Both buckets are taken in one atomic step, so a
refusal by one does not spend the other. When Redis does not answer, logins fail closed
(503): a password endpoint without its brute-force limit is worse than a short outage.
"""

from __future__ import annotations

import hashlib
import math

from aiohttp import web

from parley.contracts.errors import ErrorCode, ParleyError
from parley.ratelimit import Bucket, RateLimiter
from parley_auth.settings import AuthSettings


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
            return forwarded[-hops]
        return request.remote or "unknown"

    async def attempt(self, request: web.Request, account: str) -> None:
        """Count one login attempt for ``account`` from this request; raise LoginRefused when over."""
        settings = self._settings
        # Hashed so neither usernames nor device ids sit in Redis in the clear.
        account_key = hashlib.sha256(account.encode()).hexdigest()[:32]
        by_account = Bucket(f"login:account:{account_key}", settings.auth_login_account_burst, settings.auth_login_account_per_minute / 60)
        by_address = Bucket(
            f"login:address:{self.client_address(request)}",
            settings.auth_login_address_burst,
            settings.auth_login_address_per_minute / 60,
        )
        verdict = await self._limiter.take(by_account, by_address)
        if not verdict.allowed:
            retry_after = max(1, math.ceil(verdict.retry_after_seconds))
            per = "account" if verdict.blocked_by is by_account else "address"
            limit = settings.auth_login_account_burst if per == "account" else settings.auth_login_address_burst
            raise LoginRefused(
                f"too many login attempts for this {per} (at most {limit} in a row); retry in {retry_after} s", retry_after
            )
