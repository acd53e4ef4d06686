"""One of three RabbitMQ nodes killed with kill -9 and brought back, under a steady stream of
events between two services' buses: every event the broker confirmed is handled, in order, and
both buses move to another node by themselves.

The three-node cluster is deploy/infra/rabbitmq-cluster.sh's, started for this module on ports
of its own; the buses are given the three nodes' URLs (settings.amqp_url, comma-separated). The
queue is a quorum queue (its leader is on the node the service declared it through, the one
killed), and the node killed is the one both buses are connected to.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.errors import ParleyError
from parley.contracts.events import PresenceChanged
from parley.settings import ServiceSettings
from tests.chaos.brokers import RabbitCluster
from tests.chaos.ledger import Row
from tests.chaos.table import TABLE
from tests.kit.waiting import eventually

LEAD_IN = 30  # events before the kill, and as many after the node is back
SEND_INTERVAL_SECONDS = 0.05
QUIET_SECONDS = 3.0  # after the last event: nothing late, nothing more


@pytest.fixture(scope="module")
async def cluster() -> AsyncIterator[RabbitCluster]:
    started = RabbitCluster()
    try:
        await started.run("up")
        yield started
    finally:
        await started.run("destroy")


async def test_a_rabbitmq_node_killed_and_brought_back_loses_nothing(cluster: RabbitCluster) -> None:
    handled: list[int] = []

    async def handle(event: PresenceChanged, _envelope: Envelope) -> None:
        handled.append(int(event.user_id))

    service = f"svc-{uuid.uuid4().hex[:6]}"
    consumer = Bus(ServiceSettings(amqp_url=cluster.amqp_url, node_id="consumer"), service)
    consumer.on_event(PresenceChanged, handle)
    publisher = Bus(ServiceSettings(amqp_url=cluster.amqp_url, node_id="publisher"), "publisher")
    await consumer.connect()
    await consumer.start_consuming()
    await publisher.connect()
    sent: dict[int, float] = {}  # confirmed by the broker: number -> when
    refusals = 0

    async def send(number: int) -> None:
        """As a client does: a refusal is retried, the same event, until the broker confirms it."""
        nonlocal refusals
        while True:
            try:
                await publisher.publish_event(PresenceChanged(user_id=str(number), status="online"))
                sent[number] = time.monotonic()
                return
            except ParleyError:
                refusals += 1
                await asyncio.sleep(0.1)

    numbers = iter(range(1_000_000))
    try:
        for _ in range(LEAD_IN):
            await send(next(numbers))
            await asyncio.sleep(SEND_INTERVAL_SECONDS)
        killed_at = time.monotonic()
        await cluster.run("kill9", "1")
        restart = asyncio.create_task(cluster.run("start", "1"))
        while not restart.done():  # traffic through the node's absence and its return
            await send(next(numbers))
            await asyncio.sleep(SEND_INTERVAL_SECONDS)
        await restart
        first_after = max(sent) + 1
        for _ in range(LEAD_IN):
            await send(next(numbers))
            await asyncio.sleep(SEND_INTERVAL_SECONDS)
        await eventually(lambda: set(sent) <= set(handled), timeout=60, what="every confirmed event handled")
        await asyncio.sleep(QUIET_SECONDS)  # the quiet spell: a late redelivery would show here
    finally:
        await consumer.close()
        await publisher.close()

    whole_at = min(sent[n] for n in sent if sent[n] > killed_at)
    counts = Counter(handled)
    firsts = list(dict.fromkeys(handled))
    row = Row(
        fault="RabbitMQ: 1 of 3 nodes kill -9, back (bus)",
        sent=len(sent) + refusals,
        acknowledged=len(sent),
        stored=len(counts),
        delivered=len(counts),
        lost=len(set(sent) - set(counts)),
        duplicated=sum(1 for count in counts.values() if count > 1),
        disordered=sum(1 for a, b in itertools.pairwise(firsts) if b < a),
        whole_after=whole_at - killed_at,
    )
    notes = [
        f"publishes refused while the node was away (retried): {refusals}",
        f"service whole again (first event confirmed after the kill) {whole_at - killed_at:.1f} s after it",
        f"events sent after the node was back: {max(sent) + 1 - first_after}",
    ]
    TABLE.add(row, Counter(), 0, notes)
    assert row.lost == 0, sorted(set(sent) - set(counts))[:20]
    assert row.disordered == 0, firsts
    # At least once: an event whose ack died with the node is handled again (handlers are
    # idempotent by id); the bus must not multiply them beyond that.
    assert row.duplicated <= 2 * 64, counts.most_common(5)
