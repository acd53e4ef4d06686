"""The bus against the real RabbitMQ: confirms, acks, request/reply, retries, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest
from prometheus_client import REGISTRY
from pymongo.errors import ServerSelectionTimeoutError

from parley.bus import Bus, topology
from parley.bus.queues import QueueMismatch
from parley.contracts.base import Envelope
from parley.contracts.bot import bot_user_id
from parley.contracts.commands import LookupNodes, NodesOfUsers
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import WITH_BOT, MessageCreated, PresenceChanged
from parley.contracts.messages import Message
from parley.settings import ServiceSettings
from parley_fleet import create_vhost, delete_vhost
from parley_fleet.rabbitmq import queues
from tests.conftest import MANAGEMENT_URL, Infra
from tests.kit.waiting import eventually


@pytest.fixture
async def infra(infra: Infra) -> AsyncIterator[Infra]:
    """A vhost of its own for every test: durable queues one test leaves never route another's messages."""
    mine = Infra(f"{infra.run_id}-{uuid.uuid4().hex[:6]}")
    await create_vhost(MANAGEMENT_URL, mine.vhost)
    yield mine
    await delete_vhost(MANAGEMENT_URL, mine.vhost)


def _settings(infra: Infra, **overrides: object) -> ServiceSettings:
    values = {"amqp_url": infra.amqp_url, "node_id": uuid.uuid4().hex[:8], "bus_request_timeout_seconds": 2.0}
    return ServiceSettings(**{**values, **overrides})


@pytest.fixture
async def buses(infra: Infra) -> AsyncIterator[list[Bus]]:
    started: list[Bus] = []
    yield started
    for bus in started:
        await bus.stop_consuming(timeout=2)
        await bus.close()


async def _start(buses: list[Bus], bus: Bus) -> Bus:
    await bus.connect()
    await bus.start_consuming()
    buses.append(bus)
    return bus


async def _dead_letters(infra: Infra) -> list[Envelope]:
    """Drain parley.dead_letters of this run's vhost."""
    connection = await aio_pika.connect(infra.amqp_url)
    found = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            topology.DEAD_LETTERS_QUEUE, durable=True, arguments=topology.DEAD_LETTERS_ARGUMENTS
        )
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            try:
                found.append(Envelope.model_validate_json(message.body))
            except ValueError:
                found.append(
                    Envelope(type="unreadable", source="test", payload={"raw": message.body.decode(errors="replace")})
                )
    return found


async def test_event_reaches_every_subscribed_service_once(infra: Infra, buses: list[Bus]) -> None:
    got: dict[str, list[str]] = {"a": [], "b": []}

    def recorder(name: str):
        async def handle(event: PresenceChanged, _envelope: Envelope) -> None:
            got[name].append(event.user_id)

        return handle

    for name in got:
        consumer = Bus(_settings(infra), f"svc-{name}-{uuid.uuid4().hex[:6]}")
        consumer.on_event(PresenceChanged, recorder(name))
        await _start(buses, consumer)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="u1", status="online"))
    await asyncio.sleep(0.5)
    assert got == {"a": ["u1"], "b": ["u1"]}


