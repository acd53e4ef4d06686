"""The Parley fleet under test, on a slice of the shared infrastructure that is the bench's alone.

Like tests/e2e: a fresh RabbitMQ vhost, MongoDB database and Redis key prefix per run, free
ports for the seven services (never 8080-8087), all removed again at the end. The admin the
bench uses to create operators and channels is bootstrapped through auth's settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import redis.asyncio as redis
from pymongo import AsyncMongoClient

from bench.load.agent import client_address
from bench.privatedb import PrivateFerretDB
from parley_fleet import SERVICES, Fleet, create_vhost, delete_vhost, free_port

AMQP_URL = os.environ.get("PARLEY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT_URL = os.environ.get("PARLEY_AMQP_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672/")
REDIS_URL = os.environ.get("PARLEY_REDIS_URL", "redis://127.0.0.1:6379/0")
MONGO_URL = os.environ.get("PARLEY_MONGO_URL", "mongodb://127.0.0.1:27017/")
REPO = Path(__file__).resolve().parents[1]
ADMIN_USERNAME = "bench-admin"
# Tokens outlive the longest run, so nobody's token expires in the middle of a measurement.
TOKEN_TTL_SECONDS = 4 * 3600


def snapshot_head(destination: Path, revision: str = "HEAD") -> tuple[Path, str]:
    """Extract libs/ and services/ of a commit (HEAD by default; read-only for the repository);
    returns it and the commit."""
    resolve = ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"]
    commit = subprocess.run(resolve, cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    destination.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", commit, "libs", "services"], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    return destination, commit


def snapshot_paths(code: Path) -> list[Path]:
    return [*sorted((code / "libs").glob("*/")), *sorted((code / "services").glob("*/"))]


def working_tree_state() -> dict[str, Any]:
    """The commit, and how the services' code differs from it right now (others edit it live)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    changed = [line for line in git("status", "--short", "--", "libs", "services").splitlines() if line]
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes_in_libs_and_services": len(changed)}


async def _patiently(call: Callable[[], Awaitable[None]], what: str, budget: float = 90.0) -> None:
    """Retry while a shared server is briefly away (other engineers' outage tests restart them)."""
    deadline = time.monotonic() + budget
    while True:
        try:
            return await call()
        except (aiohttp.ClientError, OSError) as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within {budget:g}s: {error}") from error
            await asyncio.sleep(2.0)


