"""The whole fleet as real processes on this run's isolated infrastructure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME, ARTIFACTS, fleet_for

__all__ = ["ADMIN_PASSWORD", "ADMIN_USERNAME", "ARTIFACTS", "fleet"]


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    # Staffing gauges every second rather than every 15 s, so a test can see them move.
    async with fleet_for(infra, "e2e", PARLEY_CHAT_STAFFING_REFRESH_SECONDS="1") as running:
        yield running
