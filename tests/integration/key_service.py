"""A stand-in for auth's JWKS endpoint, served over real HTTP, whose keys a test changes and
with which it signs tokens: for tests of the verifier and of the HTTP layer without a fleet."""

from __future__ import annotations

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

from parley.revocations import RevocationList
from parley.tokens import ALGORITHM, AUDIENCE, ISSUER
from parley_fleet import free_port
from tests.conftest import REDIS_URL, Infra


class KeyService:
    """A stand-in for auth's JWKS endpoint whose published keys the test changes."""

    def __init__(self) -> None:
        self.private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.published: list[str] = []
        self.fetches = 0

    def add_key(self, kid: str) -> None:
        self.private[kid] = ec.generate_private_key(ec.SECP256R1())
        self.published.append(kid)

    def token(self, kid: str, session: str = "s1", role: str = "admin", sub: str = "u1", ttl_seconds: int = 60) -> str:
        now = int(time.time())
        claims = {
            "sub": sub,
            "role": role,
            "sid": session,
            "iat": now,
            "exp": now + ttl_seconds,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": "j",
        }
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
    """A key service on a free port, and its JWKS URL."""
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
    """A revocation list in the real Redis, under a key prefix of its own."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield RevocationList(client, f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:")
    await client.aclose()
