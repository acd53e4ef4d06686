"""Work parked in the chaos suite's RabbitMQ (libs/parley/parley/bus/consumer.py: a message whose
dependency outlasted its retries waits in ``<queue>.parked``). The parking queues are found
through the management API, and counted over AMQP: the management API's counts are statistics up
to 5 s old, longer than some parked messages wait."""

from __future__ import annotations

from collections import Counter

import aio_pika

from parley.bus import topology
from parley_fleet.rabbitmq import queues
from tests.chaos.dead_letters import VHOST

PARKED_SUFFIX = topology.parked_queue("")
# How long parked work takes to be back and done once its dependency is: one parking round and
# room for a loaded machine.
DRAINED_WITHIN_SECONDS = topology.PARK_SECONDS + 25.0


async def parked(amqp_url: str, management_url: str, vhost: str = VHOST) -> Counter[str]:
    """Messages waiting in each parking queue that holds any, now."""
    names = [name for name in await queues(management_url, vhost) if name.endswith(PARKED_SUFFIX)]
    found: Counter[str] = Counter()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            queue = await channel.declare_queue(name, passive=True)
            count = queue.declaration_result.message_count or 0
            if count:
                found[name] = count
    return found
