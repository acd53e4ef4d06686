"""Fan-out of the frames notification still delivers (other services' ``client.frame``, presence
changes): one publish per recipient on their delivery channel (parley.deliveries), which Redis
hands once to each gateway node holding them. Presence is asked which nodes hold whom only for
web push (is a member still offline when their push is due?), never per frame."""

from __future__ import annotations

from parley.bus import Bus
from parley.contracts.commands import LookupNodes
from parley.contracts.frames import ServerFrame, conversation_of, encode
from parley.deliveries import DeliveryPublisher
from parley_notification import metrics
from parley_notification.node_lookups import MergedLookups

# Users per presence lookup: the command's own limit.
LOOKUP_BATCH = 10_000


class Fanout:
    def __init__(self, bus: Bus, live: DeliveryPublisher) -> None:
        self.bus = bus
        self.live = live
        self._lookups = MergedLookups(self._ask_presence, max_users=LOOKUP_BATCH)

    async def nodes_of(self, user_ids: list[str], *, trace_id: str | None = None) -> dict[str, list[str]]:
        """node -> the users (of these) with a live connection on it, as presence knows it
        (concurrent fan-outs share presence lookups: node_lookups.py)."""
        nodes: dict[str, list[str]] = {}
        unique = list(dict.fromkeys(user_ids))
        for start in range(0, len(unique), LOOKUP_BATCH):
            for node, users in (await self._lookups.nodes_of(unique[start : start + LOOKUP_BATCH], trace_id)).items():
                nodes.setdefault(node, []).extend(users)
        return nodes

    async def _ask_presence(self, user_ids: list[str], trace_id: str | None) -> dict[str, list[str]]:
        reply = await self.bus.request(LookupNodes(user_ids=user_ids), trace_id=trace_id)
        return reply.nodes

    async def connected(self, user_ids: list[str], *, trace_id: str | None = None) -> set[str]:
        """The users (of these) with at least one live connection."""
        if not user_ids:
            return set()
        return {user for users in (await self.nodes_of(user_ids, trace_id=trace_id)).values() for user in users}

    async def send(self, user_ids: list[str], frame: ServerFrame) -> set[str]:
        """Deliver ``frame`` to the live connections of ``user_ids``; returns the users some node
        holds. A conversation's state frame (bot.step, robot.status) is recorded as its current one."""
        reached = await self.live.frame(user_ids, frame.type, encode(frame), conversation_id=conversation_of(frame))
        metrics.DELIVERIES.labels(frame.type).inc(len(set(user_ids)))
        return reached
