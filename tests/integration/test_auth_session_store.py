"""auth's sessions collection against the real MongoDB-wire server: ended sessions are deleted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import redis.asyncio as redis
from pymongo import AsyncMongoClient

from parley.revocations import RevocationList
from parley_auth.sessions import Sessions
from tests.conftest import REDIS_URL, Infra


async def test_sessions_that_ended_over_a_day_ago_are_deleted_and_no_others(
    infra: Infra, mongo: AsyncMongoClient
) -> None:
    db = mongo[infra.mongo_db]
    cache = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    sessions = Sessions(db, RevocationList(cache, infra.redis_prefix), access_ttl=900, session_ttl=3600)
    user = {"_id": f"u_{uuid.uuid4().hex[:8]}", "role": "visitor"}
    started = [await sessions.start(user, kind) for kind in ("web", "mobile", "desktop")]
    now = datetime.now(UTC)
    ends = {
        started[0].code: now + timedelta(hours=1),
        started[1].code: now - timedelta(hours=1),
        started[2].code: now - timedelta(days=2),
    }
    for code, end in ends.items():
        await db["sessions"].update_one({"_id": code}, {"$set": {"expires_at": end}})
    assert await sessions.forget_expired() >= 1
    kept = {doc["_id"] async for doc in db["sessions"].find({"user_id": user["_id"]})}
    assert kept == {started[0].code, started[1].code}  # live, and ended within the day of grace
    await cache.aclose()
