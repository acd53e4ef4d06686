"""The connection registry in Redis: who is connected where, and whether they are online.

Keys (under ``<prefix>{presence}:``, one hash tag: ``scripts.presence_root``): ``conn:<id>`` a
hash (user, node, role, kind, visible, opened, hb = last heartbeat); ``user:<id>:conns`` the
user's connection ids;
``user:<id>:status`` online or away (absent: offline); ``user:<id>:active`` the last activity;
``deadlines`` a sorted set of every connection's heartbeat deadline, which the sweeper expires
(a gateway that dies without a goodbye stops sending heartbeats, and its connections pass
their deadline); ``away_at`` when each online user becomes away if idle. An expired
connection's hash stays a day (its Redis expiry), so that a node whose heartbeats were only
delayed (a broker outage longer than the TTL) gets its connections back with its next batch.
"""

from __future__ import annotations

from typing import Any, cast

from parley.contracts.events import ConnectionOpened
from parley.stores import get_many
from parley_presence.scripts import Change, PresenceScripts, Status, changes_from

# Connection ids per heartbeat script call: a 10,000-connection node's batch becomes ten short
# scripts rather than one long one that would hold Redis (single-threaded) for milliseconds.
HEARTBEAT_CHUNK = 1000
# Entries one sweep handles at most; a mass expiry (a node with 50,000 sockets died) is then
# spread over successive sweeps instead of blocking Redis in one script.
SWEEP_LIMIT = 2000


class ConnectionRegistry:
    """Connections and statuses; every method that can change a status returns the changes."""

    def __init__(self, scripts: PresenceScripts) -> None:
        self.scripts = scripts

    async def opened(self, event: ConnectionOpened) -> list[Change]:
        return await self.scripts.changes(
            "open", event.connection_id, event.user_id, event.node, event.role, event.client_kind
        )

    async def closed(self, connection_id: str, user_id: str) -> list[Change]:
        return await self.scripts.changes("close", connection_id, user_id)

    async def heartbeat(self, connection_ids: list[str]) -> tuple[list[str], list[Change]]:
        """Extend every listed connection's deadline, reviving any the sweeper had expired
        while the node still held it; returns (the ids presence has no record of, changes)."""
        unknown: list[str] = []
        changes: list[Change] = []
        for start in range(0, len(connection_ids), HEARTBEAT_CHUNK):
            reply = cast(
                list[Any], await self.scripts.run("heartbeat", *connection_ids[start : start + HEARTBEAT_CHUNK])
            )
            unknown += [str(connection_id) for connection_id in reply[0]]
            changes += changes_from(reply[1:])
        return unknown, changes

    async def client_status(self, connection_id: str, status: str) -> list[Change]:
        return await self.scripts.changes("client_status", connection_id, status)

    async def activity(self, user_ids: list[str]) -> list[Change]:
        """The users did something: an idle (away) but visible user is online again."""
        if not user_ids:
            return []
        return await self.scripts.changes("activity", *dict.fromkeys(user_ids))

    async def sweep(self) -> tuple[int, list[Change]]:
        """Expire connections past their deadline and idle users; returns (expired, changes)."""
        reply = cast(list[str], await self.scripts.run("sweep", SWEEP_LIMIT))
        return int(reply[0]), changes_from(reply[1:])

    async def nodes_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        """node -> users (of those asked) with a live connection there, in one round trip."""
        if not user_ids:
            return {}
        pairs = cast(list[str], await self.scripts.run("nodes", *dict.fromkeys(user_ids)))
        nodes: dict[str, list[str]] = {}
        for user_id, node in zip(pairs[::2], pairs[1::2], strict=True):
            users = nodes.setdefault(node, [])
            if not users or users[-1] != user_id:
                users.append(user_id)
        return nodes

    async def statuses(self, user_ids: list[str]) -> dict[str, Status]:
        """Each user's status, in one round trip."""
        unique = list(dict.fromkeys(user_ids))
        if not unique:
            return {}
        keys = [f"{self.scripts.prefix}user:{user_id}:status" for user_id in unique]
        values = await get_many(self.scripts.redis, keys)
        return {user_id: cast(Status, value or "offline") for user_id, value in zip(unique, values, strict=True)}
