"""The gateway tells presence of its connections in batches (issue 17): a burst of connects is a
few ``gateway.connections_changed`` events, not one each, and a connect returns only once the
event carrying it is confirmed. Against the real RabbitMQ, in a vhost of its own."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.events import ConnectionsChanged
from parley.settings import ServiceSettings
from parley.tokens import Claims
from parley_fleet import create_vhost, delete_vhost
from parley_gateway.connection_events import ConnectionEvents
from parley_gateway.connections import Connection
from tests.conftest import MANAGEMENT_URL, Infra
from tests.kit.waiting import eventually

BURST = 300


@pytest.fixture
async def infra(infra: Infra) -> AsyncIterator[Infra]:
    mine = Infra(f"{infra.run_id}-{uuid.uuid4().hex[:6]}")
    await create_vhost(MANAGEMENT_URL, mine.vhost)
    yield mine
    await delete_vhost(MANAGEMENT_URL, mine.vhost)


def _connection(user_id: str) -> Connection:
    now = int(time.time())
    claims = Claims(sub=user_id, role="visitor", sid="s", iat=now, exp=now + 600, iss="i", aud="a", jti="j")
    return Connection(ws=None, claims=claims, client_kind="web")  # type: ignore[arg-type]  # no socket is used


async def test_a_burst_of_connects_and_closes_is_a_few_batches_in_order(infra: Infra) -> None:
    settings = ServiceSettings(amqp_url=infra.amqp_url, node_id="n1")
    received: list[ConnectionsChanged] = []

    async def record(event: ConnectionsChanged, _envelope: Envelope) -> None:
        received.append(event)

    presence = Bus(settings, f"presence-{uuid.uuid4().hex[:6]}")
    presence.on_event(ConnectionsChanged, record)
    gateway = Bus(settings, "gateway")
    try:
        for bus in (presence, gateway):
            await bus.connect()
            await bus.start_consuming()
        events = ConnectionEvents(gateway, "n1")
        connections = [_connection(f"u{index}") for index in range(BURST)]
        await asyncio.gather(*(events.opened(connection) for connection in connections))
        await asyncio.gather(*(events.closed(connection, 1000) for connection in connections))

        def seen() -> tuple[list[str], list[str]]:
            opened = [item.connection_id for event in received for item in event.opened]
            closed = [item.connection_id for event in received for item in event.closed]
            return opened, closed

        everyone = sorted(connection.id for connection in connections)
        await eventually(lambda: sorted(seen()[0]) == everyone and sorted(seen()[1]) == everyone, what="every change")
        assert len(received) < BURST / 10, f"{len(received)} events for {2 * BURST} changes: not batched"
        assert all(event.node == "n1" for event in received)
        # A connection's closing comes in a later event than its opening (each waited for its own).
        first_open = {item.connection_id: i for i, event in enumerate(received) for item in event.opened}
        first_close = {item.connection_id: i for i, event in enumerate(received) for item in event.closed}
        assert all(first_open[key] < first_close[key] for key in everyone)
    finally:
        for bus in (presence, gateway):
            await bus.stop_consuming(timeout=2)
            await bus.close()
