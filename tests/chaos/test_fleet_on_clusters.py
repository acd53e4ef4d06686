"""The whole fleet on production-shaped brokers, under chat traffic. Two worlds:

- RabbitMQ as a three-node cluster (quorum queues; every service given the three nodes' URLs)
  and Redis under Sentinel (a primary, a replica, three Sentinels): one RabbitMQ node is killed
  with kill -9 and brought back; the Redis primary is killed with kill -9 and Sentinel promotes
  its replica.
- Redis as a cluster (three primaries, a replica each; RabbitMQ one node): the primary serving
  presence's slot is killed with kill -9 and its replica takes over.

Each phase has traffic before and after the fault and a quiet spell at the end, and the same
verdict as the fault table (tests/chaos/verdict.py): every message a client got acknowledged
stored once and delivered once to both members in seq order, one webhook event each, every
service ready again by itself.

The components' own rows (test_rabbitmq_node_lost.py, test_redis_primary_lost.py) show the bus
and the Redis client moving over; these show that the services built on them lose nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import pytest
import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from parley.stores import redis_client
from parley_fleet import SERVICES, Fleet, free_port
from tests.chaos.brokers import ROOT, PrivateBrokers, RabbitCluster
from tests.chaos.faultproxy import Toxiproxy
from tests.chaos.faults import Scenario
from tests.chaos.phases import ChaosRun, running
from tests.chaos.verdict import run_and_check
from tests.kit.redis_servers import RedisClusterNodes, Sentinels, redis_cluster, redis_sentinels
from tests.kit.waiting import eventually

ARTIFACTS = ROOT / ".artifacts" / "chaos"
ADMIN = ("clusters-admin", "clusters-admin-" + uuid.uuid4().hex[:12])
SENTINEL_PRIMARY = "parley"  # the name deploy/infra/redis-sentinel.sh monitors it by
PROMOTED_WITHIN_SECONDS = 60.0
PRESENCE_KEY = "{presence}:"  # any key of presence's one hash tag (parley_presence.scripts.presence_root)


@dataclasses.dataclass
class World:
    run: ChaosRun
    rabbit: RabbitCluster | None = None
    sentinels: Sentinels | None = None
    redis_cluster: RedisClusterNodes | None = None


@asynccontextmanager
async def world(name: str, rabbit: RabbitCluster | None, redis_env: dict[str, str]) -> AsyncIterator[ChaosRun]:
    """The fleet (two gateways) on the run's own FerretDB, the RabbitMQ cluster if given (else the
    run's own one-node RabbitMQ), and the Redis ``redis_env`` names; traffic as in the fault table."""
    run_dir = ARTIFACTS / f"{name}-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir(parents=True)
    private = PrivateBrokers.on_free_ports(ROOT / ".infra" / f"chaos-{run_dir.name}")
    await private.up()
    try:
        brokers = private
        env = {**_fleet_env(private, run_dir.name), **redis_env}
        if rabbit is not None:
            await rabbit.run("up")
            # The verdict reads dead letters and parked work through node 1's management API.
            brokers = dataclasses.replace(private, amqp_port=rabbit.ports[0], management_port=rabbit.ports[0] + 10000)
            env["PARLEY_AMQP_URL"] = rabbit.amqp_url
            env["PARLEY_AMQP_MANAGEMENT_URL"] = brokers.management_url
        fleet = Fleet(env=env, log_dir=run_dir, ports={service: free_port() for service in SERVICES})
        await fleet.start(ready_timeout=90.0)
        await fleet.add_replica("gateway")  # deliveries between two nodes cross Redis
        proxy = Toxiproxy(run_dir / "toxiproxy.log")  # no fault here goes through a proxy: never started
        async with running(brokers, proxy, fleet, private.mongo_url, f"parley_chaos_{run_dir.name}", ADMIN) as run:
            yield run
    finally:
        if rabbit is not None:
            await rabbit.run("destroy")
        await private.down()


@pytest.fixture(scope="module")
async def on_sentinel() -> AsyncIterator[World]:
    rabbit = RabbitCluster()
    async with redis_sentinels() as sentinels:
        redis_env = {
            "PARLEY_REDIS_SENTINELS": sentinels.settings("").redis_sentinels,
            "PARLEY_REDIS_SENTINEL_PRIMARY": SENTINEL_PRIMARY,
        }
        async with world("sentinel", rabbit, redis_env) as run:
            yield World(run, rabbit=rabbit, sentinels=sentinels)


@pytest.fixture(scope="module")
async def on_redis_cluster() -> AsyncIterator[World]:
    async with redis_cluster() as nodes:
        redis_env = {"PARLEY_REDIS_CLUSTER_NODES": nodes.settings("").redis_cluster_nodes}
        async with world("redis-cluster", None, redis_env) as run:
            yield World(run, redis_cluster=nodes)


