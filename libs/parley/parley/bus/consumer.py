"""Consuming: typed handlers, ack after success, bounded retries, dead-lettering, replies.

A queue gets one :class:`Subscription`; services register one small handler per contract type.
The subscription owns everything around the handler: parsing and validating the envelope,
the per-message timeout, acking only after the handler succeeded, sending a failed message to
wait out its backoff in a delay queue (never in the consumer, where it would hold a prefetch
slot), dead-lettering it after the last attempt, or at once when it cannot be read or its
failure cannot pass (``failures.is_permanent``: the caller gets the error now, not a timeout),
parking it instead when its last attempt still found a dependency away (``failures.is_outage``:
it waits in ``<queue>.parked`` and comes back by itself, topology.PARK_SECONDS), answering
``reply_to`` for requests, log context and metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aio_pika import Message
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, ValidationError

from parley import metrics
from parley.bus import failures, queues, topology
from parley.contracts.base import Contract, Envelope, UnknownContract
from parley.contracts.commands import Reply, ReplyError
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import bind_context, get_logger

if TYPE_CHECKING:
    from parley.bus.client import Bus

Handler = Callable[[Any, Envelope], Awaitable[BaseModel | None]]
log = get_logger("parley.bus")

# Headers RabbitMQ adds when it dead-letters a message (a delay queue's expiry does).
DEATH_HEADERS = ("x-death", "x-first-death-", "x-last-death-")


@dataclass
class QueueSpec:
    name: str
    exchange: str
    routing_keys: set[str]
    exclusive: bool = False


class Subscription:
    """One consumed queue and the typed handlers of the contracts routed to it."""

    def __init__(self, bus: Bus, spec: QueueSpec) -> None:
        self.bus = bus
        self.spec = spec
        self.handlers: dict[type[Contract], Handler] = {}
        self._queue: Any = None
        self._exchange: Any = None
        self._consumer_tag: str | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.parked = ParkedMessages(
            # A parked message is back within PARK_SECONDS and settled (or parked again) within one
            # handler run; one this process has not seen since then was finished by another node.
            forget_after=2 * topology.PARK_SECONDS + bus.settings.bus_handler_timeout_seconds
        )

    def add(self, contract: type[Contract], handler: Handler, routing_key: str) -> None:
        if contract in self.handlers:
            raise RuntimeError(f"{contract.TYPE} already has a handler on {self.spec.name}")
        self.handlers[contract] = handler
        self.spec.routing_keys.add(routing_key)

    async def start(self, channel: Any) -> None:
        exchange = self._exchange = await channel.get_exchange(self.spec.exchange, ensure=False)
        if self.spec.exclusive:
            self._queue = await channel.declare_queue(
                self.spec.name, exclusive=True, auto_delete=True, arguments=topology.NODE_QUEUE_ARGUMENTS
            )
        else:
            arguments = topology.work_queue_arguments(self.bus.settings.bus_max_attempts)
            self._queue = await queues.declare_durable(channel, self.spec.name, arguments)
            parked = topology.parked_queue(self.spec.name)
            await queues.declare_durable(channel, parked, topology.parked_queue_arguments(self.spec.name))
            metrics.BUS_PARKED.labels(self.spec.name).set_function(self.parked.count)
            metrics.BUS_PARKED_OLDEST_AGE.labels(self.spec.name).set_function(self.parked.oldest_age)
        for key in sorted(self.spec.routing_keys):
            await self._queue.bind(exchange, routing_key=key)
        for key in topology.RETIRED_BINDINGS.get(self.spec.name, ()):
            if key not in self.spec.routing_keys:  # retired where not taken: a binding that depends on settings
                await self._queue.unbind(exchange, routing_key=key)
        self._consumer_tag = await self._queue.consume(self._on_message)

    async def bind(self, routing_key: str, *, bound: bool) -> None:
        """Add or remove a binding of the started queue (``Bus.bind_events``)."""
        if self._queue is None:
            raise RuntimeError(f"{self.spec.name} is not declared yet")
        if bound:
            await self._queue.bind(self._exchange, routing_key=routing_key)
        else:
            await self._queue.unbind(self._exchange, routing_key=routing_key)

    async def stop(self, timeout: float) -> None:
        """Stop taking messages, then wait (bounded) for the ones in hand to finish."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:  # the connection may already be gone; unacked messages return to the queue
                log.warning("bus.cancel_failed", queue=self.spec.name, exc_info=True)
            self._consumer_tag = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("bus.drain_timeout", queue=self.spec.name, in_flight=self._in_flight)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        try:
            await self._process(message)
        finally:
            metrics.BUS_HANDLER_SECONDS.labels(self.spec.name).observe(time.perf_counter() - started)
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            body = envelope.open()
            handler = self.handlers[type(body)]
        except (ValidationError, UnknownContract, KeyError, ValueError) as error:
            # A message nobody can read never gets better by retrying: dead-letter it at once,
            # and tell a waiting caller now rather than leaving it to its timeout.
            log.error("bus.unreadable_message", queue=self.spec.name, error=str(error)[:500])
            refusal = ReplyError(code=ErrorCode.BAD_ARGUMENT, message=f"unreadable request: {str(error)[:200]}")
            await self._reply(message, None, Reply(ok=False, error=refusal))
            await self._dead_letter(message, outcome="rejected")
            return

        with bind_context(trace_id=envelope.trace_id, message_type=envelope.type, envelope_id=envelope.id):
            try:
                # asyncio.timeout, not wait_for: no extra task per message (3.11's wait_for makes one).
                async with asyncio.timeout(self.bus.settings.bus_handler_timeout_seconds):
                    result = await handler(body, envelope)
            except ParleyError as error:
                # A domain refusal (not a member, sensitive word, ...) is an answer, not a failure.
                await self._reply(
                    message, envelope, Reply(ok=False, error=ReplyError(code=error.code, message=error.message))
                )
                await message.ack()
                self.parked.settled(envelope.id)
                metrics.BUS_CONSUMED.labels(self.spec.name, "ack").inc()
                return
            except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                if failures.is_permanent(error):
                    await self._refuse(message, envelope, error)
                else:
                    await self._failed(message, envelope, error)
                return

            if message.reply_to:
                result_dict = result.model_dump(mode="json") if result is not None else {}
                await self._reply(message, envelope, Reply(ok=True, result=result_dict))
            await message.ack()
            self.parked.settled(envelope.id)
            metrics.BUS_CONSUMED.labels(self.spec.name, "ack").inc()

    async def _failed(self, message: AbstractIncomingMessage, envelope: Envelope, error: Exception) -> None:
        attempt = _attempt(message)
        max_attempts = self.bus.settings.bus_max_attempts
        log.warning(
            "bus.handler_failed",
            queue=self.spec.name,
            attempt=attempt,
            max_attempts=max_attempts,
            error=repr(error)[:500],
            exc_info=error if attempt >= max_attempts else None,
        )
        outage = failures.is_outage(error)
        outage_seen = outage or bool((message.headers or {}).get(topology.OUTAGE_SEEN_HEADER))
        if attempt >= max_attempts and not self.spec.exclusive and failures.parks(error, outage_seen=outage_seen):
            await self._park(message, envelope, error)
            return
        if attempt >= max_attempts:
            self.parked.settled(envelope.id)
            await self._reply(
                message, envelope, Reply(ok=False, error=ReplyError(code=ErrorCode.INTERNAL, message="internal error"))
            )
            await self._dead_letter(message, outcome="dead_lettered")
            return
        backoff = topology.RETRY_BACKOFF_SECONDS[min(attempt - 1, len(topology.RETRY_BACKOFF_SECONDS) - 1)]
        headers: dict[str, int | str] = {
            topology.ATTEMPT_HEADER: attempt + 1,
            topology.DELAY_HEADER: str(round(backoff * 1000)),
        }
        if outage_seen:
            headers[topology.OUTAGE_SEEN_HEADER] = 1
        retry = _copy(message, headers)
        # Publish the retry before acking the original: a crash in between duplicates (and the
        # handlers are idempotent), it never loses.
        await self.bus.publish_raw(retry, exchange=topology.DELAY, routing_key=self.spec.name, mandatory=True)
        await message.ack()
        metrics.BUS_CONSUMED.labels(self.spec.name, "retry").inc()

    async def _park(self, message: AbstractIncomingMessage, envelope: Envelope, error: Exception) -> None:
        """The last attempt still found a dependency away: the message waits in its parking queue and
        comes back by itself for one more try (``topology.PARK_SECONDS``), as often as it takes."""
        now_ms = round(time.time() * 1000)
        parked_at = (message.headers or {}).get(topology.PARKED_AT_HEADER)
        first_parked_ms = parked_at if isinstance(parked_at, int) else now_ms
        log.warning(
            "bus.parked",
            queue=self.spec.name,
            parked_for_seconds=round((now_ms - first_parked_ms) / 1000),
            error=repr(error)[:500],
        )
        # The caller, if one still waits, is told now: it retries with the same id (9503's rule), and
        # whichever of its copies runs first does the work, the others find it done.
        refusal = ReplyError(code=ErrorCode.UNAVAILABLE, message="a dependency is unavailable; retry later")
        await self._reply(message, envelope, Reply(ok=False, error=refusal))
        # Back from parking with its budget spent: a dependency still away parks it again at once,
        # without another ~28 s of retries.
        parked = _copy(
            message,
            {topology.ATTEMPT_HEADER: self.bus.settings.bus_max_attempts, topology.PARKED_AT_HEADER: first_parked_ms},
        )
        # Parked before the original is acked, as a retry is: a crash in between duplicates, never loses.
        await self.bus.publish_raw(
            parked, exchange="", routing_key=topology.parked_queue(self.spec.name), mandatory=True
        )
        await message.ack()
        self.parked.parked(envelope.id, first_parked_ms / 1000)
        metrics.BUS_CONSUMED.labels(self.spec.name, "parked").inc()

    async def _refuse(self, message: AbstractIncomingMessage, envelope: Envelope, error: Exception) -> None:
        """A failure no retry can mend: the caller is told at once, the message is dead-lettered."""
        log.error("bus.handler_refused", queue=self.spec.name, error=repr(error)[:500], exc_info=error)
        self.parked.settled(envelope.id)
        refusal = ReplyError(
            code=ErrorCode.BAD_ARGUMENT, message=f"the request cannot be carried out ({type(error).__name__})"
        )
        await self._reply(message, envelope, Reply(ok=False, error=refusal))
        await self._dead_letter(message, outcome="rejected")

    async def _dead_letter(self, message: AbstractIncomingMessage, *, outcome: str) -> None:
        await message.reject(requeue=False)  # the queue's x-dead-letter-exchange takes it to parley.dlx
        metrics.BUS_CONSUMED.labels(self.spec.name, outcome).inc()
        metrics.BUS_DEAD_LETTERED.labels(self.spec.name).inc()

    async def _reply(self, message: AbstractIncomingMessage, request: Envelope | None, reply: Reply) -> None:
        if not message.reply_to:
            return
        envelope = Envelope.wrap(reply, source=self.bus.source, trace_id=request.trace_id if request else None)
        await self.bus.publish_reply(
            Message(
                envelope.model_dump_json().encode(),
                content_type="application/json",
                correlation_id=message.correlation_id,
            ),
            reply_to=message.reply_to,
        )


