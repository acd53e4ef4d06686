"""A hot command over a Redis stream instead of RabbitMQ: the chat message's one broker hop less.

Every chat message a client sends is one ``chat_session.send_message`` request. Over the bus it
is a persistent publish into a quorum queue (replicated, confirmed), a delivery, an ack, and a
reply through the caller's reply queue: about 1.4 ms of RabbitMQ's CPU a message, its largest
share (docs/performance.md). Here the caller appends the command to a Redis stream (``XADD``),
the service's replicas read that stream as one consumer group, and the answer is published on
the caller node's reply channel, which the node's delivery subscription listens to beside its
users' channels (parley.deliveries): the command's only new hops are the Redis ones the message
takes anyway.

What holds, and why (docs/delivery.md, "Sends over Redis"):

- **At least once, answered once.** An entry is acknowledged and deleted only after its handler
  finished, with its answer published in the same script. A failure a retry may mend (a store
  away) leaves it pending; the replica takes it again after the bus's backoff
  (``topology.RETRY_BACKOFF_SECONDS``, then every ``topology.PARK_SECONDS`` once the attempts are
  spent: the caller is told 9503, as the bus's parking tells it). A replica that died holding
  entries stops renewing its alive key; once that key has expired (``DEAD_CONSUMER_SECONDS``),
  another replica claims its entries. Handlers are idempotent (a send's ``client_msg_id``), so a second
  run finds the first one's work and answers as it did.
- **What cannot pass fails fast**: a domain refusal (``ParleyError``) is the answer; an entry
  nobody can read, or a failure no retry can mend (``failures.is_permanent``), is answered 9001
  and dropped; one that failed otherwise on its last counted attempt is answered 9500 and kept in
  the dead-letter stream (``dead_letter_key``), never retried for ever.
- **What Redis loses** (FLUSHALL, a failover before the replica had the entry, a lost answer):
  the caller's wait ends at its timeout with 9503, and the client resends with the same
  ``client_msg_id``, as after any unanswered send.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError, ResponseError

from parley import metrics
from parley.bus import failures, topology
from parley.bus.client import answer_of
from parley.bus.consumer import Handler
from parley.cancelling import raise_if_cancelled
from parley.contracts.base import Command, Envelope, ResultT
from parley.contracts.commands import Reply, ReplyError
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import bind_context, get_logger
from parley.settings import ServiceSettings
from parley.stores import as_text, timed

log = get_logger("parley.command_streams")

# A stream nobody reads (the service down) is trimmed past this many entries: the oldest callers
# gave up long ago and their clients resent.
STREAM_MAX_ENTRIES = 100_000
DEAD_LETTER_MAX_ENTRIES = 10_000
# A replica's read blocks this long when the stream is empty: well inside the Redis client's
# socket timeout (stores.STORE_TIMEOUT_SECONDS), and it keeps the replica's "seen" time fresh.
READ_BLOCK_MS = 1000
# A replica says it is alive with a key of this TTL, renewed every sweep; a consumer of the group
# without its key is gone, and its pending entries are claimed by a live replica. (The group's
# own idle time cannot tell: Redis 7.0 renews it only when a read returns entries, so a live
# replica on a quiet stream looks as idle as a dead one.)
DEAD_CONSUMER_SECONDS = 10.0
# How often a replica looks for entries to take again (its own failed ones, a dead one's).
SWEEP_SECONDS = 1.0
SWEEP_BATCH = 100
# An entry claimed this recently is left alone: two replicas sweeping at once claim it once.
CLAIM_MIN_IDLE_MS = 500

# KEYS[1]: the stream. ARGV: group, entry id, reply channel ('' when none), reply. The answer and
# the acknowledgement in one round trip; PUBLISH reaches every node of a Redis Cluster.
_SETTLE = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
"""


def stream_key(prefix: str, command_type: str) -> str:
    return f"{prefix}commands:{command_type}"


def dead_letter_key(prefix: str, command_type: str) -> str:
    return f"{prefix}commands:{command_type}:dead"


def reply_channel(prefix: str, node_id: str) -> str:
    return f"{prefix}replies:node:{node_id}"


def encode_reply(correlation_id: str, reply: Reply) -> str:
    """An answer on a reply channel: the request's id, a newline, the Reply's JSON."""
    return f"{correlation_id}\n{reply.model_dump_json()}"


