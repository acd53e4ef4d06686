"""Helpers, no tests: what the presence, notification and push end-to-end modules share.

- :func:`running_fleet`: the seven services as processes, with settings of the module's choosing
  (short heartbeat intervals and TTLs keep these tests fast).
- :func:`start_gateway`: one more gateway process (its own port and node id), to have
  recipients on several nodes or a node to kill.
- :class:`Probe`: the test's own connection to the fleet's bus, watching events on a queue of
  its own and asking presence what it knows, exactly as a service would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from parley.bus import Bus
from parley.contracts.base import Contract, Envelope
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.settings import ServiceSettings
from parley_fleet import SERVICES, Fleet, create_vhost, delete_vhost, free_port
from parley_fleet.processes import ServiceProcess
from tests.conftest import MANAGEMENT_URL, Infra
from tests.e2e.client import WsClient, login
from tests.kit.waiting import eventually

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
ContractT = TypeVar("ContractT", bound=Contract)
# Generous: other test runs share this 2-core machine.
WAIT_SECONDS = 30.0


@asynccontextmanager
async def running_fleet(infra: Infra, name: str, env: dict[str, str]) -> AsyncIterator[Fleet]:
    """The fleet with ``env`` added (PARLEY_* settings), on a vhost and Redis prefix of its own
    (no other module's fleet leaves messages or connections behind for it); on leaving, every
    service must stop cleanly."""
    vhost = f"{infra.vhost}-{name}"
    await create_vhost(MANAGEMENT_URL, vhost)
    running = Fleet(
        env={
            **infra.env(),
            "PARLEY_AMQP_URL": infra.amqp_url.rsplit("/", 1)[0] + "/" + vhost,
            "PARLEY_REDIS_KEY_PREFIX": f"{infra.redis_prefix}{name}:",
            "PARLEY_NODE_ID_PREFIX": f"{name}-{infra.run_id}",
            **env,
        },
        log_dir=ARTIFACTS / f"{name}-{infra.run_id}-{uuid.uuid4().hex[:4]}",
        ports={service: free_port() for service in SERVICES},
    )
    try:
        await running.start()
        yield running
    finally:
        codes = await running.stop()
        await delete_vhost(MANAGEMENT_URL, vhost)
    assert all(code == 0 for code in codes.values()), f"services did not stop cleanly: {codes}"


async def start_gateway(fleet: Fleet, label: str) -> ServiceProcess:
    """Another gateway node beside the fleet's, ready to take connections."""
    port = free_port()
    base = fleet.services["gateway"].env
    node = f"{base['PARLEY_NODE_ID']}-{label}"
    env = {**base, "PARLEY_HTTP_PORT": str(port), "PARLEY_NODE_ID": node}
    gateway = ServiceProcess("gateway", port, env, fleet.log_dir / f"gateway-{label}.log")
    await gateway.start()
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{gateway.url}/readyz") as response:
                    if response.status == 200:
                        return gateway
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    gateway.kill()
    raise TimeoutError(f"extra gateway {label} not ready; see {gateway.log_path}")


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