class ParkedMessages:
    """The messages this process parked and has not seen settled since, for the gauges: how many,
    and since when the oldest was first parked. Another node may take a parked message when it
    comes back; one not seen again within ``forget_after`` seconds is forgotten (RabbitMQ's count of
    the ``<queue>.parked`` queue is the exact figure, this one knows the age)."""

    def __init__(self, forget_after: float) -> None:
        self.forget_after = forget_after
        self._first_parked: dict[str, float] = {}  # envelope id -> epoch seconds of its first parking
        self._last_seen: dict[str, float] = {}  # envelope id -> monotonic time it was last parked here

    def parked(self, envelope_id: str, first_parked: float) -> None:
        self._first_parked[envelope_id] = first_parked
        self._last_seen[envelope_id] = time.monotonic()

    def settled(self, envelope_id: str) -> None:
        self._first_parked.pop(envelope_id, None)
        self._last_seen.pop(envelope_id, None)

    def count(self) -> float:
        self._forget_old()
        return len(self._first_parked)

    def oldest_age(self) -> float:
        self._forget_old()
        return max(0.0, time.time() - min(self._first_parked.values())) if self._first_parked else 0.0

    def _forget_old(self) -> None:
        horizon = time.monotonic() - self.forget_after
        for envelope_id in [key for key, seen in self._last_seen.items() if seen < horizon]:
            self.settled(envelope_id)


