"""Restart the fleet's processes that die without being asked to, as Kubernetes restarts a
crashed container: the same command and environment, after a back-off that grows while the
process keeps crashing soon after its start (CrashLoopBackOff, in seconds rather than minutes)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from parley_fleet.processes import Fleet, ServiceProcess

# First wait before a restart: long enough not to spin on a process that dies at once, short
# enough that a crash costs a service a second or two (Kubernetes starts at 10 s).
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 10.0
# A process that ran this long before dying counts as healthy again: the back-off restarts.
STABLE_AFTER_SECONDS = 30.0


@dataclass
class Restart:
    name: str
    exit_code: int | None
    at: float  # time.monotonic() of the restart


@dataclass
class Supervisor:
    """Watches every process of ``fleet`` (and replicas added later, through :meth:`watch`)."""

    fleet: Fleet
    restarts: list[Restart] = field(default_factory=list)
    _watchers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def start(self) -> None:
        for name in self.fleet.services:
            self.watch(name)

    def watch(self, name: str) -> None:
        if name not in self._watchers:
            self._watchers[name] = asyncio.create_task(self._supervise(name, self.fleet.services[name]))

    def restart_count(self, name: str) -> int:
        return sum(1 for restart in self.restarts if restart.name == name)

    async def stop(self) -> None:
        """Stop watching (before the fleet is stopped, or its exits would be restarts)."""
        for task in self._watchers.values():
            task.cancel()
        await asyncio.gather(*self._watchers.values(), return_exceptions=True)
        self._watchers.clear()

    async def _supervise(self, name: str, service: ServiceProcess) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            process = service.process
            if process is None:
                return
            started = time.monotonic()
            code = await process.wait()
            if service.stopped:
                return  # asked to stop: not a crash
            if time.monotonic() - started > STABLE_AFTER_SECONDS:
                backoff = FIRST_BACKOFF_SECONDS
            await asyncio.sleep(backoff)
            if service.stopped:
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            self.restarts.append(Restart(name, code, time.monotonic()))
            await service.start()
