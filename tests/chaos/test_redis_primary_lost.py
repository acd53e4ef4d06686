"""The Redis primary killed with kill -9 under Sentinel (deploy/infra/redis-sentinel.sh: a
primary, a replica, three Sentinels): the services' Redis client (parley.stores.redis_client in
Sentinel mode) and a gateway's delivery link follow the promoted replica by themselves.

Writes run every 20 ms throughout, each retried until Redis acknowledges it, as a handler's retry
does; the row counts the acknowledged writes the new primary has, once, in order. Redis
replicates asynchronously: a write acknowledged by the old primary in its last milliseconds can
be missing on the replica it promoted, and that is what the row would show as lost.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import RedisError

from parley.deliveries import Delivered, DeliveryPublisher, DeliverySubscriber
from parley.stores import redis_client
from tests.chaos.ledger import Row
from tests.chaos.table import TABLE
from tests.kit.redis_servers import Sentinels, redis_sentinels
from tests.kit.waiting import eventually

LEAD_IN = 50  # writes before the kill, and as many after the old primary is back
WRITE_INTERVAL_SECONDS = 0.02
QUIET_SECONDS = 2.0


@pytest.fixture(scope="module")
async def sentinels() -> AsyncIterator[Sentinels]:
    async with redis_sentinels() as started:
        yield started


async def test_the_redis_primary_killed_under_sentinel_is_replaced_by_itself(sentinels: Sentinels) -> None:
    settings = sentinels.settings(f"chaos:{uuid.uuid4().hex[:6]}:")
    client = redis_client(settings)
    received: asyncio.Queue[Delivered] = asyncio.Queue()
    resubscribed = asyncio.Event()
    subscriber = DeliverySubscriber(settings, received.put_nowait, resubscribed.set, name="chaos-gateway")
    link = asyncio.create_task(subscriber.run())
    key = f"{settings.redis_key_prefix}writes"
    acknowledged: dict[int, float] = {}
    refused = 0

    async def write(number: int) -> None:
        nonlocal refused
        while True:
            try:
                await client.rpush(key, number)
                acknowledged[number] = time.monotonic()
                return
            except RedisError:
                refused += 1
                await asyncio.sleep(0.1)

    numbers = itertools.count()
    try:
        await subscriber.hold("u1")
        for _ in range(LEAD_IN):
            await write(next(numbers))
            await asyncio.sleep(WRITE_INTERVAL_SECONDS)
        killed_at = time.monotonic()
        await sentinels.run("kill9", str(sentinels.port))
        first_after = next(numbers)
        await write(first_after)
        whole_after = acknowledged[first_after] - killed_at
        await sentinels.run("start", str(sentinels.port))  # back, as a replica of the new primary
        for _ in range(LEAD_IN):
            await write(next(numbers))
            await asyncio.sleep(WRITE_INTERVAL_SECONDS)
        await asyncio.sleep(QUIET_SECONDS)
        stored = [int(value) for value in await client.lrange(key, 0, -1)]

        # The delivery link came back on the new primary: a frame published there reaches it.
        await eventually(resubscribed.is_set, what="the delivery link re-subscribed")
        publisher = DeliveryPublisher(client, settings.redis_key_prefix)

        async def delivered() -> bool:
            await publisher.frame(["u1"], "typing", "{}")
            try:
                await asyncio.wait_for(received.get(), 0.5)
            except TimeoutError:
                return False
            return True

        await eventually(delivered, what="a frame through the new primary reaching the link")
    finally:
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
        await subscriber.close()
        await client.aclose()

    counts = Counter(stored)
    firsts = list(dict.fromkeys(stored))
    row = Row(
        fault="Redis primary kill -9 (Sentinel promotes)",
        sent=len(acknowledged) + refused,
        acknowledged=len(acknowledged),
        stored=len(counts),
        delivered=len(counts),
        lost=len(set(acknowledged) - set(counts)),
        duplicated=sum(1 for count in counts.values() if count > 1),
        disordered=sum(1 for a, b in itertools.pairwise(firsts) if b < a),
        whole_after=whole_after,
    )
    TABLE.add(
        row,
        Counter(),
        0,
        [
            f"writes refused while no primary (retried): {refused}",
            f"writes whole again {whole_after:.1f} s after the kill",
        ],
    )
    assert row.lost == 0, sorted(set(acknowledged) - set(counts))
    assert row.disordered == 0, firsts
    assert whole_after < 30
