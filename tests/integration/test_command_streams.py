"""Commands over a Redis stream (parley.command_streams) against the real Redis: a request is
answered once through the node's reply channel, refusals and unreadable entries fail fast, a
failure that may pass is retried until it does, a gone replica's entries are taken over, a
failure that cannot pass is dead-lettered, and a stream that lost its group gets it back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError

from parley import command_streams
from parley.command_streams import StreamConsumer, StreamRequests, dead_letter_key, stream_key
from parley.contracts.base import Envelope
from parley.contracts.commands import Caller, MarkSeen
from parley.contracts.errors import ErrorCode, ParleyError
from parley.deliveries import DeliverySubscriber
from parley.settings import ServiceSettings
from tests.conftest import REDIS_URL
from tests.kit.waiting import eventually

pytestmark = pytest.mark.integration
STREAM = MarkSeen.TYPE
Handler = Callable[[MarkSeen, Envelope], Any]


def _command(seq: int = 1) -> MarkSeen:
    return MarkSeen(caller=Caller(user_id="v1", role="visitor"), conversation_id="c1", seq=seq)


class Fleet:
    """A caller node (its delivery subscription carries the replies) and consumers of one group."""

    def __init__(self, prefix: str, **settings: Any) -> None:
        self.prefix = prefix
        self.options = {"redis_url": REDIS_URL, "redis_key_prefix": prefix, **settings}
        caller = ServiceSettings(node_id=f"gw-{uuid.uuid4().hex[:6]}", **self.options)
        self.client = redis.Redis.from_url(REDIS_URL)
        self.requests = StreamRequests(self.client, caller, "gateway/test", listening=lambda: self.subscriber.listening)
        self.subscriber = DeliverySubscriber(
            caller,
            lambda _item: None,
            lambda: None,
            name="test-caller",
            replies=(self.requests.channel, self.requests.take_reply),
        )
        self.tasks = [asyncio.create_task(self.subscriber.run())]
        self.consumers: list[StreamConsumer] = []

    def consumer(self, handler: Handler, node_id: str | None = None) -> StreamConsumer:
        settings = ServiceSettings(node_id=node_id or f"cs-{uuid.uuid4().hex[:6]}", **self.options)
        consumer = StreamConsumer(self.client, settings, "chat_session", MarkSeen, handler)
        self.consumers.append(consumer)
        self.tasks += [asyncio.create_task(consumer.run()), asyncio.create_task(consumer.sweep())]
        return consumer

    async def listening(self) -> None:
        await eventually(lambda: self.subscriber.listening, timeout=5.0, what="the reply channel subscribed")

    async def left_in_stream(self) -> tuple[int, int]:
        """Entries still in the stream, and pending in the group."""
        key = stream_key(self.prefix, STREAM)
        pending = await self.client.xpending(key, "chat_session")
        return await self.client.xlen(key), int(pending["pending"])

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.subscriber.close()
        await self.client.aclose()


@pytest.fixture
async def fleet(prefix: str) -> AsyncIterator[Fleet]:
    running = Fleet(prefix)
    await running.listening()
    yield running
    await running.stop()


async def test_a_request_is_answered_once_and_leaves_nothing_behind(fleet: Fleet) -> None:
    runs: list[int] = []

    async def handle(command: MarkSeen, _envelope: Envelope) -> None:
        runs.append(command.seq)

    fleet.consumer(handle)
    await asyncio.gather(*(fleet.requests.request(_command(seq)) for seq in range(1, 21)))
    assert sorted(runs) == list(range(1, 21)), "each command ran once"
    assert await fleet.left_in_stream() == (0, 0), "settled entries are acknowledged and deleted"


async def test_a_refusal_is_the_answer_at_once(fleet: Fleet) -> None:
    calls = 0

    async def refuse(_command: MarkSeen, _envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        raise ParleyError(ErrorCode.NOT_A_MEMBER, "not yours")

    fleet.consumer(refuse)
    with pytest.raises(ParleyError) as refused:
        await fleet.requests.request(_command())
    assert (refused.value.code, calls) == (ErrorCode.NOT_A_MEMBER, 1)
    assert await fleet.left_in_stream() == (0, 0)


async def test_an_unreadable_entry_is_answered_9001_and_holds_nothing_up(fleet: Fleet) -> None:
    answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    fleet.requests._pending["poison"] = answered  # waits for its answer as a request would
    ran: list[int] = []

    async def handle(command: MarkSeen, _envelope: Envelope) -> None:
        ran.append(command.seq)

    fleet.consumer(handle)
    poison = {"id": "poison", "envelope": '{"type": "chat_session.mark_seen"}', "reply_to": fleet.requests.channel}
    await fleet.client.xadd(stream_key(fleet.prefix, STREAM), poison)
    reply = await asyncio.wait_for(answered, 5.0)
    assert (reply.ok, reply.error.code) == (False, ErrorCode.BAD_ARGUMENT)
    await fleet.requests.request(_command(2))
    assert ran == [2], "the poison never reached the handler; the next command did"
    assert await fleet.left_in_stream() == (0, 0)


async def test_a_failure_that_may_pass_is_retried_until_it_does(fleet: Fleet) -> None:
    attempts = 0

    async def flaky(_command: MarkSeen, _envelope: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RedisConnectionError("store away")

    fleet.consumer(flaky)
    await fleet.requests.request(_command())  # answered by the third attempt, within the caller's wait
    assert attempts == 3
    assert await fleet.left_in_stream() == (0, 0)


async def test_a_permanent_failure_is_refused_at_once(fleet: Fleet) -> None:
    attempts = 0

    async def broken(_command: MarkSeen, _envelope: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        raise KeyError("a bug no retry mends")

    fleet.consumer(broken)
    with pytest.raises(ParleyError) as refused:
        await fleet.requests.request(_command())
    assert (refused.value.code, attempts) == (ErrorCode.BAD_ARGUMENT, 1)
    assert await fleet.left_in_stream() == (0, 0)


async def test_a_failure_left_after_the_last_attempt_is_dead_lettered(prefix: str) -> None:
    fleet = Fleet(prefix, bus_max_attempts=2)
    try:
        await fleet.listening()

        async def failing(_command: MarkSeen, _envelope: Envelope) -> None:
            raise RuntimeError("still failing")

        fleet.consumer(failing)
        with pytest.raises(ParleyError) as failed:
            await fleet.requests.request(_command())
        assert failed.value.code == ErrorCode.INTERNAL
        assert await fleet.left_in_stream() == (0, 0)
        dead = await fleet.client.xrange(dead_letter_key(prefix, STREAM))
        assert len(dead) == 1 and b"still failing" in dead[0][1][b"error"]
    finally:
        await fleet.stop()


async def test_a_gone_replicas_entries_are_taken_over(fleet: Fleet) -> None:
    key = stream_key(fleet.prefix, STREAM)
    await fleet.client.xgroup_create(key, "chat_session", id="0", mkstream=True)
    request = asyncio.create_task(fleet.requests.request(_command(7)))
    # A replica reads the entry and dies before settling it.
    await eventually(lambda: fleet.client.xlen(key), timeout=5.0, what="the entry appended")
    taken = await fleet.client.xreadgroup("chat_session", "died", {key: ">"}, count=10)
    assert len(taken[0][1]) == 1
    ran: list[int] = []

    async def handle(command: MarkSeen, _envelope: Envelope) -> None:
        ran.append(command.seq)

    fleet.consumer(handle)
    await asyncio.wait_for(request, 5.0)  # the caller's wait (5 s) still covers the takeover
    assert ran == [7]
    assert await fleet.left_in_stream() == (0, 0)

    async def gone_forgotten() -> bool:
        consumers = await fleet.client.xinfo_consumers(key, "chat_session")
        return all(consumer["name"] != b"died" for consumer in consumers)

    await eventually(gone_forgotten, timeout=3.0, what="the gone consumer removed from the group")


async def test_a_stream_that_lost_its_group_gets_it_back(fleet: Fleet) -> None:
    async def handle(_command: MarkSeen, _envelope: Envelope) -> None:
        return None

    fleet.consumer(handle)
    await fleet.requests.request(_command())
    await fleet.client.delete(stream_key(fleet.prefix, STREAM))  # as FLUSHALL would: the group goes with it
    await fleet.requests.request(_command(2))


async def test_a_caller_not_listening_is_refused_at_once(prefix: str) -> None:
    settings = ServiceSettings(redis_url=REDIS_URL, redis_key_prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        requests = StreamRequests(client, settings, "gateway/test", listening=lambda: False)
        with pytest.raises(ParleyError) as refused:
            await asyncio.wait_for(requests.request(_command()), 1.0)
        assert refused.value.code == ErrorCode.UNAVAILABLE
        assert await client.xlen(stream_key(prefix, STREAM)) == 0, "nothing appended that nobody could answer"
    finally:
        await client.aclose()


async def test_the_entries_waiting_are_measured(fleet: Fleet) -> None:
    def entries() -> float | None:
        return REGISTRY.get_sample_value("parley_command_stream_entries", {"stream": STREAM})

    release = asyncio.Event()

    async def slow(_command: MarkSeen, _envelope: Envelope) -> None:
        await release.wait()

    fleet.consumer(slow)
    waiting = [asyncio.create_task(fleet.requests.request(_command(seq))) for seq in range(3)]
    await eventually(lambda: entries() == 3, timeout=5.0, what="three entries in hand counted")
    release.set()
    await asyncio.gather(*waiting)
    await eventually(lambda: entries() == 0, timeout=5.0, what="none left once settled")


async def test_a_live_replicas_entry_in_hand_is_left_to_it(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a quiet stream Redis shows a live consumer as idle as a dead one: its alive key tells."""
    monkeypatch.setattr(command_streams, "DEAD_CONSUMER_SECONDS", 1.0)
    runs = 0

    async def slow(_command: MarkSeen, _envelope: Envelope) -> None:
        nonlocal runs
        runs += 1
        await asyncio.sleep(3.0)  # three alive periods, on a stream nothing else is sent to

    fleet.consumer(slow)
    request = asyncio.create_task(fleet.requests.request(_command()))
    await eventually(lambda: runs == 1, timeout=5.0, what="the first replica running it")
    fleet.consumer(slow)  # a second replica sweeping all along
    await asyncio.wait_for(request, 5.0)
    assert runs == 1, "the other replica left the entry to the live one"