async def test_request_reply_round_trip_and_domain_error(infra: Infra, buses: list[Bus]) -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    server = Bus(_settings(infra), service)

    async def lookup(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        if "ghost" in command.user_ids:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "no ghosts")
        return NodesOfUsers(nodes={"node-1": command.user_ids})

    server.on_command(LookupNodes, lookup)
    await _start(buses, server)
    client = await _start(buses, Bus(_settings(infra), "client"))
    assert await client.request(LookupNodes(user_ids=["u1"])) == NodesOfUsers(nodes={"node-1": ["u1"]})
    with pytest.raises(ParleyError) as refused:
        await client.request(LookupNodes(user_ids=["ghost"]))
    assert refused.value.code == ErrorCode.NOT_A_MEMBER


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the malformed body is the point
async def test_unreadable_request_is_refused_at_once_not_left_to_time_out(infra: Infra, buses: list[Bus]) -> None:
    server = Bus(_settings(infra), f"svc-{uuid.uuid4().hex[:6]}")

    async def lookup(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        return NodesOfUsers(nodes={"node-1": command.user_ids})

    server.on_command(LookupNodes, lookup)
    await _start(buses, server)
    client = await _start(buses, Bus(_settings(infra, bus_request_timeout_seconds=10.0), "client"))
    malformed = LookupNodes.model_construct(user_ids=5)  # skips the sender's validation, as a buggy peer would
    started = asyncio.get_running_loop().time()
    with pytest.raises(ParleyError) as refused:
        await client.request(malformed)
    assert refused.value.code == ErrorCode.BAD_ARGUMENT and "unreadable request" in refused.value.message
    assert asyncio.get_running_loop().time() - started < 5.0, "answered, not timed out"
    assert len(await _dead_letters(infra)) == 1  # and still dead-lettered, to be looked at


async def test_request_without_a_consumer_fails_fast_and_clearly(infra: Infra, buses: list[Bus]) -> None:
    # A fresh vhost has no presence.commands queue: the command is unroutable.
    client = await _start(buses, Bus(_settings(infra), "client"))
    with pytest.raises(ParleyError) as refused:
        await client.request(LookupNodes(user_ids=["u1"]))
    assert refused.value.code == ErrorCode.UNAVAILABLE


async def test_request_times_out_with_a_clear_error(infra: Infra, buses: list[Bus]) -> None:
    server = Bus(_settings(infra, bus_handler_timeout_seconds=30), f"svc-{uuid.uuid4().hex[:6]}")

    async def slow(_command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        await asyncio.sleep(5)
        return NodesOfUsers(nodes={})

    server.on_command(LookupNodes, slow)
    await _start(buses, server)
    client = await _start(buses, Bus(_settings(infra, bus_request_timeout_seconds=0.5), "client"))
    with pytest.raises(ParleyError) as refused:
        await client.request(LookupNodes(user_ids=["u1"]))
    assert refused.value.code == ErrorCode.UNAVAILABLE and "no answer" in refused.value.message


async def test_failing_handler_is_retried_then_succeeds(infra: Infra, buses: list[Bus]) -> None:
    attempts: list[int] = []
    consumer = Bus(_settings(infra, bus_max_attempts=5), f"svc-{uuid.uuid4().hex[:6]}")

    async def flaky(event: PresenceChanged, _envelope: Envelope) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("transient")

    consumer.on_event(PresenceChanged, flaky)
    await _start(buses, consumer)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="retry-me", status="away"))
    await asyncio.sleep(2.0)
    assert len(attempts) == 3


async def test_handler_that_always_fails_is_dead_lettered_not_looped(infra: Infra, buses: list[Bus]) -> None:
    await _dead_letters(infra)  # start from an empty dead-letter queue
    attempts: list[int] = []
    consumer = Bus(_settings(infra, bus_max_attempts=3), f"svc-{uuid.uuid4().hex[:6]}")

    async def broken(_event: PresenceChanged, _envelope: Envelope) -> None:
        attempts.append(1)
        raise RuntimeError("always")

    consumer.on_event(PresenceChanged, broken)
    await _start(buses, consumer)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="doomed", status="away"))
    await asyncio.sleep(2.5)
    assert len(attempts) == 3
    dead = await _dead_letters(infra)
    assert [envelope.payload["user_id"] for envelope in dead if envelope.type == "presence.changed"] == ["doomed"]


async def test_a_failure_no_retry_can_mend_is_answered_at_once_and_dead_lettered(
    infra: Infra, buses: list[Bus]
) -> None:
    await _dead_letters(infra)
    attempts: list[int] = []
    server = Bus(_settings(infra), f"svc-{uuid.uuid4().hex[:6]}")

    async def store(_command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        attempts.append(1)
        raise OverflowError("MongoDB can only handle up to 8-byte ints")  # what bson says of 2**63

    server.on_command(LookupNodes, store)
    await _start(buses, server)
    client = await _start(buses, Bus(_settings(infra, bus_request_timeout_seconds=10.0), "client"))
    with pytest.raises(ParleyError) as refused:
        await client.request(LookupNodes(user_ids=["u1"]))
    assert refused.value.code == ErrorCode.BAD_ARGUMENT, refused.value
    assert attempts == [1], "never retried"
    assert [envelope.type for envelope in await _dead_letters(infra)] == ["presence.lookup_nodes"]


async def test_messages_waiting_for_a_retry_hold_no_consumer_slot(infra: Infra, buses: list[Bus]) -> None:
    """Two failing messages on a consumer that takes two at a time: a request behind them is still
    answered, because a retry waits in a delay queue, not in the consumer."""
    server = Bus(_settings(infra, bus_prefetch=2, bus_max_attempts=8), f"svc-{uuid.uuid4().hex[:6]}")
    failing = {"poison-1", "poison-2"}
    failed: list[str] = []

    async def lookup(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        if command.user_ids[0] in failing:
            failed.append(command.user_ids[0])
            raise RuntimeError("a dependency is away")
        return NodesOfUsers(nodes={"node-1": command.user_ids})

    server.on_command(LookupNodes, lookup)
    await _start(buses, server)
    client = await _start(buses, Bus(_settings(infra, bus_request_timeout_seconds=3.0), "client"))
    for poison in sorted(failing):
        await client.send_command(LookupNodes(user_ids=[poison]))
    for _ in range(5):  # each answered while the two failing messages back off (28 s in all)
        assert await client.request(LookupNodes(user_ids=["someone"])) == NodesOfUsers(nodes={"node-1": ["someone"]})
    assert failing <= set(failed)


async def test_poison_message_is_dead_lettered_and_the_queue_moves_on(infra: Infra, buses: list[Bus]) -> None:
    await _dead_letters(infra)
    service = f"svc-{uuid.uuid4().hex[:6]}"
    seen: list[str] = []
    consumer = Bus(_settings(infra), service)

    async def record(event: PresenceChanged, _envelope: Envelope) -> None:
        seen.append(event.user_id)

    consumer.on_event(PresenceChanged, record)
    await _start(buses, consumer)
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        events = await channel.get_exchange(topology.EVENTS)
        await events.publish(aio_pika.Message(b"{not json"), routing_key="presence.changed")
        bad_payload = Envelope(type="presence.changed", source="test", payload={"user_id": 5})
        await events.publish(aio_pika.Message(bad_payload.model_dump_json().encode()), routing_key="presence.changed")
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="after-poison", status="online"))
    await asyncio.sleep(0.7)
    assert seen == ["after-poison"]
    dead = await _dead_letters(infra)
    assert len(dead) == 2


