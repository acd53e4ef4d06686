"""RabbitMQ goes away for a few seconds: every service says not-ready, then recovers by itself."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest

from parley_fleet import Fleet
from tests.e2e.flows import exchange_one_message

ROOT = Path(__file__).resolve().parents[2]
RABBITMQCTL = ROOT / "deploy" / "infra" / "rabbitmqctl.sh"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["bash", str(RABBITMQCTL), *args], check=True, capture_output=True, timeout=60)


async def readiness(session: aiohttp.ClientSession, fleet: Fleet) -> dict[str, int]:
    statuses = {}
    for name, service in fleet.services.items():
        try:
            async with session.get(f"{service.url}/readyz") as response:
                statuses[name] = response.status
        except aiohttp.ClientError:
            statuses[name] = 0
    return statuses


async def wait_until(session: aiohttp.ClientSession, fleet: Fleet, want: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    statuses = await readiness(session, fleet)
    while time.monotonic() < deadline and any(code != want for code in statuses.values()):
        await asyncio.sleep(0.25)
        statuses = await readiness(session, fleet)
    return statuses


@pytest.mark.skipif(
    not (ROOT / ".infra" / "rabbitmq" / "nodename").exists(),
    reason="RabbitMQ was not started by this checkout's `make infra`, so the test cannot stop it",
)
async def test_services_go_unready_and_recover_without_restart(fleet: Fleet) -> None:
    pids_before = {name: service.process.pid for name, service in fleet.services.items() if service.process}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        assert set((await readiness(session, fleet)).values()) == {200}
        rabbitmqctl("stop_app")
        try:
            down = await wait_until(session, fleet, 503, timeout=15)
            assert set(down.values()) == {503}, f"still ready with the broker away: {down}"
        finally:
            rabbitmqctl("start_app")
        up = await wait_until(session, fleet, 200, timeout=45)
        assert set(up.values()) == {200}, f"did not recover by themselves: {up}"
        # Same processes (nobody restarted them), and the whole message path works again.
        assert {name: service.process.pid for name, service in fleet.services.items() if service.process} == pids_before
        await exchange_one_message(session, fleet, "after the outage")
