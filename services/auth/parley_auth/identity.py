"""Verified visitor identity: a site vouches for its logged-in customer (identity verification).

The site's server signs a short-lived JWT (HS256) with a secret of its channel, naming the
secret in the header's ``kid``; the widget passes it to ``POST /auth/login`` beside the device
id. Auth owns the secrets (it is the one that verifies them, at login): an admin creates them
per channel, sees each secret once, and revokes the old one after a rotation (two live at once
at most). A token is refused, each with its own code, when its signature is not one of a live
secret's (forged), its secret belongs to another channel, it expired, its ``jti`` was already
used (replayed: the ids are kept in Redis until the token's expiry), or it is malformed (not a
JWT, another algorithm, a claim missing or out of bounds, a lifetime over ten minutes).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import jwt
import redis.asyncio as redis
from pydantic import Field, StringConstraints, ValidationError, field_validator
from redis.exceptions import RedisError

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase

IDENTITY_ALGORITHM = "HS256"
# The longest lifetime (exp - iat) a site may give an identity token: it is minted for one page
# load and used at once; a longer one is a token worth stealing. Intercom's and Crisp's are minutes.
MAX_IDENTITY_LIFETIME_SECONDS = 600
# Clock difference tolerated between the site's server and auth.
CLOCK_LEEWAY_SECONDS = 30
# Secrets of one channel live at once: the current one and, during a rotation, the next.
MAX_LIVE_SECRETS_PER_CHANNEL = 2
# How much of a secret the listing shows, so an admin can tell which one a site holds.
SECRET_PREFIX_LENGTH = 6
# Custom attributes a site may attach: a handful of short, flat values (plan, customer since...).
MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_VALUE_LENGTH = 256
# A key is shown in the console and stored as a document field: no "$" or "." (operators of the store).
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
CHANNEL_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
AttributeValue = Annotated[str, StringConstraints(max_length=MAX_ATTRIBUTE_VALUE_LENGTH)] | int | float | bool


class IdentityClaims(Model):
    """What a site says about its customer (the identity token's payload)."""

    sub: ExternalId = Field(description="The customer's id on the site: one visitor account per channel and id.")
    name: Annotated[str, StringConstraints(max_length=100)] = ""
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    iat: int
    exp: int
    jti: Annotated[str, StringConstraints(min_length=1, max_length=128)]

    @field_validator("attributes")
    @classmethod
    def plain_keys(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        for key in attributes:
            if not _ATTRIBUTE_KEY.fullmatch(key):
                raise ValueError(f"attribute name {key[:64]!r}: letters, digits, _ and - only (64 at most)")
        return attributes


def _refused(code: ErrorCode, message: str) -> ParleyError:
    return ParleyError(code, f"identity refused: {message}")


class IdentitySecrets:
    """The ``identity_secrets`` collection: per-channel HMAC secrets, kept as given (an HMAC can
    only be checked with the secret itself), readable only by auth."""

    def __init__(self, db: MongoDatabase) -> None:
        self._secrets = db["identity_secrets"]

    async def create_indexes(self) -> None:
        await self._secrets.create_index([("channel_id", 1)], name="channel")

    async def create(self, channel_id: str) -> dict[str, Any]:
        """A new live secret of the channel (refused beyond two live ones: revoke the old first)."""
        live = await self.live(channel_id)
        if len(live) >= MAX_LIVE_SECRETS_PER_CHANNEL:
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT,
                f"channel {channel_id!r} has {len(live)} live identity secrets already; revoke the old one first",
            )
        doc = {
            "_id": f"is_{secrets.token_hex(8)}",
            "channel_id": channel_id,
            "secret": secrets.token_urlsafe(32),
            "created_at": datetime.now(UTC),
            "revoked_at": None,
        }
        await self._secrets.insert_one(doc)
        return doc

    async def live(self, channel_id: str) -> list[dict[str, Any]]:
        cursor = self._secrets.find({"channel_id": channel_id, "revoked_at": None}).sort("created_at", 1)
        return [doc async for doc in cursor]

    async def revoke(self, channel_id: str, secret_id: str) -> dict[str, Any]:
        doc = await self._secrets.find_one({"_id": secret_id, "channel_id": channel_id, "revoked_at": None})
        if doc is None:
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, f"no live identity secret {secret_id!r} of channel {channel_id!r}"
            )
        await self._secrets.update_one({"_id": secret_id}, {"$set": {"revoked_at": datetime.now(UTC)}})
        return doc

    async def get(self, secret_id: str) -> dict[str, Any] | None:
        return await self._secrets.find_one({"_id": secret_id, "revoked_at": None})


