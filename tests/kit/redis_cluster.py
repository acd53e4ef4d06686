"""A Redis Cluster of the tests' own (deploy/infra/redis-cluster.sh: three primaries, a replica
of each) on free ports under .infra/, for the cluster-mode integration tests and the chaos row."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from parley.settings import ServiceSettings
from tests.chaos.brokers import ROOT, free_port_with, run_script

SCRIPT = "redis-cluster.sh"
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
        return await run_script(SCRIPT, self.env, *args, timeout=60)


@asynccontextmanager
async def redis_cluster() -> AsyncIterator[RedisClusterNodes]:
    started = RedisClusterNodes()
    try:
        await started.run("up")
        yield started
    finally:
        await started.run("destroy")
