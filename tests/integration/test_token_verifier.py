"""The verifier every service uses: auth's key set served over real HTTP, the revocation list in
the real Redis. A retired key stops being trusted; a revoked session is refused."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
import redis.asyncio as redis
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from parley.contracts.errors import ErrorCode, ParleyError
from parley.revocations import RevocationList
from parley.tokens import ALGORITHM, AUDIENCE, ISSUER, JwksVerifier
from parley_fleet import free_port
from tests.conftest import REDIS_URL, Infra

pytestmark = pytest.mark.integration

# The verifier under test refreshes a key set older than this; short, so the test need not wait a minute.
MAX_AGE_SECONDS = 0.2


class KeyService:
    """A stand-in for auth's JWKS endpoint whose published keys the test changes."""

    def __init__(self) -> None:
        self.private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.published: list[str] = []
        self.fetches = 0

    def add_key(self, kid: str) -> None:
        self.private[kid] = ec.generate_private_key(ec.SECP256R1())
        self.published.append(kid)

    def token(self, kid: str, session: str = "s1") -> str:
        now = int(time.time())
        claims = {"sub": "u1", "role": "admin", "sid": session, "iat": now, "exp": now + 60, "iss": ISSUER, "aud": AUDIENCE, "jti": "j"}
        return jwt.encode(claims, self.private[kid], algorithm=ALGORITHM, headers={"kid": kid})

    async def jwks(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        keys: list[dict[str, Any]] = [
            {**json.loads(ECAlgorithm.to_jwk(self.private[kid].public_key())), "kid": kid, "alg": ALGORITHM}
            for kid in self.published
        ]
        return web.json_response({"keys": keys})


@pytest.fixture
async def keys() -> AsyncIterator[tuple[KeyService, str]]:
    service = KeyService()
    app = web.Application()
    app.router.add_get("/auth/jwks.json", service.jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield service, f"http://127.0.0.1:{port}/auth/jwks.json"
    await runner.cleanup()


@pytest.fixture
async def revocations(infra: Infra) -> AsyncIterator[RevocationList]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield RevocationList(client, f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:")
    await client.aclose()


async def test_a_key_auth_retired_is_no_longer_trusted(keys: tuple[KeyService, str], revocations: RevocationList) -> None:
    service, url = keys
    service.add_key("old")
    verifier = JwksVerifier(url, revocations, max_age_seconds=MAX_AGE_SECONDS, min_refresh_interval_seconds=0)
    try:
        assert (await verifier.verify(service.token("old"))).sub == "u1"
        service.add_key("new")
        service.published.remove("old")  # auth retired it: every token it signed has expired
        await asyncio.sleep(MAX_AGE_SECONDS * 2)
        with pytest.raises(ParleyError) as refused:
            await verifier.verify(service.token("old"))
        assert refused.value.code == ErrorCode.TOKEN_INVALID
        assert (await verifier.verify(service.token("new"))).sub == "u1"
    finally:
        await verifier.close()


async def test_a_fresh_key_set_is_not_fetched_again(keys: tuple[KeyService, str], revocations: RevocationList) -> None:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)  # the default lifetime: a minute
    try:
        for _ in range(5):
            await verifier.verify(service.token("k1"))
        assert service.fetches == 1
    finally:
        await verifier.close()


async def test_a_revoked_session_is_refused(keys: tuple[KeyService, str], revocations: RevocationList) -> None:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)
    try:
        await verifier.verify(service.token("k1", session="s-live"))
        await revocations.revoke("s-live", 60, "logout")
        with pytest.raises(ParleyError) as refused:
            await verifier.verify(service.token("k1", session="s-live"))
        assert refused.value.code == ErrorCode.TOKEN_INVALID
        assert "revoked" in refused.value.message
        # The signature alone is still good: the gateway checks revocation as a step of its own.
        assert (await verifier.verify_signature(service.token("k1", session="s-live"))).sid == "s-live"
    finally:
        await verifier.close()
