"""Redis in the modes other than one server, the tests' own on free ports under .infra/: a
Redis Cluster (deploy/infra/redis-cluster.sh: three primaries, a replica of each) and a primary
with a replica under three Sentinels (deploy/infra/redis-sentinel.sh), for the Redis-mode
integration tests and the chaos rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from parley.settings import ServiceSettings
from tests.chaos.brokers import ROOT, free_port_with, run_script

NODES = 6  # ports p..p+5; each node's cluster bus is its port + 10000


class RedisClusterNodes:
    def __init__(self) -> None:
        self.port = free_port_with(*range(1, NODES), *(10000 + offset for offset in range(NODES)))
        self.env = {
            "PARLEY_REDIS_CLUSTER_DIR": str(ROOT / ".infra" / f"test-cluster-{uuid.uuid4().hex[:8]}"),
            "PARLEY_REDIS_CLUSTER_PORT": str(self.port),
        }

    @property
    def ports(self) -> list[int]:
        return list(range(self.port, self.port + NODES))

    def settings(self, prefix: str, first: int | None = None) -> ServiceSettings:
        """Settings naming every node, ``first`` (a port) first: the node a new delivery link dials first."""
        ports = sorted(self.ports, key=lambda port: port != first)
        nodes = ",".join(f"127.0.0.1:{port}" for port in ports)
        return ServiceSettings(redis_cluster_nodes=nodes, redis_key_prefix=prefix)

    async def run(self, *args: str) -> str:
        return await run_script("redis-cluster.sh", self.env, *args, timeout=60)


class Sentinels:
    """Ports: the primary on p, the replica on p+1, the Sentinels on p+2..p+4."""

    def __init__(self) -> None:
        self.port = free_port_with(1, 2, 3, 4)
        self.env = {
            "PARLEY_REDIS_SENTINEL_DIR": str(ROOT / ".infra" / f"test-sentinel-{uuid.uuid4().hex[:8]}"),
            "PARLEY_REDIS_SENTINEL_PORT": str(self.port),
        }

    def settings(self, prefix: str) -> ServiceSettings:
        sentinels = ",".join(f"127.0.0.1:{self.port + offset}" for offset in (2, 3, 4))
        return ServiceSettings(redis_sentinels=sentinels, redis_key_prefix=prefix)

    async def run(self, *args: str) -> str:
        return await run_script("redis-sentinel.sh", self.env, *args, timeout=60)


@asynccontextmanager
async def redis_sentinels() -> AsyncIterator[Sentinels]:
    started = Sentinels()
    try:
        await started.run("up")
        yield started
    finally:
        await started.run("destroy")


@asynccontextmanager
async def redis_cluster() -> AsyncIterator[RedisClusterNodes]:
    started = RedisClusterNodes()
    try:
        await started.run("up")
        yield started
    finally:
        await started.run("destroy")
