"""Presence's Redis Lua scripts (``lua/*.lua``), each run atomically with the shared head.

Every change of a user's status is decided inside one script, so concurrent events on two
presence replicas cannot both see the same transition. A script that changes a status
returns it as a :class:`Change` to announce.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Literal, cast

import redis.asyncio as redis
from redis.commands.core import AsyncScript

from parley.stores import timed

Status = Literal["online", "away", "offline"]
SCRIPT_NAMES = (
    "open",
    "close",
    "heartbeat",
    "client_status",
    "activity",
    "set_availability",
    "sweep",
    "unannounced",
    "announced",
    "nodes",
)
# Bookkeeping (tombstones, last activity, an operator's role) outlives its last use by a day:
# far longer than any redelivery or presence outage, short enough not to pile up.
KEEP_SECONDS = 86_400


@dataclass(frozen=True)
class Change:
    """A user's new presence, to publish as presence.changed (``stamp`` identifies the change)."""

    user_id: str
    status: Status
    available: bool | None
    stamp: int


def changes_from(reply: list[str]) -> list[Change]:
    """Read the flat ``user, status, available, stamp, ...`` reply of a script."""
    return [
        Change(
            user_id=reply[i],
            status=cast(Status, reply[i + 1]),
            available=None if reply[i + 2] == "" else reply[i + 2] == "1",
            stamp=int(reply[i + 3]),
        )
        for i in range(0, len(reply), 4)
    ]


def presence_root(prefix: str) -> str:
    """The root of every presence key name. Its hash tag puts all of presence on one slot of a
    Redis Cluster: the scripts find users in shared indexes (heartbeat deadlines, away times,
    unannounced changes) and connections in a user's set while they run, so one call touches
    keys it cannot name beforehand. The cost: presence is served by one primary of a cluster."""
    return f"{prefix}{{presence}}:"


class PresenceScripts:
    """Runs the scripts with the arguments every one of them takes first."""

    def __init__(
        self, client: redis.Redis, prefix: str, ttl_seconds: float, away_seconds: float, grace_seconds: float = 0.0
    ) -> None:
        self.redis = client
        self.prefix = presence_root(prefix)
        self._head: list[str | int] = [_ms(ttl_seconds), _ms(away_seconds), _ms(KEEP_SECONDS), _ms(grace_seconds)]
        common = _source("common")
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(common + "\n" + _source(name)) for name in SCRIPT_NAMES
        }

    async def run(self, name: str, *args: str | int) -> list[str] | int:
        with timed("redis", f"presence_{name}"):
            result: list[str] | int = await self._scripts[name](keys=[self.prefix], args=[*self._head, *args])
            return result

    async def changes(self, name: str, *args: str | int) -> list[Change]:
        """Run a script that answers with changes."""
        return changes_from(cast(list[str], await self.run(name, *args)))


def _source(name: str) -> str:
    return (files("parley_presence") / "lua" / f"{name}.lua").read_text()


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
