"""The chaos suite's own RabbitMQ node, Redis and FerretDB (never the shared ones: the suite
stops and restarts them), started by deploy/infra/up.sh on free ports under their own
directory, and the ways to break them."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as redis

ROOT = Path(__file__).resolve().parents[2]
INFRA_SCRIPTS = ROOT / "deploy" / "infra"
# up.sh gives the node Erlang distribution port AMQP + 20000 and Prometheus management + 20.
# Every port of a chaos broker, offsets included, is picked below the kernel's ephemeral range:
# while a broker is stopped (the 60 s faults) its ports are free, and the kernel hands ports of
# that range to anything binding port 0 (the other tier's services) and to outgoing connections.
# CI saw a RabbitMQ that could not start again because its Prometheus port had been taken.
LOWEST_PORT = 10000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _first_ephemeral_port() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_with(*offsets: int) -> int:
    """A free port whose ``port + offset`` ports are free as well, all below the ephemeral range."""
    highest = _first_ephemeral_port() - 1 - max((0, *offsets))
    if highest < LOWEST_PORT:
        raise RuntimeError(f"no room below the ephemeral ports ({EPHEMERAL_RANGE}) for offsets {offsets}")
    while True:
        port = random.randint(LOWEST_PORT, highest)
        if all(_free(port + offset) for offset in (0, *offsets)):
            return port


async def run_script(script: str, env: dict[str, str], *args: str, timeout: float = 180.0) -> str:
    """Run one of deploy/infra's scripts; its output, or an error carrying it."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(INFRA_SCRIPTS / script),
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)} failed ({process.returncode}):\n{text}")
    return text


@dataclass
class PrivateBrokers:
    directory: Path
    amqp_port: int
    management_port: int
    redis_port: int
    mongo_port: int

    @classmethod
    def on_free_ports(cls, directory: Path) -> PrivateBrokers:
        return cls(directory, free_port_with(20000), free_port_with(20), free_port_with(), free_port_with())

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}/"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    def script_env(self) -> dict[str, str]:
        return {
            "PARLEY_INFRA_DIR": str(self.directory),
            "PARLEY_INFRA_NO_DOCKER": "1",
            "PARLEY_AMQP_URL": self.amqp_url,
            "PARLEY_AMQP_MANAGEMENT_URL": self.management_url,
            "PARLEY_REDIS_URL": self.redis_url,
            "PARLEY_MONGO_URL": self.mongo_url,
        }

    async def up(self) -> str:
        """Start whatever of the three is not answering (idempotent, like `make infra`)."""
        return await run_script("up.sh", self.script_env())

    async def down(self) -> str:
        return await run_script("down.sh", self.script_env())

    async def rabbitmqctl(self, *args: str) -> str:
        return await run_script("rabbitmqctl.sh", self.script_env(), *args, timeout=90)

    async def stop_redis(self) -> None:
        """Shut Redis down after writing its data to disk, as a restart with persistence does."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            await client.shutdown(save=True)
        except (redis.ConnectionError, ConnectionError):
            pass  # it closes the connection as it exits
        finally:
            await client.aclose()
        await self._wait_port_closed(self.redis_port)

    async def stop_mongo(self) -> None:
        pid = int((self.directory / "ferretdb" / "ferretdb.pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)
        await self._wait_port_closed(self.mongo_port)

    @staticmethod
    async def _wait_port_closed(port: int, timeout: float = 30.0) -> None:
        """Until nothing accepts connections on ``port`` (binding it would still fail for a while:
        the server's old connections linger in TIME_WAIT)."""

        async def closed() -> None:
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    return
                writer.close()
                await asyncio.sleep(0.1)

        await asyncio.wait_for(closed(), timeout)


class RabbitCluster:
    """A three-node RabbitMQ cluster of deploy/infra/rabbitmq-cluster.sh on ports of its own
    (management on AMQP + 10000)."""

    def __init__(self) -> None:
        ports: list[int] = []
        while len(ports) < 3:
            port = free_port_with(10000, 20000)
            if all(abs(port - other) > 1 for other in ports):
                ports.append(port)
        self.ports = ports
        self.env = {
            "PARLEY_RABBIT_CLUSTER_DIR": str(ROOT / ".infra" / f"chaos-cluster-{uuid.uuid4().hex[:8]}"),
            "PARLEY_RABBIT_CLUSTER_PORTS": ",".join(map(str, ports)),
        }

    @property
    def amqp_url(self) -> str:
        return ",".join(f"amqp://guest:guest@127.0.0.1:{port}/" for port in self.ports)

    async def run(self, *args: str) -> str:
        return await run_script("rabbitmq-cluster.sh", self.env, *args, timeout=240)