def _copy(message: AbstractIncomingMessage, headers: dict[str, int | str]) -> Message:
    """The message again, for another try, with ``headers`` set. The broker's own history of earlier
    waits is dropped: it grows with every round, and RabbitMQ reads it to detect dead-letter cycles,
    which a counted retry or a parking round is not."""
    kept = {key: value for key, value in (message.headers or {}).items() if not key.startswith(DEATH_HEADERS)}
    return Message(
        message.body,
        headers={**kept, **headers},
        content_type=message.content_type,
        delivery_mode=message.delivery_mode,
        reply_to=message.reply_to,
        correlation_id=message.correlation_id,
        message_id=message.message_id,
    )


def _attempt(message: AbstractIncomingMessage) -> int:
    """Which delivery of the message this is: the retries the consumer made (ATTEMPT_HEADER on its
    republished copy) plus the times this copy went back to its quorum queue unsettled (the broker's
    ``x-delivery-count``: a consumer that lost its connection or died holding it). One budget for
    both, as the queue's x-delivery-limit has (topology.delivery_limit)."""
    headers = message.headers or {}
    retried, returned = headers.get(topology.ATTEMPT_HEADER, 1), headers.get("x-delivery-count", 0)
    attempt = int(retried) if isinstance(retried, int | str) else 1  # we set it: an int
    return attempt + (int(returned) if isinstance(returned, int) else 0)
