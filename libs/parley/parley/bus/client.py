"""The bus: one robust RabbitMQ connection per process, publish with confirms, request/reply.

The robust connection reconnects by itself after a broker restart, to the next node of a cluster
when ``amqp_url`` lists several (``failover``), and re-declares the exchanges, queues, bindings
and consumers it had; :attr:`Bus.connected` follows it for readiness.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast, get_type_hints

import aio_pika
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from pydantic import ValidationError

from parley import metrics
from parley.bus import queues, topology
from parley.bus.consumer import Handler, QueueSpec, Subscription
from parley.bus.failover import FailoverConnection
from parley.contracts.base import Command, Contract, Envelope, ResultT, new_id
from parley.contracts.commands import Reply
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley.settings import ServiceSettings

log = get_logger("parley.bus")

# Seconds between reconnection attempts: quick enough that a broker restart costs a few
# seconds of readiness, slow enough not to hammer a broker that is still booting.
RECONNECT_INTERVAL_SECONDS = 1.0


class Bus:
    """Publish and consume Parley's contracts over RabbitMQ (docs/design.md's topology)."""

    def __init__(self, settings: ServiceSettings, service: str) -> None:
        self.settings = settings
        self.service = service
        self.source = f"{service}/{settings.node_id}"
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: Any = None
        self._reply_publish_channel: Any = None
        self._exchanges: dict[str, Any] = {}
        self._subscriptions: dict[str, Subscription] = {}
        self._pending_replies: dict[str, asyncio.Future[Reply]] = {}
        self._reply_queue_name = topology.reply_queue(service, settings.node_id)
        self._closing = False
        self._reconnect_hooks: list[Callable[[], None]] = []

    # ---- registration (before start) ---------------------------------------------------------

    def on_command(self, contract: type[Command[Any]], handler: Handler) -> None:
        """Handle a command routed to this service (competing consumers on ``<service>.commands``).
        The handler's return annotation must be the command's result model: a service that answers
        with something else would fail at every request, so it fails here, at startup."""
        _check_answer(contract, handler)
        self._subscribe(topology.commands_queue(self.service), topology.COMMANDS, contract, handler)

    def on_event(self, contract: type[Contract], handler: Handler, *, only: str | None = None) -> None:
        """Handle an event (this service's durable ``<service>.events`` queue): all of them, or
        ``only`` those whose routing key carries that qualifier (``Contract.routing_key``)."""
        key = topology.event_binding(contract.TYPE, only)
        self._subscribe(topology.events_queue(self.service), topology.EVENTS, contract, handler, routing_key=key)

    async def bind_events(self, contract: type[Contract], qualifier: str, *, bound: bool) -> None:
        """Make this service's events queue take (``bound``) or stop taking the events of
        ``contract`` published with ``qualifier``, now: the broker has confirmed the change when
        this returns. For a stream a service needs only while its own data says so (its handler is
        registered with ``on_event`` as usual); the broker keeps the binding across restarts."""
        subscription = self._subscriptions.get(topology.events_queue(self.service))
        if subscription is None or contract not in subscription.handlers:
            raise RuntimeError(f"{contract.TYPE} has no handler on {self.service}'s events queue")
        try:
            await subscription.bind(topology.event_binding(contract.TYPE, qualifier), bound=bound)
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"bus unavailable: {error}") from error

    def on_node_event(self, contract: type[Contract], handler: Handler) -> None:
        """Handle an event on every node of this service (e.g. every gateway must close a kicked-off
        user's sockets): an exclusive queue per node instead of competing consumers."""
        name = topology.node_events_queue(self.service, self.settings.node_id)
        key = topology.event_binding(contract.TYPE, None)
        self._subscribe(name, topology.EVENTS, contract, handler, routing_key=key, exclusive=True)

    def _subscribe(
        self,
        queue: str,
        exchange: str,
        contract: type[Contract],
        handler: Handler,
        *,
        routing_key: str | None = None,
        exclusive: bool = False,
    ) -> None:
        if self._connection is not None:
            raise RuntimeError("register handlers before Bus.start()")
        subscription = self._subscriptions.get(queue)
        if subscription is None:
            subscription = Subscription(self, QueueSpec(queue, exchange, set(), exclusive))
            self._subscriptions[queue] = subscription
        subscription.add(contract, handler, routing_key or contract.TYPE)

    def on_reconnected(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (plain, not awaited: it schedules its own work) each time the connection
        came back after a loss, once its queues, bindings and consumers are declared again. What a
        node's exclusive queues held, or were sent, while it was away is gone: this is where a
        service catches up on it."""
        self._reconnect_hooks.append(callback)

    # ---- life cycle ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def connect(self, stop: asyncio.Event | None = None) -> None:
        """Connect (retrying, over every node of ``amqp_url``, until one answers) and declare the topology."""
        attempt = 0
        while True:
            try:
                connection = FailoverConnection(
                    self.settings.amqp_urls,
                    first=attempt,
                    reconnect_interval=RECONNECT_INTERVAL_SECONDS,
                    client_properties={"connection_name": self.source},
                )
                await connection.connect()
                self._connection = connection
                break
            except (OSError, aio_pika.exceptions.AMQPError) as error:
                attempt += 1  # the next node first: one that is away must not hold up the start
                log.warning("bus.connect_failed", error=str(error), retry_in=RECONNECT_INTERVAL_SECONDS)
                if stop is not None and stop.is_set():
                    raise
                await asyncio.sleep(RECONNECT_INTERVAL_SECONDS)
        self._connection.close_callbacks.add(self._on_connection_lost)
        self._connection.reconnect_callbacks.add(self._on_reconnected)
        metrics.BUS_CONNECTED.set(1)

        # Publisher confirms: publish() returns only once the broker has the message.
        self._publish_channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        # Replies need no confirm: one lost with the broker leaves its caller to time out and retry
        # (sends are idempotent), so a handler acks its command without waiting on the reply.
        self._reply_publish_channel = await self._connection.channel(publisher_confirms=False)
        for name, kind in topology.EXCHANGES.items():
            self._exchanges[name] = await self._publish_channel.declare_exchange(name, kind, durable=True)
        await self._declare_dead_letters()
        for milliseconds in topology.delay_milliseconds():
            delay = await queues.declare_durable(
                self._publish_channel, topology.delay_queue(milliseconds), topology.delay_queue_arguments(milliseconds)
            )
            await delay.bind(self._exchanges[topology.DELAY], arguments=topology.delay_binding(milliseconds))

        reply_channel = await self._connection.channel()
        reply_queue = await reply_channel.declare_queue(self._reply_queue_name, exclusive=True, auto_delete=True)
        await reply_queue.consume(self._on_reply, no_ack=True)

    async def _declare_dead_letters(self) -> None:
        """The dead-letter queue: a bounded quorum queue (topology.DEAD_LETTERS_ARGUMENTS)."""
        queue = await queues.declare_durable(
            self._publish_channel, topology.DEAD_LETTERS_QUEUE, topology.DEAD_LETTERS_ARGUMENTS
        )
        await queue.bind(self._exchanges[topology.DLX])

    async def start_consuming(self) -> None:
        """Open one channel per subscribed queue (each with bounded prefetch) and start consuming."""
        assert self._connection is not None, "connect() first"
        for subscription in self._subscriptions.values():
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=self.settings.bus_prefetch)
            await subscription.start(channel)
            log.info("bus.consuming", queue=subscription.spec.name, types=sorted(subscription.spec.routing_keys))

    async def stop_consuming(self, timeout: float) -> None:
        """Stop intake on every queue and wait for in-flight handlers (acked or returned)."""
        await asyncio.gather(*(sub.stop(timeout) for sub in self._subscriptions.values()))

    async def close(self) -> None:
        self._closing = True
        for future in self._pending_replies.values():
            if not future.done():
                future.set_exception(ParleyError(ErrorCode.UNAVAILABLE, "bus closed"))
        if self._connection is not None:
            await self._connection.close()
        metrics.BUS_CONNECTED.set(0)

    def _on_connection_lost(self, *_: Any) -> None:
        metrics.BUS_CONNECTED.set(0)
        if not self._closing:
            log.warning("bus.connection_lost")

    def _on_reconnected(self, *_: Any) -> None:
        metrics.BUS_CONNECTED.set(1)
        log.info("bus.reconnected")
        for callback in self._reconnect_hooks:
            try:
                callback()
            except Exception:  # one hook's failure must not stop the connection's restore
                log.exception("bus.reconnect_hook_failed")

    # ---- publishing ---------------------------------------------------------------------------

    async def publish_event(self, event: Contract, *, trace_id: str | None = None) -> None:
        await self._publish(event, topology.EVENTS, event.routing_key(), trace_id=trace_id)

    async def send_command(self, command: Contract, *, trace_id: str | None = None) -> None:
        await self._publish(command, topology.COMMANDS, command.TYPE, trace_id=trace_id, mandatory=True)

    async def request(
        self, command: Command[ResultT], *, trace_id: str | None = None, timeout: float | None = None
    ) -> ResultT:
        """Send a command and wait for its reply: the command's result model (None for a
        ``Command[None]``); raises ParleyError on refusal or timeout, and INTERNAL for a result
        that is not the model (a peer built from other contracts)."""
        timeout = timeout or self.settings.bus_request_timeout_seconds
        correlation_id = new_id()
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending_replies[correlation_id] = future
        try:
            await self._publish(
                command,
                topology.COMMANDS,
                command.TYPE,
                trace_id=trace_id,
                mandatory=True,
                reply_to=self._reply_queue_name,
                correlation_id=correlation_id,
            )
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            metrics.BUS_REQUEST_TIMEOUTS.labels(command.TYPE).inc()
            raise ParleyError(ErrorCode.UNAVAILABLE, f"{command.TYPE} got no answer within {timeout:g}s") from None
        finally:
            self._pending_replies.pop(correlation_id, None)
        return answer_of(command, reply)

    async def _publish(
        self,
        body: Contract,
        exchange: str,
        routing_key: str,
        *,
        trace_id: str | None,
        persistent: bool = True,
        mandatory: bool = False,
        reply_to: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        envelope = Envelope.wrap(body, source=self.source, trace_id=trace_id)
        message = Message(
            envelope.model_dump_json().encode(),
            content_type="application/json",
            message_id=envelope.id,
            type=envelope.type,
            delivery_mode=DeliveryMode.PERSISTENT if persistent else DeliveryMode.NOT_PERSISTENT,
            reply_to=reply_to,
            correlation_id=correlation_id,
        )
        await self.publish_raw(message, exchange=exchange, routing_key=routing_key, mandatory=mandatory)
        metrics.BUS_PUBLISHED.labels(exchange, envelope.type).inc()

    async def publish_raw(self, message: Message, *, exchange: str, routing_key: str, mandatory: bool = False) -> None:
        """Publish and wait for the broker's confirm; a broker that is away is a clear UNAVAILABLE."""
        if self._publish_channel is None:
            raise ParleyError(ErrorCode.UNAVAILABLE, "bus not connected")
        target = self._exchanges[exchange] if exchange else self._publish_channel.default_exchange
        try:
            await target.publish(message, routing_key=routing_key, mandatory=mandatory)
        except aio_pika.exceptions.DeliveryError as error:
            raise ParleyError(
                ErrorCode.UNAVAILABLE, f"no queue takes {routing_key!r} on {exchange or 'default'}"
            ) from error
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"bus unavailable: {error}") from error

    async def publish_reply(self, message: Message, *, reply_to: str) -> None:
        """Send a reply to the caller's reply queue: transient, unconfirmed (see ``connect``)."""
        if self._reply_publish_channel is None:
            raise ParleyError(ErrorCode.UNAVAILABLE, "bus not connected")
        try:
            await self._reply_publish_channel.default_exchange.publish(message, routing_key=reply_to)
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"bus unavailable: {error}") from error

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending_replies.get(message.correlation_id or "")
        if future is None or future.done():
            return  # the caller already timed out; nothing waits for this answer
        try:
            envelope = Envelope.model_validate_json(message.body)
            reply = envelope.open()
            assert isinstance(reply, Reply)
        except Exception as error:  # noqa: BLE001 - a broken reply fails the call, not the process
            future.set_exception(ParleyError(ErrorCode.INTERNAL, f"unreadable reply: {error}"))
            return
        future.set_result(reply)


