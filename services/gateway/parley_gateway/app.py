"""Wiring of the gateway: the WebSocket endpoint, deliveries from the bus, presence batches, drain."""

from __future__ import annotations

import asyncio
import time

import orjson

from parley.contracts.base import Envelope
from parley.contracts.deliveries import DeliverFrame
from parley.contracts.errors import CloseCode, ParleyError
from parley.contracts.events import Heartbeats
from parley.logs import get_logger
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_gateway import metrics
from parley_gateway.connections import Connections
from parley_gateway.settings import GatewaySettings
from parley_gateway.websocket import WebSocketEndpoint

log = get_logger("parley.gateway")


def build_service(settings: GatewaySettings) -> Service:
    service = Service("gateway", settings)
    connections = Connections()
    verifier = JwksVerifier(settings.auth_jwks_url)
    service.http.router.add_get("/ws", WebSocketEndpoint(settings, service.bus, verifier, connections, service.stopping))

    async def on_delivery(delivery: DeliverFrame, envelope: Envelope) -> None:
        received = time.perf_counter()
        frame_type = str(delivery.frame.get("type", "unknown"))
        payload = orjson.dumps(delivery.frame).decode()  # serialised once for every local recipient
        seq_info = _seq_of(delivery)
        for user_id in delivery.user_ids:
            for connection in connections.of_user(user_id):
                if seq_info is not None and not connection.first_delivery(*seq_info):
                    continue  # a redelivery: this socket has it already
                if await connection.send(frame_type, payload) and seq_info is not None:
                    metrics.MESSAGE_SECONDS.observe(max(0.0, time.time() - envelope.occurred_at.timestamp()))
        metrics.DELIVERY_SECONDS.observe(time.perf_counter() - received)

    service.bus.on_delivery(DeliverFrame, on_delivery)

    @service.background
    async def report_heartbeats() -> None:
        while True:
            await asyncio.sleep(settings.gateway_presence_batch_seconds)
            ids = [connection.id for connection in connections.all()]
            try:
                await service.bus.publish_event(Heartbeats(node=settings.node_id, connection_ids=ids))
            except ParleyError as error:
                log.warning("gateway.heartbeats_not_sent", error=error.message)

    @service.on_stop
    async def drain() -> None:
        """Tell every client to reconnect (1012), spread over the drain window so they don't stampede."""
        live = connections.all()
        if live:
            pause = settings.gateway_drain_seconds / len(live)
            log.info("gateway.draining", connections=len(live), window_seconds=settings.gateway_drain_seconds)
            for connection in live:
                await connection.ws.close(code=CloseCode.SERVER_RESTARTING, message=b"server restarting, reconnect")
                await asyncio.sleep(pause)
        await verifier.close()

    return service


def _seq_of(delivery: DeliverFrame) -> tuple[str, int] | None:
    if delivery.frame.get("type") != "message.new":
        return None
    data = delivery.frame.get("data", {})
    return str(data.get("conversation_id")), int(data.get("seq", 0))
