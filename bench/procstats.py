"""Processes measured with psutil: CPU seconds, RSS, the machine, and who else is busy on it."""

from __future__ import annotations

import asyncio
import os
import platform
import time
from typing import Any

import psutil

# The shared servers, found by process name. Other engineers' test runs use them too, so their
# CPU is reported as "shared" and never divided into Parley's per-message cost.
INFRA_PROCESS_NAMES = {
    "beam.smp": "rabbitmq (shared)",
    "redis-server": "redis (shared)",
    "ferretdb": "ferretdb (shared)",
}
# Servers the bench started for itself (bench/privatedb.py): measured under their own label,
# never as a shared one.
OWN_PIDS: set[int] = set()


def infra_pids(min_age_seconds: float = 0.0) -> dict[str, set[int]]:
    """The pids of the shared servers, by label (empty when one is not running); ``min_age_seconds``
    leaves out short-lived namesakes (``rabbitmqctl`` runs a beam.smp of its own for a moment)."""
    found: dict[str, set[int]] = {label: set() for label in INFRA_PROCESS_NAMES.values()}
    now = time.time()
    for process in psutil.process_iter():
        try:
            label = INFRA_PROCESS_NAMES.get(process.name())
            old_enough = now - process.create_time() >= min_age_seconds
        except psutil.Error:
            continue
        if label and old_enough and process.pid not in OWN_PIDS:
            found[label].add(process.pid)
    return found


class Watch:
    """CPU seconds and RSS of named processes, read together so they line up in time."""

    def __init__(self, pids: dict[str, int | list[int]]) -> None:
        self.processes: dict[str, list[psutil.Process]] = {}
        for name, pid in pids.items():
            self.processes[name] = [psutil.Process(p) for p in (pid if isinstance(pid, list) else [pid])]

    @classmethod
    def with_infra(cls, pids: dict[str, int | list[int]]) -> Watch:
        found = {label: sorted(pids) for label, pids in infra_pids().items() if pids}
        return cls({**pids, **found})

    def cpu(self) -> dict[str, float]:
        """Total user+system CPU seconds so far, per name (a vanished process counts 0)."""
        totals: dict[str, float] = {}
        for name, processes in self.processes.items():
            total = 0.0
            for process in processes:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
            totals[name] = total
        return totals

    def rss(self, name: str) -> int:
        return sum(_rss(process) for process in self.processes[name])


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.Error:
        return 0


class CpuSpan:
    """CPU used by each watched process between :meth:`start` and :meth:`stop`."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self._cpu0: dict[str, float] = {}
        self._t0 = 0.0
        self.seconds = 0.0
        self.used: dict[str, float] = {}

    def start(self) -> CpuSpan:
        self._cpu0, self._t0 = self.watch.cpu(), time.perf_counter()
        return self

    def stop(self) -> CpuSpan:
        cpu1 = self.watch.cpu()
        self.seconds = time.perf_counter() - self._t0
        self.used = {name: cpu1[name] - self._cpu0.get(name, 0.0) for name in cpu1}
        return self

    def percent(self) -> dict[str, float]:
        """Average CPU use over the span, 100 = one core."""
        return {name: 100.0 * used / self.seconds for name, used in self.used.items()} if self.seconds else {}


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg": os.getloadavg(),
    }


def busy_neighbours(exclude: set[int], sample_seconds: float = 1.0, top: int = 8) -> list[dict[str, Any]]:
    """The processes (not ours) using the most CPU right now: what else was running."""
    processes = []
    for process in psutil.process_iter():
        if process.pid in exclude:
            continue
        try:
            process.cpu_percent(None)
            processes.append(process)
        except psutil.Error:
            pass
    time.sleep(sample_seconds)
    busy = []
    for process in processes:
        try:
            percent = process.cpu_percent(None)
            command = " ".join(process.cmdline()) if percent >= 1.0 else ""
        except psutil.Error:
            continue
        if percent >= 1.0:
            busy.append({"pid": process.pid, "cpu_percent": round(percent, 1), "command": command[:120]})
    return sorted(busy, key=lambda entry: -entry["cpu_percent"])[:top]


class DescriptorSampler:
    """The most file descriptors (and sockets to Redis) one process held while it ran: a storm
    can open a socket per in-flight Redis call, and the process dies at RLIMIT_NOFILE."""

    def __init__(self, pid: int, redis_port: int = 6379, interval: float = 1.0) -> None:
        self.process = psutil.Process(pid)
        self.redis_port = redis_port
        self.interval = interval
        self.max_fds = 0
        self.max_redis_sockets = 0

    def sample(self) -> None:
        try:
            self.max_fds = max(self.max_fds, self.process.num_fds())
            redis_sockets = sum(
                1 for c in self.process.net_connections(kind="tcp") if c.raddr and c.raddr.port == self.redis_port
            )
            self.max_redis_sockets = max(self.max_redis_sockets, redis_sockets)
        except psutil.Error:
            pass

    def report(self) -> dict[str, int]:
        return {"max_open_files": self.max_fds, "max_sockets_to_redis": self.max_redis_sockets}


async def sample_descriptors(sampler: DescriptorSampler) -> None:
    """Sample until cancelled (off the event loop: reading /proc for 20k sockets takes a while)."""
    while True:
        await asyncio.to_thread(sampler.sample)
        await asyncio.sleep(sampler.interval)


class InfraMonitor:
    """Notices when a shared server process (RabbitMQ, Redis, FerretDB) dies during the run: other
    engineers' fault-injection tests stop them, and figures taken then are not comparable. (A
    RabbitMQ stopped with ``rabbitmqctl stop_app`` keeps its process; the fleet's logs show that
    one as bus.connection_lost, see ParleyUnderTest.log_problems.)"""

    # Only processes this old count as the server (not a passing rabbitmqctl).
    MIN_AGE_SECONDS = 30.0

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.phase = "start"
        self._seen = infra_pids(self.MIN_AGE_SECONDS)

    async def run(self, interval: float = 2.0) -> None:
        while True:
            await asyncio.sleep(interval)
            alive = await asyncio.to_thread(infra_pids)
            for label, pids in self._seen.items():
                gone = pids - alive.get(label, set())
                if gone:
                    what = f"process {sorted(gone)} ended"
                    self.events.append(
                        {"server": label, "what": what, "at": time.strftime("%H:%M:%S"), "phase": self.phase}
                    )
                    pids -= gone
            for label, pids in (await asyncio.to_thread(infra_pids, self.MIN_AGE_SECONDS)).items():
                self._seen[label] |= pids
