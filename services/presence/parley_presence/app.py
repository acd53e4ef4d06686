"""Wiring of the presence service: bus handlers over the connection registry."""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.contracts.events import ConnectionClosed, ConnectionOpened, Heartbeats, PresenceChanged
from parley.runtime import Service
from parley_presence.registry import ConnectionRegistry
from parley_presence.settings import PresenceSettings


def build_service(settings: PresenceSettings) -> Service:
    service = Service("presence", settings, uses_redis=True)
    assert service.redis is not None
    registry = ConnectionRegistry(service.redis, settings.redis_key_prefix, settings.presence_connection_ttl_seconds)

    async def on_opened(event: ConnectionOpened, envelope: Envelope) -> None:
        if await registry.opened(event) == 1:
            await service.bus.publish_event(PresenceChanged(user_id=event.user_id, status="online"), trace_id=envelope.trace_id)

    async def on_closed(event: ConnectionClosed, envelope: Envelope) -> None:
        if await registry.closed(event.connection_id, event.user_id) == 0:
            await service.bus.publish_event(PresenceChanged(user_id=event.user_id, status="offline"), trace_id=envelope.trace_id)

    async def on_heartbeats(event: Heartbeats, _envelope: Envelope) -> None:
        await registry.heartbeat(event.connection_ids)

    async def lookup_nodes(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        return NodesOfUsers(nodes=await registry.nodes_of(command.user_ids))

    service.bus.on_event(ConnectionOpened, on_opened)
    service.bus.on_event(ConnectionClosed, on_closed)
    service.bus.on_event(Heartbeats, on_heartbeats)
    service.bus.on_command(LookupNodes, lookup_nodes)
    return service
