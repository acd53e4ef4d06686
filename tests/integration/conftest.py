"""The integration tier's shared fixtures: a local JWKS key service and a revocation list
(tests/integration/key_service.py), for the token verifier and the HTTP API layer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from tests.conftest import REDIS_URL, Infra

# Explicit re-exports (the redundant alias) make them fixtures of every module of the tier.
from tests.integration.key_service import keys as keys
from tests.integration.key_service import revocations as revocations


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[redis.Redis]:
    """A client of the real Redis (text replies)."""
    connection = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield connection
    await connection.aclose()


@pytest.fixture
def prefix(infra: Infra) -> str:
    """A key prefix of this test's own under the run's prefix."""
    return f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:"