class StreamRequests:
    """The caller's side: ``request`` appends the command and waits for its answer, which the
    node's delivery subscription hands to ``take_reply`` (``reply_channel`` of this node)."""

    def __init__(
        self, client: redis.Redis, settings: ServiceSettings, source: str, *, listening: Callable[[], bool]
    ) -> None:
        # ``listening()``: whether the reply channel is subscribed now; without it an answer would
        # be lost, so a request fails at once (9503) instead of at its timeout.
        self._client = client
        self._prefix = settings.redis_key_prefix
        self._source = source
        self._timeout = settings.bus_request_timeout_seconds
        self._listening = listening
        self.channel = reply_channel(self._prefix, settings.node_id)
        self._pending: dict[str, asyncio.Future[Reply]] = {}

    async def request(self, command: Command[ResultT], *, trace_id: str | None = None) -> ResultT:
        """Like ``Bus.request``: the command's result model, or ParleyError on refusal or timeout."""
        if not self._listening():
            raise ParleyError(ErrorCode.UNAVAILABLE, "the reply link is down; retry shortly")
        envelope = Envelope.wrap(command, source=self._source, trace_id=trace_id)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[envelope.id] = future
        # The id beside the envelope: even an entry the consumer cannot read is answered.
        fields: dict[Any, Any] = {"id": envelope.id, "envelope": envelope.model_dump_json(), "reply_to": self.channel}
        try:
            with timed("redis", "command_append"):
                await self._client.xadd(
                    stream_key(self._prefix, command.TYPE), fields, maxlen=STREAM_MAX_ENTRIES, approximate=True
                )
            reply = await asyncio.wait_for(future, self._timeout)
        except RedisError as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"command stream unavailable: {error}") from error
        except TimeoutError:
            metrics.BUS_REQUEST_TIMEOUTS.labels(command.TYPE).inc()
            raise ParleyError(
                ErrorCode.UNAVAILABLE, f"{command.TYPE} got no answer within {self._timeout:g}s"
            ) from None
        finally:
            self._pending.pop(envelope.id, None)
        return answer_of(command, reply)

    def take_reply(self, data: str) -> None:
        correlation_id, _, body = data.partition("\n")
        future = self._pending.get(correlation_id)
        if future is None or future.done():
            return  # the caller timed out already; nothing waits for this answer
        try:
            future.set_result(Reply.model_validate_json(body))
        except ValueError as error:  # a broken answer fails the call, not the subscription
            future.set_exception(ParleyError(ErrorCode.INTERNAL, f"unreadable reply: {error}"))


