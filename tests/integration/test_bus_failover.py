"""The bus over several RabbitMQ nodes: it connects through whichever answers, and when the one it
uses goes, it moves to another by itself and serves again (queues, consumers, replies).

Each "node" is a TCP relay to the real broker that can die with its connections, as a node killed
with kill -9 does to its clients; the three-node cluster itself is the chaos suite's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.settings import ServiceSettings
from parley_fleet import create_vhost, delete_vhost
from tests.conftest import MANAGEMENT_URL, Infra
from tests.kit.waiting import eventually


class Node:
    """A relay standing in for one node of a cluster."""

    def __init__(self, broker_port: int) -> None:
        self.broker_port = broker_port
        self.links: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> Node:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", self.broker_port)
        self.links += [client_writer, broker_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(client_reader, broker_writer), pipe(broker_reader, client_writer))

    @property
    def clients(self) -> int:
        return sum(1 for writer in self.links[::2] if not writer.is_closing())

    def kill(self) -> None:
        """Gone at once, connections reset, as a node killed with kill -9."""
        assert self.server is not None
        self.server.close()
        for writer in self.links:
            writer.transport.abort()


@pytest.fixture
async def nodes(infra: Infra) -> AsyncIterator[list[Node]]:
    broker_port = urlsplit(infra.amqp_url).port or 5672
    started = [await Node(broker_port).start() for _ in range(2)]
    yield started
    for node in started:
        if node.server is not None and node.server.is_serving():
            node.kill()


def _urls(vhost: str, *ports: int) -> str:
    return ",".join(f"amqp://guest:guest@127.0.0.1:{port}/{vhost}" for port in ports)


@pytest.fixture
async def vhost() -> AsyncIterator[str]:
    """A vhost of this test alone: in the run's shared one, another test's service may have bound
    the same command (presence's lookup) and answer first."""
    name = f"parley-failover-{uuid.uuid4().hex[:10]}"
    await create_vhost(MANAGEMENT_URL, name)
    yield name
    await delete_vhost(MANAGEMENT_URL, name)


async def _answer(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
    return NodesOfUsers(nodes={"node-1": command.user_ids})


async def test_the_bus_moves_to_another_node_when_its_node_goes(vhost: str, nodes: list[Node]) -> None:
    first, second = nodes
    service = f"svc-{uuid.uuid4().hex[:6]}"
    server = Bus(ServiceSettings(amqp_url=_urls(vhost, first.port, second.port), node_id="n1"), service)
    server.on_command(LookupNodes, _answer)
    client = Bus(
        ServiceSettings(amqp_url=_urls(vhost, second.port), node_id="n2", bus_request_timeout_seconds=1.0), "c"
    )
    reconnected = asyncio.Event()
    server.on_reconnected(reconnected.set)
    await server.connect()
    await server.start_consuming()
    await client.connect()
    try:
        assert await client.request(LookupNodes(user_ids=["u1"])) == NodesOfUsers(nodes={"node-1": ["u1"]})
        assert first.clients == 1, "the first node listed is dialled first"
        first.kill()
        killed = time.monotonic()

        async def answered() -> bool:
            try:
                return await client.request(LookupNodes(user_ids=["u2"])) == NodesOfUsers(nodes={"node-1": ["u2"]})
            except Exception:  # noqa: BLE001 - not yet: the consumer is moving
                return False

        await eventually(answered, timeout=20, what="the service answering again through the other node")
        await eventually(reconnected.is_set, what="the reconnect hooks (run once consumers are back)")
        assert server.connected
        assert second.clients == 2, "the server moved to the second node (the client was there already)"
        assert time.monotonic() - killed < 10
    finally:
        await server.close()
        await client.close()


async def test_the_bus_starts_while_the_first_node_listed_is_away(vhost: str, nodes: list[Node]) -> None:
    first, second = nodes
    first.kill()
    bus = Bus(ServiceSettings(amqp_url=_urls(vhost, first.port, second.port), node_id="n3"), "starter")
    try:
        await asyncio.wait_for(bus.connect(), 10)
        assert bus.connected and second.clients == 1
    finally:
        await bus.close()


def test_every_url_of_the_list_must_be_an_amqp_url() -> None:
    with pytest.raises(ValueError, match="not an AMQP URL: 'redis://x'"):
        ServiceSettings(amqp_url="amqp://a/,redis://x")
    assert ServiceSettings(amqp_url="amqp://a/, amqps://b/").amqp_urls == ["amqp://a/", "amqps://b/"]
