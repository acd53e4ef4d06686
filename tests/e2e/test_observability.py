"""Every service's /metrics passes promtool's lint, exposes every metric the alert/recording rules
and the dashboard query, and a local Prometheus scrapes them all."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp

from parley_fleet import Fleet, LocalPrometheus, free_port
from tests.e2e.flows import visitor_with_operator

REPO = Path(__file__).resolve().parents[2]
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


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


def referenced_metric_names() -> set[str]:
    """Every parley_* series the Prometheus rules and the Grafana dashboard query."""
    rules = "".join(path.read_text() for path in (REPO / "deploy/prometheus/rules").glob("*.yml"))
    dashboard = json.dumps(json.loads((REPO / "deploy/grafana/dashboards/parley.json").read_text()))
    return set(re.findall(r"(?<![:\w])(parley_[a-z0-9_]+)", rules + dashboard))


async def exposition(session: aiohttp.ClientSession, fleet: Fleet) -> dict[str, str]:
    texts = {}
    for name, service in fleet.services.items():
        async with session.get(f"{service.url}/metrics") as response:
            texts[name] = await response.text()
    return texts


def sample(text: str, series: str) -> float:
    """The value of one series (name and labels exactly as exposed), 0 if absent."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_every_metric_the_rules_and_dashboard_use_is_exposed(fleet: Fleet) -> None:
    referenced = referenced_metric_names()
    assert "parley_messages_stored_total" in referenced and "parley_chatbot_steps_total" in referenced
    async with aiohttp.ClientSession() as session:
        texts = await exposition(session, fleet)
    typed = {name for text in texts.values() for name in re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE)}
    exposed = typed | {name + suffix for name in typed for suffix in HISTOGRAM_SUFFIXES}
    assert referenced - exposed == set(), "queried by rules or dashboard but exposed by no service"


async def test_chat_and_staffing_metrics_move(fleet: Fleet) -> None:
    """A message stored and delivered, a queue wait observed, an available operator at load 1 counted."""
    delivered = "parley_message_delivery_latency_seconds_count"
    async with aiohttp.ClientSession() as session:
        before_all = await exposition(session, fleet)
        before = before_all["chat_session"]
        async with visitor_with_operator(session, fleet, "hi"):
            after = await _wait_for_staffing(session, fleet)
            gateway_after = (await exposition(session, fleet))["gateway"]
    assert sample(gateway_after, delivered) >= sample(before_all["gateway"], delivered) + 1
    stored = 'parley_messages_stored_total{kind="text"}'
    assert sample(after, stored) >= sample(before, stored) + 1
    waits = "parley_visitor_queue_wait_seconds_count"
    assert sample(after, waits) >= sample(before, waits) + 1
    assert sample(after, "parley_operators_available") >= 1
    assert 0 < sample(after, "parley_operator_load_ratio") <= 1


async def _wait_for_staffing(session: aiohttp.ClientSession, fleet: Fleet, timeout: float = 15.0) -> str:
    """chat_session's metrics once its staffing gauges (refreshed every second here) see an operator at work."""
    deadline = time.monotonic() + timeout
    while True:
        text = (await exposition(session, fleet))["chat_session"]
        if sample(text, "parley_operator_load_ratio") > 0 or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.5)


async def test_local_prometheus_scrapes_every_service(fleet: Fleet, tmp_path: Path) -> None:
    assert LocalPrometheus.available(), "prometheus missing: `make tools` installs Debian's prometheus package"
    prometheus = LocalPrometheus({name: s.port for name, s in fleet.services.items()}, tmp_path, free_port())
    await prometheus.start()
    try:
        health = await _wait_for_targets(prometheus.url, set(fleet.services), timeout=60)
        assert health == dict.fromkeys(fleet.services, "up"), health
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
