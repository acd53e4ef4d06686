"""The gateway's connection cap on the real Redis (one server): connects that arrive together share
round trips (a pipeline of the admission script) and each keeps its own verdict; a Redis that
lost its scripts still admits."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as redis

from parley.contracts.errors import ErrorCode, ParleyError
from parley.revocations import RevocationList
from parley_gateway.admission import ConnectionCaps

LIMIT = 5


async def _verdict(caps: ConnectionCaps, user: str, connection: str, revocation_key: str) -> str:
    try:
        await caps.admit(user, connection, revocation_key)
    except ParleyError as error:
        return {ErrorCode.RATE_LIMITED: "full", ErrorCode.TOKEN_INVALID: "revoked"}.get(error.code, str(error.code))
    return "admitted"


async def test_connects_arriving_together_each_get_their_own_verdict(client: redis.Redis, prefix: str) -> None:
    revocations = RevocationList(client, prefix)
    caps = ConnectionCaps(client, prefix, limit=LIMIT, ttl_seconds=30)
    await revocations.revoke("s-out", 60, "logged out")
    live, out = revocations.key("s-live"), revocations.key("s-out")
    crowd = [("u-many", f"c{n}", live) for n in range(3 * LIMIT)]
    crowd += [("u-revoked", f"r{n}", out) for n in range(3)]
    crowd += [(f"u-{n}", f"s{n}", live) for n in range(20)]
    verdicts = await asyncio.gather(*(_verdict(caps, *connect) for connect in crowd))
    by_user: dict[str, list[str]] = {}
    for (user, _, _), verdict in zip(crowd, verdicts, strict=True):
        by_user.setdefault(user, []).append(verdict)
    assert sorted(by_user.pop("u-many")) == ["admitted"] * LIMIT + ["full"] * (2 * LIMIT)
    assert by_user.pop("u-revoked") == ["revoked"] * 3
    assert {verdict for verdicts in by_user.values() for verdict in verdicts} == {"admitted"}
    assert await client.zcard(f"{prefix}gw:conns:u-many") == LIMIT


async def test_a_redis_that_lost_its_scripts_still_admits(client: redis.Redis, prefix: str) -> None:
    caps = ConnectionCaps(client, prefix, limit=LIMIT, ttl_seconds=30)
    key = RevocationList(client, prefix).key("s-live")
    await caps.admit("u-1", "c1", key)
    await client.script_flush()  # as after a restart without persistence
    user = f"u-{uuid.uuid4().hex[:6]}"
    verdicts = await asyncio.gather(*(_verdict(caps, user, f"c{n}", key) for n in range(LIMIT + 1)))
    assert sorted(verdicts) == ["admitted"] * LIMIT + ["full"]


async def test_closes_arriving_together_each_give_their_place_back(client: redis.Redis, prefix: str) -> None:
    caps = ConnectionCaps(client, prefix, limit=LIMIT, ttl_seconds=30)
    key = RevocationList(client, prefix).key("s-live")
    held = [(f"u-{n % 7}", f"c{n}") for n in range(7 * 2)]
    await asyncio.gather(*(caps.admit(user, connection, key) for user, connection in held))
    await asyncio.gather(*(caps.release(user, connection) for user, connection in held[:-1]))
    remaining = {user: await client.zcard(f"{prefix}gw:conns:{user}") for user in {user for user, _ in held}}
    last_user = held[-1][0]
    assert remaining == {user: (1 if user == last_user else 0) for user in remaining}
    # Each user's places are free again: the cap counts only what is still open.
    verdicts = await asyncio.gather(*(_verdict(caps, "u-0", f"again{n}", key) for n in range(LIMIT + 1)))
    assert sorted(verdicts) == ["admitted"] * LIMIT + ["full"]
