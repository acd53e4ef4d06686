"""The whole fleet as real processes on this run's isolated infrastructure."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley_fleet import SERVICES, Fleet, free_port
from tests.conftest import Infra

ADMIN_USERNAME = "e2e-admin"
ADMIN_PASSWORD = "e2e-admin-" + uuid.uuid4().hex[:12]
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    env = {
        **infra.env(),
        "PARLEY_NODE_ID_PREFIX": f"e2e-{infra.run_id}",
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Staffing gauges every second rather than every 15 s, so a test can see them move.
        "PARLEY_CHAT_STAFFING_REFRESH_SECONDS": "1",
    }
    running = Fleet(
        env=env,
        log_dir=ARTIFACTS / f"fleet-{infra.run_id}-{uuid.uuid4().hex[:4]}",
        ports={name: free_port() for name in SERVICES},
    )
    try:
        await running.start()
        yield running
    finally:
        codes = await running.stop()
    assert all(code == 0 for code in codes.values()), f"services did not stop cleanly: {codes}"
