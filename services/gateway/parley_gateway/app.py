"""Wiring of the gateway: the WebSocket endpoint, deliveries and session events from the bus,
presence batches, maintenance, and the drain on shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from parley.command_streams import StreamRequests
from parley.contracts.base import Envelope
from parley.contracts.commands import GetHistory, History
from parley.contracts.errors import CloseCode, ErrorCode
from parley.contracts.events import ConnectionsUnknown, Heartbeats, SessionReplaced, TokenRevoked
from parley.contracts.frames import Kickoff, KickoffFrame, Notice, NoticeFrame, encode
from parley.deliveries import Delivered, DeliverySubscriber, StateFrame, current_states, newest_seqs
from parley.http_api import HttpApi
from parley.logs import get_logger
from parley.ratelimit import RateLimiter
from parley.revocations import RevocationList
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_gateway import metrics
from parley_gateway.activity import ActivityReports
from parley_gateway.admission import ConnectionCaps
from parley_gateway.authentication import Authenticator
from parley_gateway.connection_events import ConnectionEvents
from parley_gateway.connections import Connection, Connections, OutFrame
from parley_gateway.http_endpoints import ENDPOINTS, WebSocketRoute
from parley_gateway.limits import FrameLimits
from parley_gateway.maintenance import Maintenance, MaintenanceApi
from parley_gateway.positions import PositionCheck
from parley_gateway.protocol import Protocol
from parley_gateway.settings import GatewaySettings
from parley_gateway.static_files import StaticFiles
from parley_gateway.streams import OrderedDelivery, StateTold
from parley_gateway.websocket import WebSocketEndpoint

log = get_logger("parley.gateway")
# A user's connection entries live three presence batches unless refreshed, like presence's
# own TTL: one lost batch drops nobody, a dead node's connections stop counting within 90 s.
CAP_TTL_BATCHES = 3
# After the last client of a drain is told, how long its close handshake may take: short, so
# the drain window plus this stays inside the shutdown budget (the watchdog's).
DRAIN_CLOSE_WAIT_SECONDS = 3.0


def build_service(settings: GatewaySettings) -> Service:
    service = Service("gateway", settings, uses_redis=True)
    assert service.redis is not None
    connections = Connections()
    verifier = JwksVerifier(settings.auth_jwks_url, RevocationList(service.redis, settings.redis_key_prefix))
    authenticator = Authenticator(verifier)
    caps = ConnectionCaps(
        service.redis,
        settings.redis_key_prefix,
        limit=settings.gateway_max_connections_per_user,
        ttl_seconds=settings.gateway_presence_batch_seconds * CAP_TTL_BATCHES,
    )
    maintenance = Maintenance(
        service.redis, settings.redis_key_prefix, settings.gateway_maintenance_poll_seconds, _announcer(connections)
    )

    async def history(command: GetHistory) -> History:
        return await service.bus.request(command)

    delivery = OrderedDelivery(history, settings.gateway_gap_wait_seconds)
    limits = FrameLimits(settings, RateLimiter(service.redis, settings.redis_key_prefix))
    activity = ActivityReports(settings.gateway_presence_batch_seconds)
    cache, prefix = service.redis, settings.redis_key_prefix

    async def recorded(conversation_ids: list[str]) -> dict[str, int]:
        return await newest_seqs(cache, prefix, conversation_ids)

    async def states(conversation_ids: list[str]) -> dict[str, list[StateFrame]]:
        return await current_states(cache, prefix, conversation_ids)

    positions = PositionCheck(
        service.bus, recorded, states, connections, delivery, settings.gateway_position_check_seconds
    )

    def listening() -> bool:
        return subscriber.listening

    # Sends' answers come on this node's reply channel, on the delivery subscription's link.
    sends = StreamRequests(service.redis, settings, service.bus.source, listening=listening)
    protocol = Protocol(settings, service.bus, limits, authenticator, delivery, positions, maintenance, activity, sends)
    # Frames published while the subscription link was down are gone: re-subscribed, the node
    # compares positions at once (docs/delivery.md).
    subscriber = DeliverySubscriber(
        settings,
        _deliverer(connections, delivery),
        positions.after_reconnect,
        name=f"parley-gateway-{settings.node_id}",
        replies=(sends.channel, sends.take_reply),
    )
    events = ConnectionEvents(service.bus, settings.node_id)
    endpoint = WebSocketEndpoint(
        settings, authenticator, caps, connections, protocol, subscriber, events, service.stopping
    )
    pages = (WebSocketRoute(endpoint), StaticFiles(), MaintenanceApi(maintenance))  # the table's handlers
    service.http.add_routes(HttpApi(ENDPOINTS, verifier, *pages).routes())
    _subscribe(service, connections)
    service.bus.on_reconnected(positions.after_reconnect)  # node events and state sent while it was down are gone
    service.background(subscriber.run)
    service.on_stop(subscriber.close)
    service.background(positions.run)
    service.background(maintenance.watch)

    @service.background
    async def close_silent_and_expired() -> None:
        await connections.sweep(settings.gateway_heartbeat_timeout_seconds)

    service.on_stop(verifier.close)

    @service.background
    async def report_heartbeats() -> None:
        while True:
            await asyncio.sleep(settings.gateway_presence_batch_seconds)
            live = connections.all()
            # Lost with the batch if it cannot go out: the away clock runs for half an hour.
            active = activity.take(time.monotonic())
            try:
                await service.bus.publish_event(
                    Heartbeats(node=settings.node_id, connection_ids=[c.id for c in live], active_user_ids=active)
                )
                await caps.refresh([(c.user_id, c.id) for c in live])
            except Exception as error:  # noqa: BLE001 - the next batch tries again; presence's TTL covers one miss
                log.warning("gateway.heartbeats_not_sent", error=str(error))

    @service.on_drain
    async def drain() -> None:
        await _drain(connections, settings.gateway_drain_seconds)

    return service


def _subscribe(service: Service, connections: Connections) -> None:
    async def on_session_replaced(event: SessionReplaced, _envelope: Envelope) -> None:
        kickoff = encode(KickoffFrame(data=Kickoff(reason="logged in elsewhere", client_kind=event.client_kind)))
        for connection in connections.of_user(event.user_id):
            if connection.claims.kind == event.client_kind and connection.claims.sid != event.session_code:
                log.info("gateway.kickoff", connection_id=connection.id, user_id=event.user_id)
                connection.send("kickoff", kickoff)
                connection.close(CloseCode.KICKED_OFF, "logged in elsewhere")

    async def on_token_revoked(event: TokenRevoked, _envelope: Envelope) -> None:
        # 4001, not 4002: a revoked session cannot be refreshed, the client must log in again.
        for connection in connections.of_session(event.user_id, event.session_code):
            log.info("gateway.session_revoked", connection_id=connection.id, user_id=event.user_id)
            connection.send_error(ErrorCode.TOKEN_INVALID, "session revoked (logged out); log in again")
            connection.close(CloseCode.UNAUTHENTICATED, "session revoked")

    async def on_connections_unknown(event: ConnectionsUnknown, envelope: Envelope) -> None:
        # Presence lost its record of these (Redis lost its data): announced again, as at connect.
        # A connection closed since is not held any more, and stays closed.
        if event.node != node:
            return
        held = connections.with_ids(event.connection_ids)
        for connection in held:
            await service.bus.publish_event(connection.opened(node), trace_id=envelope.trace_id)
        log.info("gateway.connections_reannounced", asked=len(event.connection_ids), held=len(held))

    node = service.settings.node_id
    service.bus.on_node_event(SessionReplaced, on_session_replaced)
    service.bus.on_node_event(TokenRevoked, on_token_revoked)
    service.bus.on_node_event(ConnectionsUnknown, on_connections_unknown)


def _deliverer(connections: Connections, delivery: OrderedDelivery) -> Callable[[Delivered], None]:
    def deliver(item: Delivered) -> None:
        """One frame off the user's delivery channel, already encoded: written to each of the
        user's sockets here, a message.new through its conversation's ordered stream."""
        received = time.perf_counter()
        metrics.DELIVERIES_IN.labels(metrics.frame_label(item.frame_type)).inc()
        frame = OutFrame(item.frame_type, item.payload)  # encoded once for all the user's sockets here
        # A member told of a conversation before any of its messages follows it from now on.
        told = StateTold.of(item.payload) if item.frame_type == "conversation.updated" else None
        for connection in connections.of_user(item.user_id):
            if item.seq is None:
                connection.send(item.frame_type, frame)
                if told is not None:
                    told.apply(delivery, connection)
            elif delivery.deliver(connection, item.conversation_id, item.seq, frame) and item.sent_at:
                # Written now (not held behind a gap): publisher's clock to this write.
                metrics.MESSAGE_SECONDS.observe(max(0.0, time.time() - item.sent_at))
        metrics.DELIVERY_SECONDS.observe(time.perf_counter() - received)

    return deliver


def _announcer(connections: Connections) -> Callable[[str | None], None]:
    def announce(message: str | None) -> None:
        """Tell every live client that maintenance started (or ended)."""
        if message is not None:
            notice = Notice(level="warning", code=int(ErrorCode.MAINTENANCE), text=message)
        else:
            notice = Notice(level="info", code=None, text="Maintenance is over.")
        frame = OutFrame("notice", encode(NoticeFrame(data=notice)))
        for connection in connections.all():
            connection.send("notice", frame)

    return announce


async def _drain(connections: Connections, window: float) -> None:
    """Tell every client to reconnect elsewhere (1012), spread over ``window`` so they do not
    stampede the other nodes; deliveries keep flowing to the ones not told yet."""
    live = sorted(connections.all(), key=lambda connection: connection.opened_at)  # the oldest go first
    if not live:
        return
    log.info("gateway.draining", connections=len(live), window_seconds=window)
    started = asyncio.get_running_loop().time()
    for index, connection in enumerate(live):
        slot = started + window * index / len(live)
        await asyncio.sleep(max(0.0, slot - asyncio.get_running_loop().time()))
        connection.close(CloseCode.SERVER_RESTARTING, "server restarting, reconnect")
    await _wait_closed(live, timeout=DRAIN_CLOSE_WAIT_SECONDS)


async def _wait_closed(live: list[Connection], timeout: float) -> None:
    """Give the last clients told a moment to answer the close handshake."""
    deadline = asyncio.get_running_loop().time() + timeout
    # aiohttp has no event for "every one of these sockets has closed": poll, bounded by timeout.
    while any(not connection.ws.closed for connection in live) and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
