"""What presence is told of this node's connections opening and closing, in batches.

One ``gateway.connections_changed`` per batch instead of one event per connect: the first
connect of a quiet moment goes at once, and every connect or close that comes while a publish
is on its way to the broker shares the next one (``parley.batching``). A reconnect storm of
thousands of clients is then tens of publishes and confirms, not thousands, on the gateway and
in presence. A connect still waits for its batch to be confirmed before ``auth.ok``: presence
knows of it (for web push and status) before the client is told it is connected.
"""

from __future__ import annotations

from parley.batching import Batcher
from parley.bus import Bus
from parley.contracts.events import ClosedConnection, ConnectionsChanged, OpenedConnection
from parley_gateway.connections import Connection

# Changes per event: a storm's burst is split into messages of a few tens of KiB at most.
MAX_BATCH = 500

Change = OpenedConnection | ClosedConnection


class ConnectionEvents:
    def __init__(self, bus: Bus, node: str) -> None:
        self._bus = bus
        self._node = node
        self._batches: Batcher[Change, None] = Batcher(self._publish, max_batch=MAX_BATCH)

    async def opened(self, connection: Connection) -> None:
        """Returns once presence's event is confirmed; ParleyError when it cannot be published."""
        claims = connection.claims
        await self._batches(
            OpenedConnection(
                connection_id=connection.id,
                user_id=connection.user_id,
                role=claims.role,
                client_kind=connection.client_kind,
            )
        )

    async def closed(self, connection: Connection, close_code: int) -> None:
        await self._batches(
            ClosedConnection(connection_id=connection.id, user_id=connection.user_id, close_code=close_code)
        )

    async def _publish(self, changes: list[Change]) -> list[None]:
        opened = [change for change in changes if isinstance(change, OpenedConnection)]
        closed = [change for change in changes if isinstance(change, ClosedConnection)]
        await self._bus.publish_event(ConnectionsChanged(node=self._node, opened=opened, closed=closed))
        return [None] * len(changes)
