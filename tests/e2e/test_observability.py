"""Every service's /metrics passes promtool's lint, and a local Prometheus scrapes them all."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest

from parley_fleet import Fleet, LocalPrometheus, free_port

pytestmark = pytest.mark.e2e


async def test_metrics_follow_prometheus_conventions(fleet: Fleet) -> None:
    assert shutil.which("promtool"), "promtool missing: `make tools` installs Debian's prometheus package"
    async with aiohttp.ClientSession() as session:
        for name, service in fleet.services.items():
            async with session.get(f"{service.url}/metrics") as response:
                assert response.status == 200
                exposition = await response.read()
            assert b"parley_bus_published_total" in exposition or b"parley_bus_connected" in exposition, name
            lint = subprocess.run(["promtool", "check", "metrics"], input=exposition, capture_output=True, timeout=30)
            problems = (lint.stdout + lint.stderr).decode().strip()
            assert lint.returncode == 0 and not problems, f"{name}: {problems}"


async def test_local_prometheus_scrapes_every_service(fleet: Fleet, tmp_path: Path) -> None:
    assert LocalPrometheus.available(), "prometheus missing: `make tools` installs Debian's prometheus package"
    prometheus = LocalPrometheus({name: s.port for name, s in fleet.services.items()}, tmp_path, free_port())
    await prometheus.start()
    try:
        health = await _wait_for_targets(prometheus.url, set(fleet.services), timeout=60)
        assert health == {name: "up" for name in fleet.services}, health
    finally:
        await prometheus.stop()


async def _wait_for_targets(url: str, services: set[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    health: dict[str, str] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/api/v1/targets") as response:
                    targets = (await response.json())["data"]["activeTargets"]
                health = {t["labels"]["service"]: t["health"] for t in targets if t["labels"].get("job") == "parley"}
                if set(health) == services and set(health.values()) == {"up"}:
                    return health
            except (aiohttp.ClientError, TimeoutError, KeyError):
                pass
            await asyncio.sleep(1)
    return health
