"""Starting Parley for a test: the one fleet starter of the suites (``fleet_for``), on this run's
isolated infrastructure, with the run's admin account; one more replica is ``Fleet.add_replica``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from parley_fleet import SERVICES, Fleet, create_vhost, delete_vhost, running_fleet
from tests.conftest import MANAGEMENT_URL, Infra

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
# The administrator every fleet of the run is started with (auth creates it at start).
ADMIN_USERNAME = "e2e-admin"
ADMIN_PASSWORD = "e2e-admin-" + uuid.uuid4().hex[:12]


def fleet_env(infra: Infra, name: str, **settings: str) -> dict[str, str]:
    """The settings of a fleet named ``name`` on ``infra``, with extra PARLEY_* ``settings``."""
    return {
        **infra.env(),
        "PARLEY_NODE_ID_PREFIX": f"{name}-{infra.run_id}",
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **settings,
    }


@asynccontextmanager
async def fleet_for(
    infra: Infra,
    name: str,
    *,
    services: Iterable[str] = SERVICES,
    own_vhost: bool = False,
    ready_timeout: float = 60.0,
    log_root: Path = ARTIFACTS,
    **settings: str,
) -> AsyncIterator[Fleet]:
    """``services`` (all six unless told) on ``infra`` with extra PARLEY_* ``settings``, ready for
    the block; their logs under ``log_root/<name>-<run>-<random>``. ``own_vhost``: a RabbitMQ
    vhost and Redis key prefix of the fleet's own, for a module that counts events or connections
    and must not see another module's fleet (or its leftovers) in them."""
    suffix = uuid.uuid4().hex[:4]
    vhost = f"{infra.vhost}-{name}-{suffix}"
    if own_vhost:
        await create_vhost(MANAGEMENT_URL, vhost)
        settings = {
            "PARLEY_AMQP_URL": infra.amqp_url.rsplit("/", 1)[0] + "/" + vhost,
            "PARLEY_REDIS_KEY_PREFIX": f"{infra.redis_prefix}{name}-{suffix}:",
            **settings,
        }
    try:
        async with running_fleet(
            fleet_env(infra, name, **settings),
            log_root / f"{name}-{infra.run_id}-{suffix}",
            services=services,
            ready_timeout=ready_timeout,
        ) as fleet:
            yield fleet
    finally:
        if own_vhost:
            await delete_vhost(MANAGEMENT_URL, vhost)
