"""Fan-out: one delivery per gateway node that holds a recipient, never one per connection."""

from __future__ import annotations

import asyncio
from typing import Any

from parley.bus import Bus
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.contracts.deliveries import DeliverFrame


class Fanout:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def send(self, user_ids: list[str], frame: dict[str, Any], *, trace_id: str) -> int:
        """Deliver ``frame`` to the live connections of ``user_ids``; returns the nodes reached."""
        reply = await self.bus.request(LookupNodes(user_ids=user_ids), trace_id=trace_id)
        nodes = NodesOfUsers.model_validate(reply).nodes
        await asyncio.gather(
            *(
                self.bus.deliver(node, DeliverFrame(user_ids=users, frame=frame), trace_id=trace_id)
                for node, users in nodes.items()
            )
        )
        return len(nodes)