def answer_of(command: Command[ResultT], reply: Reply) -> ResultT:
    """What a request returns for ``reply``: the command's result model (None for a
    ``Command[None]``); ParleyError for a refusal, INTERNAL for a result that is not the model (a
    peer built from other contracts)."""
    if not reply.ok:
        assert reply.error is not None
        code = reply.error.code
        # A code this build does not know (a newer peer) is still an error, not a crash.
        known = code in ErrorCode._value2member_map_
        raise ParleyError(ErrorCode(code) if known else ErrorCode.INTERNAL, reply.error.message)
    model = command.result_model()
    if model is None:
        return cast(ResultT, None)
    try:
        return cast(ResultT, model.model_validate(reply.result or {}))
    except ValidationError as error:
        log.error("bus.reply_unreadable", type=command.TYPE, problems=error.error_count())
        raise ParleyError(
            ErrorCode.INTERNAL, f"{command.TYPE} was answered with something else than a {model.__name__}"
        ) from None


def _check_answer(contract: type[Command[Any]], handler: Handler) -> None:
    expected = contract.result_model()
    annotated = get_type_hints(handler).get("return")
    answers = None if annotated is type(None) else annotated
    if answers is not expected:
        wanted = expected.__name__ if expected is not None else "None"
        raise TypeError(
            f"{getattr(handler, '__qualname__', handler)} must be annotated to return {wanted} for {contract.TYPE}"
        )


__all__ = ["Bus", "answer_of"]