async def test_a_stopping_replica_finishes_what_it_holds_and_hands_over_the_rest(fleet: Fleet) -> None:
    key = stream_key(fleet.prefix, STREAM)
    ran: list[tuple[str, int]] = []

    def handler(name: str) -> Handler:
        async def handle(command: MarkSeen, _envelope: Envelope) -> None:
            await asyncio.sleep(0.5)
            ran.append((name, command.seq))

        return handle

    leaving = fleet.consumer(handler("leaving"), node_id="leaving")
    first = asyncio.create_task(fleet.requests.request(_command(1)))
    await eventually(lambda: leaving._in_flight, timeout=5.0, what="the entry in hand")
    await leaving.stop(timeout=5.0)
    await asyncio.wait_for(first, 1.0)  # answered before the stop returned
    assert not await fleet.client.exists(f"{key}:alive:leaving"), "it said it is gone"
    # An entry it read and never ran (a read in flight at its stop) is taken by another at once.
    second = asyncio.create_task(fleet.requests.request(_command(2)))
    await eventually(lambda: fleet.client.xlen(key), timeout=5.0, what="the second entry appended")
    await fleet.client.xreadgroup("chat_session", "leaving", {key: ">"}, count=1)
    fleet.consumer(handler("staying"))
    await asyncio.wait_for(second, 5.0)  # well before the 10 s an alive key lives
    assert ran == [("leaving", 1), ("staying", 2)]


async def test_a_handler_that_hangs_is_dead_lettered_not_parked(prefix: str) -> None:
    """Its own timeout, with no outage met, is not a dependency away (failures.parks): parking it
    would run a hanging input for ever."""
    fleet = Fleet(prefix, bus_max_attempts=2, bus_handler_timeout_seconds=0.2)
    try:
        await fleet.listening()

        async def hangs(_command: MarkSeen, _envelope: Envelope) -> None:
            await asyncio.Event().wait()

        fleet.consumer(hangs)
        with pytest.raises(ParleyError) as failed:
            await fleet.requests.request(_command())
        assert failed.value.code == ErrorCode.INTERNAL, "dead-lettered, not parked (9503)"
        assert await fleet.left_in_stream() == (0, 0)
        assert len(await fleet.client.xrange(dead_letter_key(prefix, STREAM))) == 1
    finally:
        await fleet.stop()
