"""The chaos suite's world, built once per session: its own RabbitMQ, Redis and FerretDB (never
the shared ones), Toxiproxy in front of them, the fleet with two gateways under a supervisor,
and chat traffic through the public WebSocket protocol. The fault table is printed at the end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley_fleet import SERVICES, Fleet, free_port
from tests.chaos.brokers import PrivateBrokers
from tests.chaos.faultproxy import Toxiproxy
from tests.chaos.faults import GATEWAY_AMQP, GATEWAY_REDIS
from tests.chaos.phases import ChaosRun, running
from tests.chaos.table import TABLE, write_table

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "chaos"
ADMIN = ("chaos-admin", "chaos-admin-" + uuid.uuid4().hex[:12])


@pytest.fixture(scope="session")
async def chaos() -> AsyncIterator[ChaosRun]:
    run_dir = ARTIFACTS / uuid.uuid4().hex[:8]
    run_dir.mkdir(parents=True)
    brokers = PrivateBrokers.on_free_ports(ROOT / ".infra" / f"chaos-{run_dir.name}")
    await brokers.up()
    proxy = Toxiproxy(run_dir / "toxiproxy.log")
    try:
        await proxy.start()
        fleet = Fleet(
            env=await _fleet_env(brokers, proxy, run_dir.name),
            log_dir=run_dir,
            ports={s: free_port() for s in SERVICES},
        )
        await fleet.start()
        gateway_amqp = await proxy.add_proxy(GATEWAY_AMQP, brokers.amqp_port)
        gateway_redis = await proxy.add_proxy(GATEWAY_REDIS, brokers.redis_port)
        await fleet.add_replica(
            "gateway",
            PARLEY_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{gateway_amqp}/",
            PARLEY_REDIS_URL=f"redis://127.0.0.1:{gateway_redis}/0",
        )
        async with running(brokers, proxy, fleet, brokers.mongo_url, f"parley_chaos_{run_dir.name}", ADMIN) as run:
            yield run
    finally:
        await proxy.stop()
        await brokers.down()


async def _fleet_env(brokers: PrivateBrokers, proxy: Toxiproxy, run_id: str) -> dict[str, str]:
    """Services reach every broker through the fault proxy."""
    amqp = await proxy.add_proxy("amqp", brokers.amqp_port)
    redis = await proxy.add_proxy("redis", brokers.redis_port)
    mongo = await proxy.add_proxy("mongo", brokers.mongo_port)
    return {
        "PARLEY_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{amqp}/",
        "PARLEY_REDIS_URL": f"redis://127.0.0.1:{redis}/0",
        "PARLEY_MONGO_URL": f"mongodb://127.0.0.1:{mongo}/",
        "PARLEY_MONGO_DB": f"parley_chaos_{run_id}",
        "PARLEY_NODE_ID_PREFIX": f"chaos-{run_id}",
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN[0],
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN[1],
        # The whole suite runs on one login per client: tokens outlive it.
        "PARLEY_AUTH_ACCESS_TOKEN_TTL_SECONDS": "3600",
        # The webhook ledger's receiver listens on 127.0.0.1 (tests/chaos/webhooks.py).
        "PARLEY_INTEGRATIONS_ALLOW_INSECURE_URLS": "true",
        "PARLEY_INTEGRATIONS_ALLOWED_HOSTS": '["127.0.0.1"]',
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TABLE.rows:
        path = write_table(ARTIFACTS / "table.txt")
        terminalreporter.write_sep("=", "chaos: fault table")
        terminalreporter.write_line(TABLE.render())
        terminalreporter.write_line(f"(also in {path})")
