"""One Redis Cluster primary killed with kill -9 (deploy/infra/redis-cluster.sh: three primaries,
a replica of each): its replica takes over its slots, and the services' Redis client
(parley.stores.redis_client in cluster mode) and a gateway's delivery link follow by themselves.

Writes run every 20 ms throughout on a key of the doomed primary, each retried until Redis
acknowledges it, as a handler's retry does; the row counts the acknowledged writes the promoted
replica has, once, in order. The delivery link is dialled to the doomed node first, so it has
to move too. Redis replicates asynchronously: a write acknowledged by the old primary in its last
milliseconds can be missing on its replica, and that is what the row would show as lost.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import cast

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from parley.deliveries import Delivered, DeliveryPublisher, DeliverySubscriber
from parley.stores import redis_client
from tests.chaos.ledger import Row
from tests.chaos.table import TABLE
from tests.kit.redis_servers import RedisClusterNodes, redis_cluster
from tests.kit.waiting import eventually

LEAD_IN = 50  # writes before the kill, and as many after the old primary is back
WRITE_INTERVAL_SECONDS = 0.02
QUIET_SECONDS = 2.0


@pytest.fixture(scope="module")
async def cluster() -> AsyncIterator[RedisClusterNodes]:
    async with redis_cluster() as started:
        yield started


async def test_a_redis_cluster_primary_killed_is_replaced_by_its_replica(cluster: RedisClusterNodes) -> None:
    prefix = f"chaos:{uuid.uuid4().hex[:6]}:"
    key = f"{prefix}writes"
    probe = redis_client(cluster.settings(prefix))
    await probe.ping()  # the client learns the slot map on its first command
    doomed = cast(RedisCluster, probe).get_node_from_key(key).port
    await probe.aclose()
    settings = cluster.settings(prefix, first=doomed)
    client = redis_client(settings)
    received: asyncio.Queue[Delivered] = asyncio.Queue()
    resubscribed = asyncio.Event()
    subscriber = DeliverySubscriber(settings, received.put_nowait, resubscribed.set, name="chaos-gateway")
    link = asyncio.create_task(subscriber.run())
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
        await cluster.run("kill9", str(doomed))
        first_after = next(numbers)
        await write(first_after)
        whole_after = acknowledged[first_after] - killed_at
        await cluster.run("start", str(doomed))  # back, as a replica of the node that took over
        for _ in range(LEAD_IN):
            await write(next(numbers))
            await asyncio.sleep(WRITE_INTERVAL_SECONDS)
        await asyncio.sleep(QUIET_SECONDS)  # the quiet spell: nothing more is written
        stored = [int(value) for value in await client.lrange(key, 0, -1)]
        promoted = cast(RedisCluster, client).get_node_from_key(key).port

        # The delivery link moved off the killed node: a frame published now reaches it.
        await eventually(resubscribed.is_set, what="the delivery link re-subscribed")
        publisher = DeliveryPublisher(client, settings.redis_key_prefix)

        async def delivered() -> bool:
            await publisher.frame(["u1"], "typing", "{}")
            try:
                await asyncio.wait_for(received.get(), 0.5)
            except TimeoutError:
                return False
            return True

        await eventually(delivered, what="a frame published after the failover reaching the link")
    finally:
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
        await subscriber.close()
        await client.aclose()

    counts = Counter(stored)
    firsts = list(dict.fromkeys(stored))
    row = Row(
        fault="Redis Cluster primary kill -9 (its replica takes over)",
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
            f"writes refused while the slot had no primary (retried): {refused}",
            f"writes whole again {whole_after:.1f} s after the kill",
        ],
    )
    assert promoted != doomed  # the replica serves the slot now
    assert row.lost == 0, sorted(set(acknowledged) - set(counts))
    assert row.duplicated == 0, counts
    assert row.disordered == 0, firsts
    assert whole_after < 30
