"""The Redis token buckets (parley.ratelimit), the gateway's frame limits on them, and the
revocation list, against the real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as redis

from parley.contracts.errors import ErrorCode, ParleyError
from parley.ratelimit import Bucket, RateLimiter
from parley.revocations import RevocationList
from parley.tokens import Claims
from parley_gateway.connections import Connection
from parley_gateway.limits import FrameLimits, FrameRefused
from parley_gateway.settings import GatewaySettings
from tests.conftest import REDIS_URL


async def test_a_burst_passes_then_the_next_is_refused_with_the_wait(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix)
    bucket = Bucket("burst", capacity=3, per_second=0.5)
    verdicts = [await limiter.take(bucket) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[3].blocked_by is bucket
    assert 1.5 < verdicts[3].retry_after_seconds <= 2.0  # one token back at 0.5/s


async def test_tokens_come_back_at_the_rate(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix)
    bucket = Bucket("refill", capacity=1, per_second=10)
    assert (await limiter.take(bucket)).allowed
    assert not (await limiter.take(bucket)).allowed
    await asyncio.sleep(0.15)
    assert (await limiter.take(bucket)).allowed


async def test_several_buckets_are_all_or_nothing(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix)
    wide = Bucket("wide", capacity=10, per_second=0.01, group="pair")
    narrow = Bucket("narrow", capacity=1, per_second=0.01, group="pair")
    assert (await limiter.take(wide, narrow)).allowed
    refused = await limiter.take(wide, narrow)
    assert not refused.allowed and refused.blocked_by is narrow
    # The refusal spent nothing from the wide bucket: nine tokens are left in it.
    for _ in range(9):
        assert (await limiter.take(wide)).allowed
    assert not (await limiter.take(wide)).allowed


async def test_concurrent_takers_cannot_race_past_the_limit(client: redis.Redis, prefix: str) -> None:
    """Two replicas (two clients) hammering the same bucket at once get exactly its capacity."""
    other = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        limiters = [RateLimiter(client, prefix), RateLimiter(other, prefix)]
        bucket = Bucket("shared", capacity=20, per_second=0.001)
        verdicts = await asyncio.gather(*(limiters[i % 2].take(bucket) for i in range(100)))
    finally:
        await other.aclose()
    assert sum(v.allowed for v in verdicts) == 20


async def test_an_idle_bucket_expires(client: redis.Redis, prefix: str) -> None:
    limiter = RateLimiter(client, prefix)
    await limiter.take(Bucket("idle", capacity=2, per_second=100))
    ttl_ms = await client.pttl(f"{prefix}ratelimit:{{idle}}:idle")
    assert 0 < ttl_ms <= 1100  # full again within 10 ms, plus the one-second grace


async def test_without_redis_the_limiter_says_unavailable() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        with pytest.raises(ParleyError) as refused:
            await RateLimiter(dead, "x:").take(Bucket("any", capacity=1, per_second=1))
    finally:
        await dead.aclose()
    assert refused.value.code == ErrorCode.UNAVAILABLE


async def test_a_revoked_session_is_refused_until_its_entry_expires(client: redis.Redis, prefix: str) -> None:
    revocations = RevocationList(client, prefix)
    await revocations.check("live-session")  # not revoked: no error
    await revocations.revoke("gone-session", ttl_seconds=1, reason="logged out")
    with pytest.raises(ParleyError) as refused:
        await revocations.check("gone-session")
    assert refused.value.code == ErrorCode.TOKEN_INVALID and "logged out" in refused.value.message
    await asyncio.sleep(1.2)
    await revocations.check("gone-session")


async def test_a_ping_after_a_quiet_second_is_not_counted_but_hurried_pings_are(
    client: redis.Redis, prefix: str
) -> None:
    settings = GatewaySettings(gateway_frame_burst=1, gateway_frames_per_second=0.01, redis_key_prefix=prefix)
    limits = FrameLimits(settings, RateLimiter(client, prefix))
    now = int(time.time())
    claims = Claims(
        sub=f"v_{uuid.uuid4().hex[:6]}", role="visitor", sid="s", iat=now, exp=now + 600, iss="i", aud="a", jti="j"
    )
    connection = Connection(ws=None, claims=claims, client_kind="web")  # type: ignore[arg-type]  # no socket is used
    ping = '{"type": "ping", "data": {}}'
    assert (await limits.read(connection, ping, quiet_seconds=0.0)).type == "ping"  # counted: the one token
    for _ in range(3):  # heartbeats a quiet second or more apart: not counted, never refused
        assert (await limits.read(connection, ping, quiet_seconds=25.0)).type == "ping"
    with pytest.raises(FrameRefused) as refused:  # a hurried ping is counted like any frame
        await limits.read(connection, ping, quiet_seconds=0.1)
    assert refused.value.code == ErrorCode.RATE_LIMITED
    with pytest.raises(FrameRefused):  # and so is any other frame after a quiet time
        await limits.read(connection, '{"type": "history", "data": {"conversation_id": "c_1"}}', quiet_seconds=25.0)


async def test_after_redis_lost_its_data_every_bucket_starts_full_again(client: redis.Redis, prefix: str) -> None:
    """Lenient for a moment, never stricter: a lost bucket is a full one, not a refusal."""
    limiter = RateLimiter(client, prefix)
    bucket = Bucket("lost", capacity=2, per_second=0.001)
    assert [(await limiter.take(bucket)).allowed for _ in range(3)] == [True, True, False]
    await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}*")])
    assert [(await limiter.take(bucket)).allowed for _ in range(3)] == [True, True, False]
