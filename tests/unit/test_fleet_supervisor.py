"""The fleet's supervisor restarts a process killed from outside, and leaves stopped ones alone."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from parley_fleet import Fleet, Supervisor
from parley_fleet.processes import ServiceProcess


def sleeper_fleet(tmp_path: Path) -> Fleet:
    fleet = Fleet(env={}, log_dir=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    fleet.services = {
        "sleeper": ServiceProcess("sleeper", 0, env, tmp_path / "sleeper.log", module="tests.unit.sleeper")
    }
    return fleet


async def wait_for_new_pid(service: ServiceProcess, old_pid: int, timeout: float = 10.0) -> int:
    async def changed() -> int:
        while service.process is None or service.process.pid == old_pid:
            await asyncio.sleep(0.05)
        return service.process.pid

    return await asyncio.wait_for(changed(), timeout)


async def test_a_killed_process_is_restarted_by_the_supervisor(tmp_path: Path) -> None:
    fleet = sleeper_fleet(tmp_path)
    service = fleet.services["sleeper"]
    await service.start()
    supervisor = Supervisor(fleet)
    supervisor.start()
    try:
        assert service.process is not None
        first = service.process.pid
        os.kill(first, signal.SIGKILL)  # kill -9 from outside, as the chaos tests do
        second = await wait_for_new_pid(service, first)
        assert second != first and service.process.returncode is None
        assert [(r.name, r.exit_code) for r in supervisor.restarts] == [("sleeper", -signal.SIGKILL)]
        os.kill(second, signal.SIGKILL)  # again: restarted again, after a longer back-off
        await wait_for_new_pid(service, second)
        assert supervisor.restart_count("sleeper") == 2
    finally:
        await supervisor.stop()
        await service.stop(timeout=5)


async def test_a_process_asked_to_stop_stays_stopped(tmp_path: Path) -> None:
    fleet = sleeper_fleet(tmp_path)
    service = fleet.services["sleeper"]
    await service.start()
    supervisor = Supervisor(fleet)
    supervisor.start()
    try:
        assert await service.stop(timeout=5) == -signal.SIGTERM
        await asyncio.sleep(1.5)  # longer than the first back-off
        assert supervisor.restarts == []
        assert service.process is not None and service.process.returncode is not None
    finally:
        await supervisor.stop()
