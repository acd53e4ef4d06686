"""The connection registry in Redis.

``conn:<id>`` is a hash (user, node, role, kind) that expires unless heartbeats refresh it;
``user:<id>:conns`` is the set of a user's connection ids (no expiry of its own: heartbeats name
connections, not users, so the set is pruned when read). A set member whose hash expired is a
connection of a node that died without saying goodbye: lookups skip it and remove it.
"""

from __future__ import annotations

import redis.asyncio as redis

from parley.contracts.events import ConnectionOpened
from parley.stores import timed


class ConnectionRegistry:
    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _conn(self, connection_id: str) -> str:
        return f"{self.prefix}conn:{connection_id}"

    def _user(self, user_id: str) -> str:
        return f"{self.prefix}user:{user_id}:conns"

    async def opened(self, event: ConnectionOpened) -> int:
        """Record a connection; returns how many live connections the user has now."""
        with timed("redis", "presence_open"):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(
                    self._conn(event.connection_id),
                    mapping={"user": event.user_id, "node": event.node, "role": event.role, "kind": event.client_kind},
                )
                pipe.expire(self._conn(event.connection_id), self.ttl)
                pipe.sadd(self._user(event.user_id), event.connection_id)
                await pipe.execute()
        return len(await self.live_connections(event.user_id))

    async def closed(self, connection_id: str, user_id: str) -> int:
        """Forget a connection; returns how many live connections the user still has."""
        with timed("redis", "presence_close"):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._conn(connection_id))
                pipe.srem(self._user(user_id), connection_id)
                await pipe.execute()
        return len(await self.live_connections(user_id))

    async def heartbeat(self, connection_ids: list[str]) -> None:
        """Extend the life of every listed connection (one round trip for the whole batch)."""
        if not connection_ids:
            return
        with timed("redis", "presence_heartbeat"):
            async with self.redis.pipeline(transaction=False) as pipe:
                for connection_id in connection_ids:
                    pipe.expire(self._conn(connection_id), self.ttl)
                await pipe.execute()

    async def live_connections(self, user_id: str) -> dict[str, str]:
        """connection id -> node, for the user's connections that are still alive."""
        connection_ids = sorted(await self.redis.smembers(self._user(user_id)))
        if not connection_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for connection_id in connection_ids:
                pipe.hget(self._conn(connection_id), "node")
            nodes = await pipe.execute()
        dead = [cid for cid, node in zip(connection_ids, nodes, strict=True) if node is None]
        if dead:
            await self.redis.srem(self._user(user_id), *dead)
        return {cid: node for cid, node in zip(connection_ids, nodes, strict=True) if node is not None}

    async def nodes_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        """node -> users (of those asked) with a live connection there."""
        with timed("redis", "presence_lookup"):
            nodes: dict[str, list[str]] = {}
            for user_id in dict.fromkeys(user_ids):
                for node in set((await self.live_connections(user_id)).values()):
                    nodes.setdefault(node, []).append(user_id)
            return nodes
