"""Start, watch and stop the seven service processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

# Start order: auth first (the gateway and chat_session fetch its JWKS), presence before the
# services that ask it who is online. Each still waits for its own dependencies by itself.
SERVICES = ("auth", "presence", "chat_session", "chatbot_engine", "notification", "integrations", "gateway")
DEFAULT_PORTS = {
    "gateway": 8080,
    "auth": 8081,
    "chat_session": 8082,
    "chatbot_engine": 8083,
    "presence": 8084,
    "notification": 8085,
    "integrations": 8087,
}


# Times a fleet start moves services to another port (another process took the one chosen).
MAX_PORT_MOVES = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    module: str = ""  # the Python module run with -m; empty: parley_<name>
    # True from stop() on: the process is meant to end, so a supervisor must not restart it.
    stopped: bool = False
    # True from kill() until the next start(): its exit code is the kill's, not a shutdown's.
    killed: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.stopped = self.killed = False
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module or f"parley_{self.name}", env=self.env, stdout=log, stderr=log
        )
        log.close()

    async def stop(self, timeout: float = 30.0) -> int | None:
        self.stopped = True
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    def kill(self) -> None:
        self.killed = True
        if self.process is not None and self.process.returncode is None:
            self.process.kill()


@dataclass
class Fleet:
    """The seven services with one shared environment; ``ports`` picks each one's HTTP port."""

    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        auth_url = f"http://127.0.0.1:{self.ports.get('auth', DEFAULT_PORTS['auth'])}"
        # The services named in ``ports``, in start order: a test of two services runs only those.
        for name in (name for name in SERVICES if name in self.ports):
            env = {
                **os.environ,
                **self.env,
                "PARLEY_HTTP_PORT": str(self.ports[name]),
                "PARLEY_NODE_ID": self.env.get("PARLEY_NODE_ID_PREFIX", "local") + f"-{name}-{self.ports[name]}",
                "PARLEY_AUTH_JWKS_URL": f"{auth_url}/auth/jwks.json",
                "PARLEY_LOG_FORMAT": "json",
            }
            self.services[name] = ServiceProcess(name, self.ports[name], env, self.log_dir / f"{name}.log")

    def url(self, name: str) -> str:
        return self.services[name].url

    async def add_replica(self, name: str, **settings: str) -> ServiceProcess:
        """One more process of service ``name`` with extra PARLEY_* ``settings`` (its own port and
        node id; a gateway gets its own delivery queue), started and ready; listed as ``<name>-<port>``."""
        port = free_port()
        base = self.services[name]
        env = {
            **base.env,
            **settings,
            "PARLEY_HTTP_PORT": str(port),
            "PARLEY_NODE_ID": f"{base.env['PARLEY_NODE_ID']}-r{port}",
        }
        replica = ServiceProcess(name, port, env, self.log_dir / f"{name}-{port}.log")
        self.services[f"{name}-{port}"] = replica
        await replica.start()
        await self.wait_ready(names=(f"{name}-{port}",))
        return replica

    async def start(self, ready_timeout: float = 60.0) -> None:
        for service in self.services.values():
            await service.start()
        await self.wait_ready(ready_timeout)

    async def wait_ready(self, timeout: float = 60.0, names: tuple[str, ...] | None = None) -> None:
        """Wait until every service answers /readyz 200 as itself (its node id: a port another
        process took first answers for that process); raise naming the ones that do not. A service
        that lost its port to another process before it could bind it is started again on another
        (not auth: the others were given its URL)."""
        deadline = time.monotonic() + timeout
        pending = set(names or self.services)
        moves = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while pending and time.monotonic() < deadline:
                for name in sorted(pending):
                    service = self.services[name]
                    if service.process is not None and service.process.returncode is not None:
                        if name != "auth" and moves < MAX_PORT_MOVES and _lost_its_port(service):
                            moves += 1
                            await self._move(name, service)
                            continue
                        raise RuntimeError(f"{name} exited with {service.process.returncode}; see {service.log_path}")
                    if await _ready(session, service.url, service.env["PARLEY_NODE_ID"]):
                        pending.discard(name)
                if pending:
                    await asyncio.sleep(0.2)
        if pending:
            logs = ", ".join(str(self.services[name].log_path) for name in sorted(pending))
            raise TimeoutError(f"not ready after {timeout:g}s: {', '.join(sorted(pending))} (logs: {logs})")

    async def _move(self, name: str, service: ServiceProcess) -> None:
        service.port = free_port()
        service.env = {**service.env, "PARLEY_HTTP_PORT": str(service.port)}
        if name in self.ports:
            self.ports[name] = service.port
        await service.start()

    async def stop(self) -> dict[str, int | None]:
        """SIGTERM every service (gateway first: it drains clients) and collect exit codes."""
        codes: dict[str, int | None] = {}
        replicas = [name for name in self.services if name not in SERVICES]
        for name in (*replicas, *(name for name in reversed(SERVICES) if name in self.services)):
            codes[name] = await self.services[name].stop()
        return codes


@asynccontextmanager
async def running_fleet(
    env: dict[str, str], log_dir: Path, *, services: Iterable[str] = SERVICES, ready_timeout: float = 60.0
) -> AsyncIterator[Fleet]:
    """``services`` (on free ports, with ``env`` added to each one's) started and ready for the
    block, and stopped after it; a service that does not stop cleanly (exit code other than 0,
    unless the block killed it) fails the block: a shutdown bug the tests must not hide."""
    fleet = Fleet(env=env, log_dir=log_dir, ports={name: free_port() for name in services})
    try:
        await fleet.start(ready_timeout)
        yield fleet
    finally:
        codes = await fleet.stop()
    unclean = {name: code for name, code in codes.items() if code != 0 and not fleet.services[name].killed}
    if unclean:
        raise RuntimeError(f"services did not stop cleanly: {unclean} (logs: {log_dir})")


async def _ready(session: aiohttp.ClientSession, url: str, node: str) -> bool:
    try:
        async with session.get(f"{url}/readyz") as response:
            if response.status != 200:
                return False
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False
    # A service of a commit before /readyz named its node (a bench A/B of an older commit): its 200.
    return isinstance(body, dict) and body.get("node", node) == node


def _lost_its_port(service: ServiceProcess) -> bool:
    """Its port was free when chosen and taken by another process before the service bound it."""
    try:
        with service.log_path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 4096))
            return b"address already in use" in log.read()
    except OSError:
        return False
