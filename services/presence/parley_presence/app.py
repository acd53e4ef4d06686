"""Wiring of the presence service: bus handlers over the registry, the operators and the sweeper."""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.commands import (
    AvailableOperators,
    GetAvailableOperators,
    GetUserStatus,
    LookupNodes,
    NodesOfUsers,
    OperatorState,
    SetAvailability,
    UserStatuses,
)
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import (
    ClientStatusChanged,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionsChanged,
    ConnectionsUnknown,
    Heartbeats,
)
from parley.redis_traces import RedisTraces
from parley.runtime import Service
from parley_presence import metrics
from parley_presence.announcer import Announcer, sweep
from parley_presence.operators import Operators
from parley_presence.privacy import register_privacy
from parley_presence.registry import ConnectionRegistry
from parley_presence.scripts import Change, PresenceScripts
from parley_presence.settings import PresenceSettings

OPERATOR_ROLES = ("operator", "admin")


def build_service(settings: PresenceSettings) -> Service:
    service = Service("presence", settings, uses_redis=True)
    assert service.redis is not None
    scripts = PresenceScripts(
        service.redis,
        settings.redis_key_prefix,
        settings.presence_connection_ttl_seconds,
        settings.presence_away_seconds,
        settings.presence_offline_grace_seconds,
    )
    registry = ConnectionRegistry(scripts)
    operators = Operators(scripts)
    announcer = Announcer(service.bus, scripts)
    _connection_handlers(service, registry, announcer)
    _operator_handlers(service, operators, announcer)

    async def lookup_nodes(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        return NodesOfUsers(nodes=await registry.nodes_of(command.user_ids))

    async def user_status(command: GetUserStatus, _envelope: Envelope) -> UserStatuses:
        return UserStatuses(statuses=await registry.statuses(command.user_ids))

    service.bus.on_command(LookupNodes, lookup_nodes)
    service.bus.on_command(GetUserStatus, user_status)
    register_privacy(service.bus, RedisTraces(service.redis, settings.redis_key_prefix))

    @service.background
    async def sweeper() -> None:
        await sweep(registry, announcer, settings.presence_sweep_interval_seconds, service.stopping)

    return service


def _connection_handlers(service: Service, registry: ConnectionRegistry, announcer: Announcer) -> None:
    async def on_opened(event: ConnectionOpened, envelope: Envelope) -> None:
        await announcer.announce(await registry.opened(event), trace_id=envelope.trace_id)

    async def on_closed(event: ConnectionClosed, envelope: Envelope) -> None:
        await announcer.announce(await registry.closed(event.connection_id, event.user_id), trace_id=envelope.trace_id)

    async def on_connections_changed(event: ConnectionsChanged, envelope: Envelope) -> None:
        changes: list[Change] = []
        for opened in event.opened:  # openings first (the contract says why)
            changes += await registry.opened(ConnectionOpened(node=event.node, **opened.model_dump()))
        for closed in event.closed:
            changes += await registry.closed(closed.connection_id, closed.user_id)
        await announcer.announce(changes, trace_id=envelope.trace_id)

    async def on_heartbeats(event: Heartbeats, envelope: Envelope) -> None:
        unknown, revived = await registry.heartbeat(event.connection_ids)
        if unknown:
            metrics.UNKNOWN_HEARTBEATS.inc(len(unknown))
            # Redis lost them (or their open was lost): their node announces them again.
            await service.bus.publish_event(
                ConnectionsUnknown(node=event.node, connection_ids=unknown), trace_id=envelope.trace_id
            )
        # Sending, reading and typing (reported by the gateway): an away user is online again.
        back = await registry.activity(event.active_user_ids)
        await announcer.announce([*revived, *back], trace_id=envelope.trace_id)

    async def on_client_status(event: ClientStatusChanged, envelope: Envelope) -> None:
        changes = await registry.client_status(event.connection_id, event.status)
        await announcer.announce(changes, trace_id=envelope.trace_id)

    service.bus.on_event(ConnectionOpened, on_opened)
    service.bus.on_event(ConnectionClosed, on_closed)
    service.bus.on_event(ConnectionsChanged, on_connections_changed)
    service.bus.on_event(Heartbeats, on_heartbeats)
    service.bus.on_event(ClientStatusChanged, on_client_status)


def _operator_handlers(service: Service, operators: Operators, announcer: Announcer) -> None:
    async def set_availability(command: SetAvailability, envelope: Envelope) -> OperatorState:
        if command.caller.role not in OPERATOR_ROLES:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only operators have an available/busy toggle")
        changes = await operators.set_available(command.caller.user_id, command.available)
        await announcer.announce(changes, trace_id=envelope.trace_id)
        (state,) = await operators.states([command.caller.user_id])
        return state

    async def available_operators(command: GetAvailableOperators, _envelope: Envelope) -> AvailableOperators:
        return AvailableOperators(operators=await operators.available(command.operator_ids))

    service.bus.on_command(SetAvailability, set_availability)
    service.bus.on_command(GetAvailableOperators, available_operators)
