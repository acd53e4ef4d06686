"""Access tokens: the claims auth signs, and local verification against auth's JWKS.

Services verify tokens themselves (no call to auth per request): the public keys are fetched
from ``auth_jwks_url``, cached, and fetched again when a token names an unknown ``kid`` (that is
how a new key reaches every verifier) or when the cached set is older than auth's cache lifetime
(that is how a retired key stops being trusted). The session is checked against the revocation
list in Redis, so a logged-out token is refused everywhere, not only by auth.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from typing import Annotated, Any

import aiohttp
import jwt
from jwt import PyJWK
from pydantic import AfterValidator, ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from parley.contracts.base import ClientKind
from parley.contracts.commands import Caller
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Role
from parley.logs import get_logger
from parley.revocations import RevocationList

ISSUER = "parley-auth"
AUDIENCE = "parley"
ALGORITHM = "ES256"
# A token naming an unknown kid triggers a JWKS fetch at most this often, so a flood of forged
# tokens cannot turn every verifier into a load generator against auth.
JWKS_REFRESH_MIN_INTERVAL_SECONDS = 5.0
# A key set older than this is fetched again before the next verification, so a key auth has
# retired is dropped within a minute; the same lifetime as auth's ``Cache-Control: max-age``.
JWKS_MAX_AGE_SECONDS = 60.0
# Tokens whose signature was verified, kept until they expire: an ES256 check costs about half a
# millisecond of CPU, and a reconnect storm presents the same tokens again within seconds (every
# tab of a visitor shares one). Bounded, the oldest dropped first: 20,000 distinct live tokens is
# a gateway full of users; beyond that a token is only checked again.
VERIFIED_TOKENS_KEPT = 20_000

log = get_logger("parley.tokens")


# The same few values in every token: one string object for all of a gateway's connections.
Interned = Annotated[str, AfterValidator(sys.intern)]


@dataclass(slots=True, frozen=True, config=ConfigDict(extra="forbid"))
class Claims:
    """What a verified access token says about its bearer.

    A slotted dataclass rather than a model: a gateway holds one per connection, and a model's
    instance dict and set of given fields cost about a kilobyte more each.
    """

    sub: str
    role: Role
    sid: str
    iat: int
    exp: int
    iss: Interned
    aud: Interned
    jti: str
    name: str = ""
    kind: ClientKind = "web"  # a Literal's values are the module's constants: shared, like Interned
    # A visitor whose identity the site of this channel signed (docs/client.md): set only by a
    # login with a verified identity; empty for everyone else.
    verified_channel: str = ""


CLAIMS = TypeAdapter(Claims)


def caller_of(claims: Claims) -> Caller:
    """Who a command is on behalf of, from the bearer's verified claims (never from a frame)."""
    return Caller(user_id=claims.sub, role=claims.role, name=claims.name, verified_channel=claims.verified_channel)


class KeySet:
    """Public keys by kid, loaded from a JWKS document."""

    def __init__(self, jwks: dict[str, Any] | None = None) -> None:
        self.keys: dict[str, PyJWK] = {}
        if jwks:
            self.load(jwks)

    def load(self, jwks: dict[str, Any]) -> None:
        self.keys = {key["kid"]: PyJWK.from_dict(key) for key in jwks.get("keys", [])}

    def verify(self, token: str) -> Claims:
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
        except jwt.PyJWTError as error:
            raise ParleyError(ErrorCode.TOKEN_INVALID, f"malformed token: {error}") from None
        key = self.keys.get(kid)
        if key is None:
            raise UnknownKeyId(kid)
        try:
            payload = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise ParleyError(ErrorCode.TOKEN_INVALID, "token expired") from None
        except jwt.PyJWTError as error:
            raise ParleyError(ErrorCode.TOKEN_INVALID, f"invalid token: {error}") from None
        try:
            return CLAIMS.validate_python(payload)
        except ValidationError as error:
            raise ParleyError(
                ErrorCode.TOKEN_INVALID, f"invalid token claims: {error.error_count()} problems"
            ) from None


