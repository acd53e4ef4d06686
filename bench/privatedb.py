"""A FerretDB of the bench's own, its SQLite files on tmpfs, on a free port.

The shared FerretDB (``make infra``) holds every other session's databases on disk, and its
SQLite writes wait for each other and for the disk: a chat run against it measures mostly the
other sessions. A private FerretDB with its files in /dev/shm measures the MongoDB-wire server
as a server, without the disk and without the neighbours (``--mongo shared`` uses the shared
one instead). It is the same FerretDB binary, started and removed by the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import aiohttp
from pymongo import AsyncMongoClient

from parley_fleet import free_port

PATCHES = Path(__file__).resolve().parent.parent / "deploy" / "infra"


def patched_build_name() -> str:
    """The build deploy/infra/up.sh makes: FerretDB with every deploy/infra/ferretdb-*.patch,
    named after their contents (the same sum up.sh takes)."""
    patches = sorted(PATCHES.glob("ferretdb-*.patch"), key=lambda path: path.name.encode())
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in patches)).hexdigest()
    return f"ferretdb-v1.24.2-parley-{digest[:8]}"


def ferretdb_binary() -> str | None:
    """The binary ``make infra`` uses (deploy/infra/up.sh looks in the same places first);
    ``PARLEY_FERRETDB_BIN`` names another, e.g. an unpatched build for an A/B."""
    gopath = Path(os.environ.get("GOPATH", Path.home() / "go"))
    for candidate in (os.environ.get("PARLEY_FERRETDB_BIN"), str(gopath / "bin" / patched_build_name())):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class PrivateFerretDB:
    """``await start()``, then :attr:`url` and :attr:`pid`; ``await stop()`` removes its files."""

    def __init__(self, binary: str, log_path: Path) -> None:
        self.binary = binary
        self.log_path = log_path
        self.port = free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        # FerretDB's own Prometheus metrics (requests and time per command): what the database did.
        self.debug_port = free_port()
        self._home = Path(
            tempfile.mkdtemp(prefix="parley-bench-ferretdb-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self, timeout: float = 30.0) -> None:
        (self._home / "data").mkdir()
        command = [
            self.binary,
            "--handler=sqlite",
            f"--sqlite-url=file:{self._home / 'data'}/",
            f"--listen-addr=127.0.0.1:{self.port}",
            f"--state-dir={self._home}",
            "--telemetry=disable",
            f"--debug-addr=127.0.0.1:{self.debug_port}",
            "--log-level=warn",
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        await self._wait_ready(timeout)

    async def _wait_ready(self, timeout: float) -> None:
        client: AsyncMongoClient = AsyncMongoClient(self.url, serverSelectionTimeoutMS=int(timeout * 1000))
        try:
            await client.admin.command("ping")
        finally:
            await client.close()

    async def command_metrics(self) -> str:
        """FerretDB's Prometheus text, only its request counters and durations (ferretdb_client_*)."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"http://127.0.0.1:{self.debug_port}/debug/metrics") as response,
        ):
            text = await response.text()
        return "\n".join(line for line in text.splitlines() if line.startswith("ferretdb_client_"))

    async def requests_by_command(self) -> dict[str, int]:
        """Requests served so far, by command (find, insert, update, ...)."""
        return requests_by_command(await self.command_metrics())

    async def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                await asyncio.to_thread(self._process.wait, 10.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
        shutil.rmtree(self._home, ignore_errors=True)


def requests_by_command(metrics_text: str) -> dict[str, int]:
    """Sum ``ferretdb_client_requests_total`` by its ``command`` label."""
    requests: dict[str, int] = {}
    for line in metrics_text.splitlines():
        if line.startswith("ferretdb_client_requests_total{"):
            labels, value = line.rsplit(" ", 1)
            command = labels.split('command="', 1)[1].split('"', 1)[0]
            requests[command] = requests.get(command, 0) + int(float(value))
    return dict(sorted(requests.items(), key=lambda item: -item[1]))
