"""A person's traces in the real Redis (parley.redis_traces): found by their id or a conversation's
in key names, members, fields and values; a key named by them is deleted, a shared collection
only loses the matching members, others' data and the revocation list stay."""

from __future__ import annotations

import redis.asyncio as redis

from parley.redis_traces import RedisTraces


async def test_an_erase_removes_every_trace_and_nothing_else(client: redis.Redis, prefix: str) -> None:
    person, conversation, other = "v_person1", "c_theirs1", "v_other1"
    await client.set(f"{prefix}presence:user:{person}:status", "online")
    await client.set(f"{prefix}delivery:state:{conversation}", '{"frame": 1}')
    await client.set(f"{prefix}notification:unread:u_op:{conversation}", "3")
    await client.set(f"{prefix}chat:note", f"a value naming {person}")
    await client.zadd(f"{prefix}chatbot:timers", {f"{conversation}:idle": 1.0, "c_else:idle": 2.0})
    await client.sadd(f"{prefix}presence:online", person, other)
    await client.hset(f"{prefix}gw:conns", mapping={person: "2", other: "1"})
    await client.rpush(f"{prefix}notification:push_queue", f'{{"sub": "{person}/phone"}}', '{"sub": "x/y"}')
    await client.set(f"{prefix}auth:revoked:sess{person}", f"erased {person}")  # the revocation list stays
    await client.set(f"{prefix}presence:user:{other}:status", "online")
    traces = RedisTraces(client, prefix)

    found = await traces.find([person, conversation])
    assert sorted(found.keys) == sorted(
        [
            f"{prefix}presence:user:{person}:status",
            f"{prefix}delivery:state:{conversation}",
            f"{prefix}notification:unread:u_op:{conversation}",
            f"{prefix}chat:note",
        ]
    )
    assert found.members == {
        f"{prefix}chatbot:timers": [f"{conversation}:idle"],
        f"{prefix}presence:online": [person],
        f"{prefix}gw:conns": [person],
        f"{prefix}notification:push_queue": [f'{{"sub": "{person}/phone"}}'],
    }
    assert await client.exists(f"{prefix}chat:note") == 1  # finding changes nothing

    erased = await traces.erase([person, conversation])
    assert erased.count == found.count == 8
    assert (await traces.find([person, conversation])).count == 0
    assert await client.zrange(f"{prefix}chatbot:timers", 0, -1) == ["c_else:idle"]
    assert await client.smembers(f"{prefix}presence:online") == {other}
    assert await client.hgetall(f"{prefix}gw:conns") == {other: "1"}
    assert await client.lrange(f"{prefix}notification:push_queue", 0, -1) == ['{"sub": "x/y"}']
    assert await client.get(f"{prefix}auth:revoked:sess{person}") == f"erased {person}"
    assert await client.get(f"{prefix}presence:user:{other}:status") == "online"
    assert (await traces.erase([person, conversation])).count == 0  # a second erase finds nothing
    assert (await traces.erase([])).count == 0