def _fleet_env(private: PrivateBrokers, run_id: str) -> dict[str, str]:
    return {
        "PARLEY_AMQP_URL": private.amqp_url,
        "PARLEY_AMQP_MANAGEMENT_URL": private.management_url,
        "PARLEY_MONGO_URL": private.mongo_url,
        "PARLEY_MONGO_DB": f"parley_chaos_{run_id}",
        "PARLEY_NODE_ID_PREFIX": f"clusters-{run_id}",
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN[0],
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN[1],
        "PARLEY_AUTH_ACCESS_TOKEN_TTL_SECONDS": "3600",
        "PARLEY_INTEGRATIONS_ALLOW_INSECURE_URLS": "true",
        "PARLEY_INTEGRATIONS_ALLOWED_HOSTS": '["127.0.0.1"]',
    }


async def _primary_port(sentinels: Sentinels) -> int | None:
    client = redis.Redis(port=sentinels.port + 2, socket_timeout=2)
    try:
        address = await client.sentinel_get_master_addr_by_name(SENTINEL_PRIMARY)
        return int(address[1]) if isinstance(address, tuple) else None
    finally:
        await client.aclose()


def kill_the_redis_primary(sentinels: Sentinels) -> Scenario:
    async def fault(_run: ChaosRun) -> None:
        killed = await _primary_port(sentinels)
        assert killed is not None, "the Sentinels name no primary"
        await sentinels.run("kill9", str(killed))

        async def promoted() -> bool:
            return await _primary_port(sentinels) not in (None, killed)

        await eventually(promoted, timeout=PROMOTED_WITHIN_SECONDS, what="Sentinel promoting the replica")
        await sentinels.run("start", str(killed))  # back, as a replica of the new primary

    return Scenario("sentinel", "Redis primary kill -9, Sentinel promotes (whole fleet)", fault)


def kill_a_rabbitmq_node(rabbit: RabbitCluster, node: int) -> Scenario:
    async def fault(_run: ChaosRun) -> None:
        await rabbit.run("kill9", str(node))
        await rabbit.run("start", str(node))

    return Scenario(f"rmqnode{node}", f"RabbitMQ: node {node} of 3 kill -9, back (whole fleet)", fault)


async def _presence_primary(nodes: RedisClusterNodes, asking: int) -> int | None:
    """The port of the primary serving presence's slot, as the node ``asking`` sees the cluster."""
    client = redis_client(nodes.settings("", first=asking))
    try:
        await client.ping()  # the client learns the slot map on its first command
        node = cast(RedisCluster, client).get_node_from_key(PRESENCE_KEY)
        return None if node is None else int(node.port)
    except RedisError:
        return None
    finally:
        await client.aclose()


def kill_the_presence_primary(nodes: RedisClusterNodes) -> Scenario:
    async def fault(_run: ChaosRun) -> None:
        killed = await _presence_primary(nodes, nodes.ports[0])
        assert killed is not None, "the cluster names no primary for presence's slot"
        survivor = next(port for port in nodes.ports if port != killed)
        await nodes.run("kill9", str(killed))

        async def promoted() -> bool:
            return await _presence_primary(nodes, survivor) not in (None, killed)

        await eventually(promoted, timeout=PROMOTED_WITHIN_SECONDS, what="the replica taking presence's slot over")
        await nodes.run("start", str(killed))  # back, as a replica of the node that took over

    return Scenario("rcluster", "Redis Cluster: presence's primary kill -9, replica takes over (whole fleet)", fault)


async def test_nothing_on_clustered_brokers(on_sentinel: World) -> None:
    """The same traffic with no fault: the baseline row of this fleet."""

    async def nothing(_run: ChaosRun) -> None:
        pass

    await run_and_check(on_sentinel.run, Scenario("clusters", "RabbitMQ cluster + Sentinel, no fault", nothing))


async def test_a_rabbitmq_node_killed_under_the_whole_fleet(on_sentinel: World) -> None:
    assert on_sentinel.rabbit is not None
    # Node 1: the first URL every service was given, so the one most of them are connected to.
    await run_and_check(on_sentinel.run, kill_a_rabbitmq_node(on_sentinel.rabbit, 1))


async def test_the_redis_primary_killed_under_the_whole_fleet(on_sentinel: World) -> None:
    assert on_sentinel.sentinels is not None
    await run_and_check(on_sentinel.run, kill_the_redis_primary(on_sentinel.sentinels))


async def test_a_redis_cluster_primary_killed_under_the_whole_fleet(on_redis_cluster: World) -> None:
    assert on_redis_cluster.redis_cluster is not None
    await run_and_check(on_redis_cluster.run, kill_the_presence_primary(on_redis_cluster.redis_cluster))