class ParleyUnderTest:
    """Start the seven services on an isolated slice; admin helpers; stop and clean up."""

    def __init__(
        self,
        run_dir: Path,
        log_level: str = "info",
        code: Path | None = None,
        max_user_connections: int = 10,
        mongo_url: str = MONGO_URL,
    ) -> None:
        self.run_dir = run_dir
        self.mongo_url = mongo_url
        # Servers started for this run alone (a private FerretDB): label -> pid, measured like the fleet.
        self.own_servers: dict[str, int] = {}
        self.database: PrivateFerretDB | None = None  # the run's own FerretDB, when it has one
        self.run_id = uuid.uuid4().hex[:10]
        self.vhost = f"parley-bench-{self.run_id}"
        self.mongo_db = f"parley_bench_{self.run_id}"
        self.redis_prefix = f"parley-bench:{self.run_id}:"
        self.admin_password = secrets.token_urlsafe(16)
        parts = urlsplit(AMQP_URL)
        env = {
            "PARLEY_AMQP_URL": urlunsplit((parts.scheme, parts.netloc, "/" + self.vhost, "", "")),
            "PARLEY_REDIS_URL": REDIS_URL,
            "PARLEY_REDIS_KEY_PREFIX": self.redis_prefix,
            "PARLEY_MONGO_URL": mongo_url,
            "PARLEY_MONGO_DB": self.mongo_db,
            "PARLEY_NODE_ID_PREFIX": f"bench-{self.run_id}",
            "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
            "PARLEY_AUTH_ADMIN_PASSWORD": self.admin_password,
            "PARLEY_AUTH_ACCESS_TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
            "PARLEY_LOG_LEVEL": log_level,
            # The bench's clients log in through one "proxy" hop (X-Forwarded-For, one made-up
            # address per account) so auth's per-address login limit sees many addresses.
            "PARLEY_AUTH_TRUSTED_PROXY_HOPS": "1",
            # The fan-out scenario watches one conversation from many sockets of one operator.
            "PARLEY_GATEWAY_MAX_CONNECTIONS_PER_USER": str(max_user_connections),
            # The idle and storm scenarios open thousands of sockets from each of a few loopback
            # addresses, where production sees one browser per address: lift the per-address cap.
            "PARLEY_HTTP_MAX_CONNECTIONS_PER_ADDRESS": "100000",
        }
        if code is not None:
            # A snapshot of the services' code shadows the working tree's editable installs.
            env["PYTHONPATH"] = os.pathsep.join(str(path) for path in snapshot_paths(code))
        # An older commit may predate a service (integrations came after 606aec8): run those it has.
        present = [name for name in SERVICES if code is None or (code / "services" / name).is_dir()]
        self.fleet = Fleet(env=env, log_dir=run_dir / "fleet-logs", ports={name: free_port() for name in present})
        self._http: aiohttp.ClientSession | None = None
        self._admin_token = ""

    @property
    def ws_url(self) -> str:
        return self.fleet.url("gateway").replace("http://", "ws://") + "/ws"

    @property
    def auth_url(self) -> str:
        return self.fleet.url("auth")

    def pids(self) -> dict[str, int]:
        return {name: s.process.pid for name, s in self.fleet.services.items() if s.process is not None}

    async def start(self) -> None:
        await _patiently(lambda: create_vhost(MANAGEMENT_URL, self.vhost), "RabbitMQ's management API")
        try:
            await self.fleet.start(ready_timeout=90.0)
        except BaseException:
            await self.stop()
            raise
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        admin = await self.login(username=ADMIN_USERNAME, password=self.admin_password)
        self._admin_token = admin["token"]

    async def login(self, **body: str) -> dict[str, Any]:
        assert self._http is not None
        headers = {"X-Forwarded-For": client_address(body.get("device_id") or body.get("username", ""))}
        async with self._http.post(f"{self.auth_url}/auth/login", json=body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"login failed ({response.status}): {await response.text()}")
            return await response.json()

    async def create_operators(self, count: int, label: str) -> list[dict[str, str]]:
        """``count`` operator accounts; returns username, password and uid of each."""
        assert self._http is not None
        headers = {"Authorization": f"Bearer {self._admin_token}"}
        operators = []
        for n in range(count):
            body = {"username": f"{label}-{self.run_id}-{n}", "password": "bench-operator-pw", "role": "operator"}
            async with self._http.post(f"{self.auth_url}/auth/users", json=body, headers=headers) as response:
                if response.status != 201:
                    raise RuntimeError(f"operator not created ({response.status}): {await response.text()}")
                operators.append(
                    {"username": body["username"], "password": body["password"], "uid": (await response.json())["uid"]}
                )
        return operators

    async def create_channel(self, name: str, operator_ids: list[str]) -> str:
        assert self._http is not None
        headers = {"Authorization": f"Bearer {self._admin_token}"}
        body = {"name": name, "welcome": "Hello from the bench", "operator_ids": operator_ids}
        async with self._http.post(
            f"{self.fleet.url('chat_session')}/channels", json=body, headers=headers
        ) as response:
            if response.status != 201:
                raise RuntimeError(f"channel not created ({response.status}): {await response.text()}")
            return str((await response.json())["id"])

    async def queued_messages(self) -> int:
        """Messages sitting in this run's RabbitMQ queues (a backlog the fleet has not caught up on)."""
        parts = urlsplit(MANAGEMENT_URL)
        base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
        auth = aiohttp.BasicAuth(parts.username or "guest", parts.password or "guest")
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(auth=auth, timeout=timeout) as session,
            session.get(f"{base}/api/queues/{quote(self.vhost, safe='')}") as response,
        ):
            queues = await response.json()
        return sum(int(queue.get("messages", 0) or 0) for queue in queues)

    async def wait_drained(self, timeout: float = 60.0) -> float:
        """Wait (bounded) until no queue holds messages; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if await self.queued_messages() == 0:
                break
            await asyncio.sleep(1.0)
        return time.monotonic() - started

    def log_problems(self, top: int = 8) -> dict[str, dict[str, int]]:
        """Warnings and errors each service logged, by event, most frequent first (a broker that
        went away under the run shows here as bus.connection_lost)."""
        problems: dict[str, dict[str, int]] = {}
        for name, service in self.fleet.services.items():
            counts: Counter[str] = Counter()
            if service.log_path.exists():
                for line in service.log_path.read_text(errors="replace").splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        counts["(not JSON) " + line[:80]] += 1
                        continue
                    if entry.get("level") in ("warning", "error", "critical"):
                        counts[f"{entry['level']}: {str(entry.get('event'))[:100]}"] += 1
            if counts:
                problems[name] = dict(counts.most_common(top))
        return problems

    async def stop(self) -> dict[str, int | None]:
        if self._http is not None:
            await self._http.close()
        codes = await self.fleet.stop()
        await self._clean()
        return codes

    async def _clean(self) -> None:
        await _patiently(lambda: delete_vhost(MANAGEMENT_URL, self.vhost), "RabbitMQ's management API")
        mongo: AsyncMongoClient = AsyncMongoClient(self.mongo_url)
        await mongo.drop_database(self.mongo_db)
        await mongo.close()
        client = redis.Redis.from_url(REDIS_URL)
        batch = []
        async for key in client.scan_iter(match=f"{self.redis_prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await client.delete(*batch)
                batch.clear()
        if batch:
            await client.delete(*batch)
        await client.aclose()
