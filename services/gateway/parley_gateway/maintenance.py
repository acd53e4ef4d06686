"""Maintenance mode: one switch in Redis that every gateway node watches.

While it is on, new connections get error 1002 and close 1013 (try later), and frames on live
connections (except ``ping``) get error 1002; live clients are told with a ``notice``. Admins
switch it with ``PUT /admin/maintenance`` on any gateway node (or by writing the key directly);
every node picks it up within ``gateway_maintenance_poll_seconds``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import redis.asyncio as redis
from pydantic import Field, StringConstraints
from redis.exceptions import RedisError

from parley.contracts.base import Model
from parley.http_api import Call
from parley.logs import get_logger
from parley.stores import as_text

log = get_logger("parley.gateway")
DEFAULT_TEXT = "Parley is down for maintenance; please come back in a few minutes."


class MaintenanceSwitch(Model):
    enabled: bool
    message: Annotated[str, StringConstraints(max_length=500)] = Field(
        DEFAULT_TEXT, description="What clients are told (error 1002 and the notice)."
    )


class Maintenance:
    def __init__(
        self, client: redis.Redis, prefix: str, poll_seconds: float, on_change: Callable[[str | None], None]
    ) -> None:
        self._redis = client
        self.key = f"{prefix}gateway:maintenance"
        self.poll_seconds = poll_seconds
        self.message: str | None = None  # None: not in maintenance
        self._on_change = on_change  # gets the new message, or None when maintenance ends

    @property
    def active(self) -> bool:
        return self.message is not None

    async def switch(self, state: MaintenanceSwitch) -> None:
        """Set the fleet-wide switch; this node applies it at once, the others at their next poll."""
        message = (state.message or DEFAULT_TEXT) if state.enabled else None
        if message is not None:
            await self._redis.set(self.key, message)
        else:
            await self._redis.delete(self.key)
        self._apply(message)

    async def watch(self) -> None:
        """Poll the switch for the life of the process."""
        while True:
            try:
                current = await self._redis.get(self.key)
            except RedisError as error:
                log.warning("gateway.maintenance_unreadable", error=str(error))  # keep the last known state
            else:
                self._apply(None if current is None else as_text(current))
            await asyncio.sleep(self.poll_seconds)

    def _apply(self, message: str | None) -> None:
        if message != self.message:
            log.info("gateway.maintenance", active=message is not None)
            self.message = message
            self._on_change(message)


class MaintenanceState(Model):
    enabled: bool
    message: str = Field(description="What clients are told while it is on; empty when off.")


class MaintenanceApi:
    """``GET``/``PUT /admin/maintenance`` for admins (in the gateway's table, http_endpoints.py)."""

    def __init__(self, maintenance: Maintenance) -> None:
        self.maintenance = maintenance

    async def get_maintenance(self, _call: Call) -> MaintenanceState:
        message = self.maintenance.message
        return MaintenanceState(enabled=message is not None, message=message or "")

    async def switch_maintenance(self, call: Call) -> MaintenanceState:
        state: MaintenanceSwitch = call.body
        await self.maintenance.switch(state)
        log.info("gateway.maintenance_switched", enabled=state.enabled)
        return MaintenanceState(enabled=state.enabled, message=state.message if state.enabled else "")
