"""One fleet for the accounts tests (verified visitors, staff lifecycle, per-channel origins):
started once for the package, since starting it costs more than all their steps together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.gateway_fleet import login
from tests.kit.fleet import fleet_for
from tests.kit.seeding import Seeder


@pytest.fixture(scope="package")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(infra, "accounts") as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(scope="package")
async def admin(fleet: Fleet) -> str:
    async with aiohttp.ClientSession() as client:
        answer = await login(client, fleet, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    return str(answer["token"])


async def new_channel(session: aiohttp.ClientSession, fleet: Fleet, admin: str, **spec: Any) -> str:
    return await Seeder(session, fleet, admin).channel(**{"name": "Shop", **spec})


async def new_staff(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str, role: str = "operator"
) -> tuple[str, str, str]:
    """A new staff account: (uid, username, password)."""
    staff = await Seeder(session, fleet, admin).staff(role, "Olivia Staff", password="a-good-password")
    return staff.uid, staff.username, staff.password