class UnknownKeyId(ParleyError):
    def __init__(self, kid: str) -> None:
        super().__init__(ErrorCode.TOKEN_INVALID, f"token signed with unknown key {kid!r}")


class JwksVerifier:
    """Verifies access tokens: the signature against auth's JWKS (fetched lazily, refreshed on an
    unknown kid and when older than ``JWKS_MAX_AGE_SECONDS``), the session against the revocation
    list. Every service's HTTP API verifies through :meth:`verify`, so none can skip the revocation
    check."""

    def __init__(
        self,
        jwks_url: str,
        revocations: RevocationList,
        *,
        max_age_seconds: float = JWKS_MAX_AGE_SECONDS,
        min_refresh_interval_seconds: float = JWKS_REFRESH_MIN_INTERVAL_SECONDS,
    ) -> None:
        self.jwks_url = jwks_url
        self.revocations = revocations
        self._max_age = max_age_seconds
        self._min_refresh_interval = min_refresh_interval_seconds
        self._keys = KeySet()
        self._fetched_at = float("-inf")
        self._loaded_at: float | None = None  # never loaded
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        # sha256 of a token -> its claims; emptied when the key set changes (a retired key's tokens
        # must be refused at once). Revocation is never cached: verify() reads it every time.
        self._verified: dict[bytes, Claims] = {}
        self._jwks: Any = None  # the key set as last fetched

    async def verify(self, token: str) -> Claims:
        """The token's claims; ParleyError(TOKEN_INVALID) for a bad signature, an expired token or
        a revoked session, ParleyError(UNAVAILABLE) when the keys or the revocation list cannot be read."""
        claims = await self.verify_signature(token)
        await self.revocations.check(claims.sid)
        return claims

    async def verify_signature(self, token: str) -> Claims:
        """The signature and claims only. For a caller that checks the revocation list itself, at a
        moment of its choosing (the gateway registers a connection first, so that a revocation
        published meanwhile finds it)."""
        if self._loaded_at is None or time.monotonic() - self._loaded_at > self._max_age:
            await self._refresh(keep_stale_keys=True)
        digest = hashlib.sha256(token.encode()).digest()
        claims = self._verified.get(digest)
        if claims is not None:
            if claims.exp > time.time():
                return claims
            del self._verified[digest]
            raise ParleyError(ErrorCode.TOKEN_INVALID, "token expired")
        try:
            claims = self._keys.verify(token)
        except UnknownKeyId:
            await self._refresh(keep_stale_keys=False)
            claims = self._keys.verify(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest entry (dicts keep insertion order)
        self._verified[digest] = claims
        return claims

    async def _refresh(self, *, keep_stale_keys: bool) -> None:
        """Fetch the key set. ``keep_stale_keys``: a failure keeps verifying with the keys in hand
        (auth away for a minute must not log everybody out); otherwise it is UNAVAILABLE."""
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._min_refresh_interval:
                return
            self._fetched_at = time.monotonic()
            if self._session is None:
                self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3))
            try:
                async with self._session.get(self.jwks_url) as response:
                    response.raise_for_status()
                    jwks = await response.json()
                    self._keys.load(jwks)
                    if jwks != self._jwks:  # a key retired (or added): no verdict of the old set stands
                        self._verified.clear()
                        self._jwks = jwks
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as error:
                log.warning("tokens.jwks_fetch_failed", url=self.jwks_url, error=str(error), kept_keys=keep_stale_keys)
                if keep_stale_keys and self._keys.keys:
                    return
                raise ParleyError(ErrorCode.UNAVAILABLE, "cannot reach the key service") from None
            self._loaded_at = time.monotonic()
            log.info("tokens.jwks_refreshed", kids=sorted(self._keys.keys))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