class StreamConsumer:
    """A service's side: this replica's reader of the command's stream, in the service's group."""

    def __init__(
        self,
        client: redis.Redis,
        settings: ServiceSettings,
        service: str,
        contract: type[Command[Any]],
        handler: Handler,
    ) -> None:
        self._client = client
        self._settings = settings
        self._contract = contract
        self._handler = handler
        self._key = stream_key(settings.redis_key_prefix, contract.TYPE)
        self._dead_letters = dead_letter_key(settings.redis_key_prefix, contract.TYPE)
        self._group = service
        self._name = settings.node_id
        self._label = f"{service}.stream"  # the bus metrics' queue label
        self._settle = client.register_script(_SETTLE)
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._outage_seen: set[str] = set()  # entries one of whose attempts here met a dependency away
        self._room = asyncio.Event()
        self._room.set()
        self._stopping = False

    async def run(self) -> None:
        """Forever (a background task): read new entries while there is room for them."""
        limit = self._settings.bus_prefetch
        await self._say_alive()  # before the first read: a consumer with entries and no key is gone
        while not self._stopping:
            raise_if_cancelled()
            await self._room.wait()
            try:
                batches: Any = await self._client.xreadgroup(
                    self._group, self._name, {self._key: ">"}, count=limit - len(self._in_flight), block=READ_BLOCK_MS
                )
            except ResponseError as error:
                # NOGROUP: the first start, or Redis lost its data (FLUSHALL); UNBLOCKED: the
                # stream was deleted under a blocked read. Either way the group is made again.
                if not str(error).startswith(("NOGROUP", "UNBLOCKED")):
                    raise
                await self._create_group()
                continue
            except (RedisError, OSError) as error:
                raise_if_cancelled()
                log.warning("command_stream.read_failed", stream=self._key, error=str(error) or type(error).__name__)
                await asyncio.sleep(SWEEP_SECONDS)
                continue
            if self._stopping:
                break  # what the last read got stays pending: with this replica's alive key gone, another takes it
            for _stream, entries in batches or ():
                for entry_id, fields in entries:
                    self._start(as_text(entry_id), fields, attempt=1)

    async def sweep(self) -> None:
        """Forever (a background task): take again this replica's failed entries once their backoff
        is over, and a gone replica's entries."""
        while not self._stopping:
            raise_if_cancelled()
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self._sweep_once()
            except ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
            except (RedisError, OSError) as error:
                raise_if_cancelled()
                log.warning("command_stream.sweep_failed", stream=self._key, error=str(error) or type(error).__name__)

    async def stop(self, timeout: float) -> None:
        """Stop taking entries; wait (bounded) for the ones in hand. An entry still running when the
        process ends stays pending: another replica takes it."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._in_flight and (left := deadline - loop.time()) > 0:
            await asyncio.wait(list(self._in_flight.values()), timeout=left)
        # Gone from now on: what this replica still holds is taken by another at once, not in 10 s.
        with contextlib.suppress(RedisError, OSError):
            await self._client.delete(self._alive_key(self._name))

    async def _create_group(self) -> None:
        try:
            # From the stream's start: every entry in it is one nobody settled (settled ones are deleted).
            await self._client.xgroup_create(self._key, self._group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _alive_key(self, consumer: str) -> str:
        return f"{self._key}:alive:{consumer}"

    async def _say_alive(self) -> None:
        if self._stopping:
            return
        await self._client.set(self._alive_key(self._name), "1", px=round(DEAD_CONSUMER_SECONDS * 1000))

    async def _sweep_once(self) -> None:
        await self._say_alive()
        metrics.COMMAND_STREAM_ENTRIES.labels(self._contract.TYPE).set(await self._client.xlen(self._key))
        consumers: Any = await self._client.xinfo_consumers(self._key, self._group)
        others = [as_text(consumer["name"]) for consumer in consumers if as_text(consumer["name"]) != self._name]
        gone = {name for name in others if not await self._client.exists(self._alive_key(name))}
        pending: Any = await self._client.xpending_range(
            self._key, self._group, min="-", max="+", count=SWEEP_BATCH, idle=CLAIM_MIN_IDLE_MS
        )
        due: dict[str, int] = {}  # entry id -> its deliveries so far
        for entry in pending:
            entry_id, owner = as_text(entry["message_id"]), as_text(entry["consumer"])
            deliveries, idle_ms = int(entry["times_delivered"]), int(entry["time_since_delivered"])
            if owner in gone or (
                owner == self._name and entry_id not in self._in_flight and idle_ms >= _backoff_ms(deliveries)
            ):
                due[entry_id] = deliveries
        if due:
            claimed: Any = await self._client.xclaim(
                self._key, self._group, self._name, min_idle_time=CLAIM_MIN_IDLE_MS, message_ids=list(due)
            )
            for entry_id, fields in claimed:
                entry_id = as_text(entry_id)
                if fields is None:  # deleted meanwhile (trimmed): nothing to run, nothing to keep
                    await self._client.xack(self._key, self._group, entry_id)
                    continue
                self._start(entry_id, fields, attempt=due.get(entry_id, 0) + 1)
        for consumer in consumers:
            name = as_text(consumer["name"])
            if name in gone and int(consumer["pending"]) == 0:
                await self._client.xgroup_delconsumer(self._key, self._group, name)

    def _start(self, entry_id: str, fields: dict[Any, Any], attempt: int) -> None:
        if entry_id in self._in_flight:
            return
        task = asyncio.get_running_loop().create_task(self._handle(entry_id, fields, attempt))
        self._in_flight[entry_id] = task
        if len(self._in_flight) >= self._settings.bus_prefetch:
            self._room.clear()
        task.add_done_callback(lambda _task: self._finished(entry_id))

    def _finished(self, entry_id: str) -> None:
        self._in_flight.pop(entry_id, None)
        self._room.set()

    async def _handle(self, entry_id: str, fields: dict[Any, Any], attempt: int) -> None:
        try:
            await self._read_and_run(entry_id, fields, attempt)
        except (RedisError, OSError) as error:  # not settled: the sweep runs it again once Redis answers
            log.warning("command_stream.settle_failed", stream=self._key, error=str(error) or type(error).__name__)

    async def _read_and_run(self, entry_id: str, fields: dict[Any, Any], attempt: int) -> None:
        started = time.perf_counter()
        fields = {as_text(key): value for key, value in fields.items()}  # bytes or str: the client's choice
        reply_to = as_text(fields.get("reply_to", ""))
        correlation_id = as_text(fields.get("id", ""))
        try:
            envelope = Envelope.model_validate_json(fields["envelope"])
            body = envelope.open()
            if not isinstance(body, self._contract):
                raise ValueError(f"{envelope.type} is not {self._contract.TYPE}")
        except (KeyError, ValueError) as error:  # pydantic's ValidationError and UnknownContract included
            log.error("command_stream.unreadable_entry", stream=self._key, error=str(error)[:500])
            refusal = ReplyError(code=ErrorCode.BAD_ARGUMENT, message=f"unreadable request: {str(error)[:200]}")
            await self._answer(entry_id, reply_to, correlation_id, Reply(ok=False, error=refusal), outcome="rejected")
            return
        try:
            with bind_context(trace_id=envelope.trace_id, message_type=envelope.type, envelope_id=envelope.id):
                await self._run(entry_id, reply_to, envelope, body, attempt)
        finally:
            metrics.BUS_HANDLER_SECONDS.labels(self._label).observe(time.perf_counter() - started)

    async def _run(self, entry_id: str, reply_to: str, envelope: Envelope, body: Any, attempt: int) -> None:
        try:
            async with asyncio.timeout(self._settings.bus_handler_timeout_seconds):
                result = await self._handler(body, envelope)
        except ParleyError as error:  # a domain refusal is an answer, not a failure
            refused = Reply(ok=False, error=ReplyError(code=error.code, message=error.message))
            await self._answer(entry_id, reply_to, envelope.id, refused, outcome="ack")
            return
        except Exception as error:  # noqa: BLE001 - retried, parked or dead-lettered below
            await self._failed(entry_id, reply_to, envelope, error, attempt)
            return
        answer = Reply(ok=True, result=result.model_dump(mode="json") if result is not None else {})
        await self._answer(entry_id, reply_to, envelope.id, answer, outcome="ack")

    async def _failed(self, entry_id: str, reply_to: str, envelope: Envelope, error: Exception, attempt: int) -> None:
        last = attempt >= self._settings.bus_max_attempts
        log.warning(
            "command_stream.handler_failed",
            stream=self._key,
            attempt=attempt,
            error=repr(error)[:500],
            exc_info=error if last else None,
        )
        if failures.is_permanent(error):
            refusal = ReplyError(
                code=ErrorCode.BAD_ARGUMENT, message=f"the request cannot be carried out ({type(error).__name__})"
            )
            await self._answer(entry_id, reply_to, envelope.id, Reply(ok=False, error=refusal), outcome="rejected")
            return
        # The bus carries "an earlier attempt met an outage" in a header; an entry's attempts here
        # are this replica's (or, after a takeover, start afresh), so it is remembered here.
        if failures.is_outage(error):
            self._outage_seen.add(entry_id)
        if last and not failures.parks(error, outage_seen=entry_id in self._outage_seen):
            internal = Reply(ok=False, error=ReplyError(code=ErrorCode.INTERNAL, message="internal error"))
            await self._client.xadd(
                self._dead_letters,
                {"envelope": envelope.model_dump_json(), "error": repr(error)[:1000]},
                maxlen=DEAD_LETTER_MAX_ENTRIES,
                approximate=True,
            )
            await self._answer(entry_id, reply_to, envelope.id, internal, outcome="dead_lettered")
            metrics.BUS_DEAD_LETTERED.labels(self._label).inc()
            return
        # Left pending: the sweep takes it again after its backoff. A caller still waiting after
        # the last counted attempt is told now (it resends; whichever copy runs first does the work).
        if last and reply_to:
            unavailable = ReplyError(code=ErrorCode.UNAVAILABLE, message="a dependency is unavailable; retry later")
            await self._client.publish(reply_to, encode_reply(envelope.id, Reply(ok=False, error=unavailable)))
        metrics.BUS_CONSUMED.labels(self._label, "parked" if last else "retry").inc()

    async def _answer(self, entry_id: str, reply_to: str, correlation_id: str, reply: Reply, *, outcome: str) -> None:
        """Publish the answer and settle the entry, in one round trip. Should Redis be away, the
        entry stays pending and runs again (idempotently) once it is back."""
        payload = encode_reply(correlation_id, reply) if reply_to and correlation_id else ""
        self._outage_seen.discard(entry_id)
        with timed("redis", "command_settle"):
            await self._settle(keys=[self._key], args=[self._group, entry_id, reply_to if payload else "", payload])
        metrics.BUS_CONSUMED.labels(self._label, outcome).inc()


def _backoff_ms(deliveries: int) -> float:
    """How long an entry delivered ``deliveries`` times waits before its next try: the bus's
    retry backoff, then its parking interval once the counted attempts are spent."""
    steps = topology.RETRY_BACKOFF_SECONDS
    seconds = steps[deliveries - 1] if 0 < deliveries <= len(steps) else topology.PARK_SECONDS
    return seconds * 1000


__all__ = [
    "StreamConsumer",
    "StreamRequests",
    "dead_letter_key",
    "encode_reply",
    "reply_channel",
    "stream_key",
]