class IdentityVerifier:
    """Checks an identity token for a channel; records its ``jti`` so it works once."""

    def __init__(self, secrets_store: IdentitySecrets, client: redis.Redis, prefix: str) -> None:
        self._secrets = secrets_store
        self._redis = client
        self._prefix = f"{prefix}auth:identity-jti:"

    async def verify(self, token: str, channel_id: str) -> IdentityClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused(ErrorCode.IDENTITY_MALFORMED, "not a JWT") from None
        kid = header.get("kid")
        if header.get("alg") != IDENTITY_ALGORITHM or not isinstance(kid, str) or not kid:
            raise _refused(ErrorCode.IDENTITY_MALFORMED, f"sign with {IDENTITY_ALGORITHM} and name the secret in kid")
        secret = await self._secrets.get(kid[:64])
        if secret is None:
            raise _refused(ErrorCode.IDENTITY_FORGED, "signed with an unknown or revoked secret")
        if secret["channel_id"] != channel_id:
            raise _refused(ErrorCode.IDENTITY_OTHER_CHANNEL, "signed with a secret of another channel")
        claims = self._decoded(token, secret["secret"])
        await self._spend(channel_id, claims)
        return claims

    @staticmethod
    def _decoded(token: str, secret: str) -> IdentityClaims:
        try:
            payload = jwt.decode(
                token,
                secret,
                algorithms=[IDENTITY_ALGORITHM],
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["sub", "iat", "exp", "jti"], "verify_aud": False, "verify_iss": False},
            )
        except jwt.InvalidSignatureError:
            raise _refused(ErrorCode.IDENTITY_FORGED, "the signature does not match the channel's secret") from None
        except jwt.ExpiredSignatureError:
            raise _refused(ErrorCode.IDENTITY_EXPIRED, "the token expired; sign a new one per page load") from None
        except jwt.PyJWTError as error:
            raise _refused(ErrorCode.IDENTITY_MALFORMED, str(error)[:200]) from None
        try:
            claims = IdentityClaims.model_validate(payload)
        except ValidationError as error:
            fields = ", ".join(sorted({str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}))
            raise _refused(ErrorCode.IDENTITY_MALFORMED, f"bad claims: {fields or 'payload'}") from None
        if claims.exp - claims.iat > MAX_IDENTITY_LIFETIME_SECONDS:
            raise _refused(ErrorCode.IDENTITY_MALFORMED, f"lifetime over {MAX_IDENTITY_LIFETIME_SECONDS} s (exp - iat)")
        return claims

    async def _spend(self, channel_id: str, claims: IdentityClaims) -> None:
        """Record the jti until the token expires; a second use is a replay."""
        digest = hashlib.sha256(f"{channel_id}\n{claims.jti}".encode()).hexdigest()[:32]
        ttl = max(1, claims.exp + CLOCK_LEEWAY_SECONDS - int(time.time()))
        try:
            first = await self._redis.set(self._prefix + digest, "1", nx=True, ex=ttl)
        except RedisError as error:  # a replay that cannot be ruled out is not let through
            raise ParleyError(ErrorCode.UNAVAILABLE, "cannot check the identity token's use") from error
        if not first:
            raise _refused(ErrorCode.IDENTITY_REPLAYED, "this token (its jti) was already used")