async def test_node_events_reach_every_node_of_a_service(infra: Infra, buses: list[Bus]) -> None:
    got: list[str] = []
    shared: list[str] = []

    async def per_node(event: PresenceChanged, envelope: Envelope) -> None:
        got.append(envelope.source)

    async def competing(event: PresenceChanged, _envelope: Envelope) -> None:
        shared.append(event.user_id)

    for _ in range(2):
        node = Bus(_settings(infra), "gatewaylike")
        node.on_node_event(PresenceChanged, per_node)
        await _start(buses, node)
        worker = Bus(_settings(infra), "workerlike")
        worker.on_event(PresenceChanged, competing)
        await _start(buses, worker)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="u9", status="offline"))
    await asyncio.sleep(0.5)
    assert len(got) == 2  # each of the two nodes
    assert shared == ["u9"]  # one of the two competing workers


def _message_created(conversation_id: str, member_ids: list[str]) -> MessageCreated:
    message = Message(
        id=f"m-{conversation_id}",
        conversation_id=conversation_id,
        seq=1,
        author_id=member_ids[0],
        author_role="visitor",
        kind="text",
        body="hello",
        client_msg_id="c1",
        created_at=datetime.now(UTC),
    )
    return MessageCreated(message=message, member_ids=member_ids)


async def test_a_qualified_subscription_takes_only_its_part_of_an_event(infra: Infra, buses: list[Bus]) -> None:
    everything: list[str] = []
    with_bot: list[str] = []

    async def all_messages(event: MessageCreated, _envelope: Envelope) -> None:
        everything.append(event.message.conversation_id)

    async def bot_messages(event: MessageCreated, _envelope: Envelope) -> None:
        with_bot.append(event.message.conversation_id)

    notificationlike = Bus(_settings(infra), f"all-{uuid.uuid4().hex[:6]}")
    notificationlike.on_event(MessageCreated, all_messages)
    await _start(buses, notificationlike)
    botlike = Bus(_settings(infra), f"bot-{uuid.uuid4().hex[:6]}")
    botlike.on_event(MessageCreated, bot_messages, only=WITH_BOT)
    await _start(buses, botlike)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))

    humans, bot = _message_created("c-humans", ["v1", "o1"]), _message_created("c-bot", ["v2", bot_user_id("faq")])
    assert (humans.routing_key(), bot.routing_key()) == ("message.created", "message.created.with_bot")
    await publisher.publish_event(humans)
    await publisher.publish_event(bot)
    await asyncio.sleep(0.5)
    assert sorted(everything) == ["c-bot", "c-humans"]  # the bare type and the qualified one, once each
    assert with_bot == ["c-bot"]


async def test_a_binding_no_handler_takes_any_more_is_removed_at_start(infra: Infra, buses: list[Bus]) -> None:
    """An upgraded presence must not keep receiving (and dead-lettering) message.created."""
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        events = await channel.declare_exchange(topology.EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)
        old = await channel.declare_queue(
            topology.events_queue("presence"), durable=True, arguments=topology.work_queue_arguments(8)
        )
        await old.bind(events, routing_key="message.created")  # what the previous version bound

    async def ignore(_event: PresenceChanged, _envelope: Envelope) -> None:
        return None

    presence = Bus(_settings(infra), "presence")
    presence.on_event(PresenceChanged, ignore)
    await _start(buses, presence)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(_message_created("c-after-upgrade", ["v1", "o1"]))
    await asyncio.sleep(0.5)
    assert await _dead_letters(infra) == []


