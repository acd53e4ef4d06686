"""Helpers, no tests: what the presence, notification and push end-to-end modules share.

(The fleet: ``tests.kit.fleet.fleet_for(..., own_vhost=True)`` with settings of the module's
choosing, short heartbeat intervals and TTLs; one more gateway node: ``fleet.add_replica``.)

- :class:`Probe`: the test's own connection to the fleet's bus, watching events on a queue of
  its own and asking presence what it knows, exactly as a service would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from parley.bus import Bus
from parley.contracts.base import Contract, Envelope
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.settings import ServiceSettings
from parley_fleet import Fleet
from parley_fleet.processes import ServiceProcess
from tests.kit.client import WsClient, login
from tests.kit.waiting import eventually

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
ContractT = TypeVar("ContractT", bound=Contract)
# Generous: other test runs share this 2-core machine.
WAIT_SECONDS = 30.0


def node_of(gateway: ServiceProcess) -> str:
    return gateway.env["PARLEY_NODE_ID"]


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws"


async def visitor(session: aiohttp.ClientSession, fleet: Fleet) -> dict[str, Any]:
    """A new visitor's login answer (uid, token, ...)."""
    return await login(session, fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}")


async def connect(session: aiohttp.ClientSession, http_url: str, token: str) -> tuple[WsClient, str]:
    """A WebSocket on the gateway at ``http_url``; returns the client and its connection id."""
    client, ok = await WsClient.connect(session, ws_url(http_url), token)
    return client, ok["data"]["connection_id"]


async def metric(url: str, name: str, **labels: str) -> float:
    """The sum of a service's samples called ``name`` whose labels include ``labels``."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


class Probe:
    """Watches events on the fleet's bus (a queue of its own) and talks to services like one."""

    def __init__(self, fleet: Fleet, *watch: type[Contract]) -> None:
        amqp_url = fleet.env["PARLEY_AMQP_URL"]
        settings = ServiceSettings(amqp_url=amqp_url, node_id=uuid.uuid4().hex[:8], bus_request_timeout_seconds=10.0)
        self.bus = Bus(settings, f"probe-{uuid.uuid4().hex[:8]}")
        self.seen: list[tuple[float, Contract]] = []
        self._arrived = asyncio.Condition()
        for contract in watch:
            self.bus.on_node_event(contract, self._record)  # an exclusive queue: gone with the probe

    async def _record(self, event: Contract, _envelope: Envelope) -> None:
        async with self._arrived:
            self.seen.append((time.monotonic(), event))
            self._arrived.notify_all()

    async def start(self) -> Probe:
        await self.bus.connect()
        await self.bus.start_consuming()
        return self

    async def close(self) -> None:
        await self.bus.stop_consuming(timeout=5)
        await self.bus.close()

    def events(self, contract: type[ContractT], where: Callable[[ContractT], bool] = lambda _: True) -> list[ContractT]:
        return [event for _, event in self.seen if isinstance(event, contract) and where(event)]

    def arrivals(
        self, contract: type[ContractT], where: Callable[[ContractT], bool], since: float
    ) -> list[tuple[float, ContractT]]:
        """The matching events that arrived at or after ``since`` (monotonic), with their arrival times."""
        return [(at, event) for at, event in self.seen if at >= since and isinstance(event, contract) and where(event)]

    async def wait_for(
        self, contract: type[ContractT], where: Callable[[ContractT], bool], timeout: float = WAIT_SECONDS
    ) -> ContractT:
        """The first event of this type (already seen or still to come) that matches."""

        async def first() -> ContractT:
            async with self._arrived:
                while True:
                    found = self.events(contract, where)
                    if found:
                        return found[0]
                    await self._arrived.wait()

        return await asyncio.wait_for(first(), timeout)


async def wait_connected(probe: Probe, *user_ids: str) -> None:
    """Connections reach presence through a bus event: wait until it knows all these users'."""

    async def known() -> bool:
        reply = await probe.bus.request(LookupNodes(user_ids=list(user_ids)))
        return {user for users in NodesOfUsers.model_validate(reply).nodes.values() for user in users} == set(user_ids)

    await eventually(known)


async def wait_disconnected(probe: Probe, *user_ids: str) -> None:
    """Until presence knows no live connection of these users (what web push goes by; their status
    stays as it was for the offline grace)."""

    async def gone() -> bool:
        reply = await probe.bus.request(LookupNodes(user_ids=list(user_ids)))
        return not NodesOfUsers.model_validate(reply).nodes

    await eventually(gone, what=f"no live connection of {', '.join(user_ids)}")