async def test_durable_queues_are_quorum_queues_and_a_node_s_own_stay_classic(infra: Infra, buses: list[Bus]) -> None:
    async def ignore(_event: PresenceChanged, _envelope: Envelope) -> None:
        return None

    async def lookup(_command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        return NodesOfUsers(nodes={})

    service = Bus(_settings(infra, bus_max_attempts=6), "svc")
    service.on_event(PresenceChanged, ignore)
    service.on_node_event(MessageCreated, ignore)
    service.on_command(LookupNodes, lookup)
    await _start(buses, service)
    declared = await queues(MANAGEMENT_URL, infra.vhost)
    durable = [topology.commands_queue("svc"), topology.events_queue("svc"), topology.DEAD_LETTERS_QUEUE]
    durable += [topology.delay_queue(milliseconds) for milliseconds in topology.delay_milliseconds()]
    durable += [topology.parked_queue(work) for work in durable[:2]]
    assert {name: declared[name]["type"] for name in durable} == dict.fromkeys(durable, "quorum")
    for work in durable[:2]:  # the broker's budget of returns agrees with the consumer's 6 attempts
        assert declared[work]["arguments"]["x-delivery-limit"] == 5, declared[work]["arguments"]
    own = [
        topology.node_events_queue("svc", service.settings.node_id),
        topology.reply_queue("svc", service.settings.node_id),
    ]
    assert {name: declared[name]["type"] for name in own} == dict.fromkeys(own, "classic")


async def test_a_classic_queue_of_an_earlier_version_stops_the_bus_saying_what_to_do(infra: Infra) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(
            topology.events_queue("svc"), durable=True, arguments={"x-dead-letter-exchange": topology.DLX}
        )

    async def ignore(_event: PresenceChanged, _envelope: Envelope) -> None:
        return None

    upgraded = Bus(_settings(infra), "svc")
    upgraded.on_event(PresenceChanged, ignore)
    await upgraded.connect()
    try:
        with pytest.raises(QueueMismatch) as refused:
            await upgraded.start_consuming()
    finally:
        await upgraded.close()
    assert "'svc.events' is a classic queue" in str(refused.value)
    assert "docs/operations.md" in str(refused.value)
    assert (await queues(MANAGEMENT_URL, infra.vhost))["svc.events"]["type"] == "classic", "left as it was"


async def test_a_message_that_kills_its_consumer_every_time_has_the_consumer_s_budget(
    infra: Infra, buses: list[Bus]
) -> None:
    """A consumer that dies holding a message returns it to its queue: those returns count against
    the same bus_max_attempts as the consumer's own retries, on the broker's side and on the bus's."""
    await _dead_letters(infra)
    declaring = Bus(_settings(infra, bus_max_attempts=3), "svc")
    calls: list[str] = []

    async def failing(event: PresenceChanged, _envelope: Envelope) -> None:
        calls.append(event.user_id)
        raise RuntimeError("a dependency is away")

    declaring.on_event(PresenceChanged, failing)
    await declaring.connect()
    await declaring.start_consuming()
    await declaring.stop_consuming(timeout=2)
    await declaring.close()
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    await publisher.publish_event(PresenceChanged(user_id="kills-its-consumer", status="away"))
    await publisher.publish_event(PresenceChanged(user_id="returned-twice", status="away"))

    async def take_and_die() -> str:
        """What a consumer killed mid-handler does: take one message, never settle it."""
        connection = await aio_pika.connect(infra.amqp_url)
        channel = await connection.channel()
        queue = await channel.get_queue(topology.events_queue("svc"), ensure=False)
        message = await eventually(lambda: queue.get(fail=False), what="a message in svc.events")
        await connection.close()  # the message goes back to its queue, one return more
        return str(Envelope.model_validate_json(message.body).payload["user_id"])

    taken = [await take_and_die() for _ in range(5)]  # quorum queues return a message at its place: the head
    assert taken == ["kills-its-consumer"] * 3 + ["returned-twice"] * 2, (
        "three deliveries of the first, then the broker dead-lettered it"
    )
    consumer = Bus(_settings(infra, bus_max_attempts=3), "svc")
    consumer.on_event(PresenceChanged, failing)
    await _start(buses, consumer)
    dead: list[object] = []

    async def both_dead() -> bool:
        dead.extend(envelope.payload["user_id"] for envelope in await _dead_letters(infra))
        return len(dead) >= 2

    await eventually(both_dead, what="both messages dead-lettered")
    assert sorted(map(str, dead)) == ["kills-its-consumer", "returned-twice"]
    assert calls == ["returned-twice"], "its third delivery: failed once, no retry left"


async def test_a_last_attempt_that_runs_out_of_time_after_an_outage_is_parked_a_hung_handler_is_dead_lettered(
    infra: Infra, buses: list[Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after a dependency returns, the work it held back arrives at once and may queue past
    the handler's time limit: a message whose earlier attempt met the outage is parked for another
    try then. A handler that only ever runs out of time is still dead-lettered after the budget."""
    monkeypatch.setattr(topology, "PARK_SECONDS", 0.5)
    await _dead_letters(infra)
    tries: dict[str, int] = {}
    done: list[str] = []
    consumer = Bus(_settings(infra, bus_max_attempts=2, bus_handler_timeout_seconds=0.3), f"svc-{uuid.uuid4().hex[:6]}")

    async def store(event: PresenceChanged, _envelope: Envelope) -> None:
        tries[event.user_id] = tries.get(event.user_id, 0) + 1
        if event.user_id == "after-outage" and tries[event.user_id] == 1:
            raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")
        if event.user_id == "hung" or tries[event.user_id] == 2:
            await asyncio.sleep(5)  # past the handler's limit: TimeoutError
        done.append(event.user_id)

    consumer.on_event(PresenceChanged, store)
    await _start(buses, consumer)
    publisher = await _start(buses, Bus(_settings(infra), "publisher"))
    for user in ("after-outage", "hung"):
        await publisher.publish_event(PresenceChanged(user_id=user, status="away"))

    await eventually(lambda: done == ["after-outage"], timeout=15, what="the message the outage held back done")
    assert tries["after-outage"] == 3, "met the outage, ran out of time, parked, done on its next round"
    dead: list[object] = []

    async def hung_dead() -> bool:
        dead.extend(envelope.payload["user_id"] for envelope in await _dead_letters(infra))
        return bool(dead)

    await eventually(hung_dead, timeout=15, what="the hung handler's message dead-lettered")
    assert dead == ["hung"] and tries["hung"] == 2


async def test_work_whose_dependency_outlasts_the_retries_is_parked_and_done_once_when_it_is_back(
    infra: Infra, buses: list[Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topology, "PARK_SECONDS", 0.5)  # the parking queue's TTL, read when it is declared
    await _dead_letters(infra)
    database_down = True
    done: list[str] = []
    consumer = Bus(_settings(infra, bus_max_attempts=2), f"svc-{uuid.uuid4().hex[:6]}")
    queue = topology.events_queue(consumer.service)

    async def store(event: PresenceChanged, _envelope: Envelope) -> None:
        if database_down:
            raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")
        done.append(event.user_id)

    async def lookup(_command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        if database_down:
            raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")
        return NodesOfUsers(nodes={})

    consumer.on_event(PresenceChanged, store)
    consumer.on_command(LookupNodes, lookup)
    await _start(buses, consumer)
    publisher = await _start(buses, Bus(_settings(infra, bus_request_timeout_seconds=10.0), "publisher"))
    for user in ("u1", "u2", "u3"):
        await publisher.publish_event(PresenceChanged(user_id=user, status="away"))
    with pytest.raises(ParleyError) as refused:  # the caller hears "retry", at once, not a false success
        await publisher.request(LookupNodes(user_ids=["u1"]))
    assert refused.value.code == ErrorCode.UNAVAILABLE, refused.value

    def parked() -> tuple[float | None, float | None]:
        labels = {"queue": queue}
        return (
            REGISTRY.get_sample_value("parley_bus_parked", labels),
            REGISTRY.get_sample_value("parley_bus_parked_oldest_age_seconds", labels),
        )

    # Parked, round after round, its age counted from the first parking: never dead-lettered.
    await eventually(lambda: parked()[0] == 3 and (parked()[1] or 0) >= 1.5, timeout=10, what="3 parked for 1.5 s")
    assert done == []

    database_down = False
    await eventually(lambda: len(done) >= 3, timeout=10, what="the parked work done")
    await eventually(lambda: parked() == (0, 0), timeout=5, what="nothing parked any more")
    assert sorted(done) == ["u1", "u2", "u3"], "each done once"
    assert await _dead_letters(infra) == []
    declared = await queues(MANAGEMENT_URL, infra.vhost)
    assert declared[topology.parked_queue(queue)]["type"] == "quorum"
