"""Catching up a stream with the stored newest seq (a delivery lost with no later message to show
the gap), and the node's batched position check (pure logic: history is an in-memory list, the
bus a recorder)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import orjson

from parley.contracts.commands import GetNewestSeqs, NewestSeqs
from parley.contracts.errors import ErrorCode, ParleyError
from parley.deliveries import StateFrame
from parley_gateway import positions as positions_module
from parley_gateway.connections import Connections, OutFrame, Payload
from parley_gateway.positions import PositionCheck
from parley_gateway.streams import OrderedDelivery, StateTold
from tests.unit.test_gateway_streams import CONVERSATION, GAP_WAIT, RecordingConnection, Store, _live


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait for the event (a fill task writing), failing after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


class FramesConnection(RecordingConnection):
    """Records every frame: message.new seqs in ``written``, the others' types and data in ``frames``."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[str, dict[str, Any]]] = []

    def send(self, frame_type: str, payload: Payload) -> bool:
        data = orjson.loads(payload.text if isinstance(payload, OutFrame) else payload)["data"]
        if frame_type == "message.new":
            self.written.append(data["seq"])
        else:
            self.frames.append((frame_type, data))
        return True


async def no_keys(_conversation_ids: list[str]) -> dict[str, int]:
    """Redis has no newest seq recorded for any conversation: every one is asked of chat_session."""
    return {}


async def no_states(_conversation_ids: list[str]) -> dict[str, list[StateFrame]]:
    return {}


class Bus:
    """chat_session's newest_seqs over ``newest``; the requests it got."""

    def __init__(self, newest: dict[str, int]) -> None:
        self.newest = newest
        self.requests: list[list[str]] = []
        self.position: dict[str, Any] = {
            "channel_id": "ch_1",
            "member_ids": ["v_1", "o_1"],
            "status": "open",
            "operator_id": "o_1",
        }

    async def request(self, command: GetNewestSeqs) -> NewestSeqs:
        self.requests.append(list(command.conversation_ids))
        known = [c for c in command.conversation_ids if c in self.newest]
        return NewestSeqs.model_validate(
            {"conversations": {c: {"newest_seq": self.newest[c], **self.position} for c in known}}
        )


async def test_a_lost_last_message_is_filled_at_once_after_an_outage() -> None:
    store = Store([1, 2, 3])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT * 100), FramesConnection()
    _live(delivery, connection, 1)
    _live(delivery, connection, 2)  # seq 3's delivery was lost: nothing held, no gap to see
    assert delivery.catch_up(connection, CONVERSATION, 3, at_once=True)
    await until(lambda: connection.written == [1, 2, 3])


async def test_a_periodic_check_waits_the_gap_wait_for_a_delivery_on_its_way() -> None:
    store = Store([1, 2])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), FramesConnection()
    _live(delivery, connection, 1)
    assert delivery.catch_up(connection, CONVERSATION, 2, at_once=False)
    _live(delivery, connection, 2)  # it came within the gap wait
    await asyncio.sleep(GAP_WAIT * 3)  # the gap timer's whole life: it must read nothing
    assert (connection.written, store.reads) == ([1, 2], 0)


async def test_a_periodic_check_fills_a_delivery_that_never_comes() -> None:
    store = Store([1, 2])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), FramesConnection()
    _live(delivery, connection, 1)
    delivery.catch_up(connection, CONVERSATION, 2, at_once=False)
    await until(lambda: connection.written == [1, 2])
    assert not delivery.catch_up(connection, CONVERSATION, 2, at_once=False)  # caught up: nothing to do


async def test_a_conversation_opened_or_sent_into_is_followed_before_its_first_delivery() -> None:
    store = Store([4, 5])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), FramesConnection()
    delivery.track(connection, CONVERSATION, 3)  # session.opened said last_seq 3
    delivery.catch_up(connection, CONVERSATION, 5, at_once=True)
    await until(lambda: connection.written == [4, 5])


async def test_one_request_per_check_for_every_served_conversation_and_state_after_an_outage() -> None:
    store = Store([1, 2])
    delivery = OrderedDelivery(store.history, GAP_WAIT)
    connections = Connections()
    first, second = FramesConnection(), FramesConnection()
    for connection in (first, second):
        connections.add(connection)
    _live(delivery, first, 1)
    _live(delivery, second, 1)
    _live(delivery, second, 2)
    delivery.track(second, "c_other", 7)
    bus = Bus({CONVERSATION: 2, "c_other": 7})
    positions = PositionCheck(bus, no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]

    assert await positions.check(after_outage=True) == 1  # only ``first`` was behind
    assert bus.requests == [[CONVERSATION, "c_other"]]
    await until(lambda: first.written == [1, 2])
    assert second.written == [1, 2]
    # After an outage every served conversation gets its current state, behind or not.
    assert [(kind, data["conversation_id"]) for kind, data in first.frames] == [("conversation.updated", CONVERSATION)]
    assert sorted(data["conversation_id"] for _, data in second.frames) == [CONVERSATION, "c_other"]
    assert first.frames[0][1]["operator_id"] == "o_1"


async def test_a_periodic_check_sends_state_only_where_a_stream_was_behind_and_asks_nothing_when_idle() -> None:
    delivery = OrderedDelivery(Store([1]).history, GAP_WAIT)
    connections = Connections()
    bus = Bus({CONVERSATION: 1})
    positions = PositionCheck(bus, no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]
    assert await positions.check(after_outage=False) == 0
    assert bus.requests == []  # no stream served: no request
    connection = FramesConnection()
    connections.add(connection)
    _live(delivery, connection, 1)
    assert await positions.check(after_outage=False) == 0
    assert connection.frames == []


async def test_a_conversation_the_user_left_gets_its_state_once_and_is_no_longer_followed() -> None:
    store = Store([1, 2, 3])
    delivery = OrderedDelivery(store.history, GAP_WAIT)
    connections = Connections()
    connection = FramesConnection()
    connections.add(connection)
    _live(delivery, connection, 1)
    connections.remove(connection)
    connection.claims = dataclasses.replace(connection.claims, sub="o_gone")  # transferred away since
    connections.add(connection)
    bus = Bus({CONVERSATION: 3})  # member_ids: v_1 and o_1, not this user
    positions = PositionCheck(bus, no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]
    assert await positions.check(after_outage=False) == 0
    assert [kind for kind, _ in connection.frames] == ["conversation.updated"]
    assert CONVERSATION not in connection.streams and store.reads == 0
    await positions.check(after_outage=False)
    assert len(connection.frames) == 1 and bus.requests == [[CONVERSATION]]  # nothing served any more


async def test_a_periodic_check_sends_the_state_only_with_a_fill_that_turns_out_due() -> None:
    store = Store([1, 2])
    delivery = OrderedDelivery(store.history, GAP_WAIT)
    connections = Connections()
    on_time, lost = FramesConnection(), FramesConnection()
    for connection in (on_time, lost):
        connections.add(connection)
        _live(delivery, connection, 1)
    positions = PositionCheck(Bus({CONVERSATION: 2}), no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]
    assert await positions.check(after_outage=False) == 2  # seq 2 stored, on its way to both
    _live(delivery, on_time, 2)  # it reached one of them within the gap wait
    await until(lambda: lost.written == [1, 2])
    assert [kind for kind, _ in lost.frames] == ["conversation.updated"]
    assert (on_time.written, on_time.frames) == ([1, 2], [])


async def test_a_periodic_check_asks_chat_session_only_where_redis_shows_a_stream_behind() -> None:
    store = Store([1, 2])
    delivery = OrderedDelivery(store.history, GAP_WAIT)
    connections = Connections()
    connection = FramesConnection()
    connections.add(connection)
    _live(delivery, connection, 1)
    delivery.track(connection, "c_other", 7)
    recorded = {CONVERSATION: 1, "c_other": 7}

    async def from_redis(conversation_ids: list[str]) -> dict[str, int]:
        return {
            conversation_id: recorded[conversation_id]
            for conversation_id in conversation_ids
            if conversation_id in recorded
        }

    bus = Bus({CONVERSATION: 2, "c_other": 7})
    positions = PositionCheck(bus, from_redis, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]
    assert await positions.check(after_outage=False) == 0
    assert bus.requests == [], "every stream is at the recorded newest seq: nothing to ask"
    recorded[CONVERSATION] = 2
    assert await positions.check(after_outage=False) == 1
    assert bus.requests == [[CONVERSATION]], "only the conversation behind is asked"
    await until(lambda: connection.written == [1, 2])


async def test_after_an_outage_the_recorded_state_frames_go_to_their_recipients_following_the_conversation() -> None:
    delivery = OrderedDelivery(Store([1]).history, GAP_WAIT)
    connections = Connections()
    visitor, operator = FramesConnection(), FramesConnection()
    operator.claims = dataclasses.replace(operator.claims, sub="o_1")
    for connection in (visitor, operator):
        connections.add(connection)
        _live(delivery, connection, 1)
    step = orjson.dumps({"type": "bot.step", "data": {"conversation_id": CONVERSATION, "step_id": "s1"}}).decode()

    async def recorded_states(conversation_ids: list[str]) -> dict[str, list[StateFrame]]:
        assert conversation_ids == [CONVERSATION]
        return {CONVERSATION: [StateFrame("bot.step", [visitor.user_id], step)]}

    positions = PositionCheck(
        Bus({CONVERSATION: 1}), no_keys, recorded_states, connections, delivery, period_seconds=60
    )  # type: ignore[arg-type]
    await positions.check(after_outage=True)
    assert [kind for kind, _ in visitor.frames] == ["conversation.updated", "bot.step"]
    assert [kind for kind, _ in operator.frames] == ["conversation.updated"], "the step was for the visitor only"
    await positions.check(after_outage=False)
    assert [kind for kind, _ in visitor.frames] == ["conversation.updated", "bot.step"], (
        "a periodic check re-sends nothing"
    )


class UnavailableBus(Bus):
    """chat_session away (catching up after the same outage) until ``back`` is set."""

    def __init__(self, newest: dict[str, int]) -> None:
        super().__init__(newest)
        self.back = False

    async def request(self, command: GetNewestSeqs) -> NewestSeqs:
        if not self.back:
            raise ParleyError(ErrorCode.UNAVAILABLE, "chat_session is not answering")
        return await super().request(command)


async def test_a_full_check_is_owed_after_an_outage_until_one_succeeds(monkeypatch: Any) -> None:
    """A close published while the node was away: no seq gap shows it, so a periodic check alone
    would never tell the socket. When every attempt right after the reconnect fails, the periodic
    checks are full ones (state to everyone) until one gets through, and then no longer."""
    monkeypatch.setattr(positions_module, "RECONNECT_RETRY_SECONDS", 0.0)
    delivery = OrderedDelivery(Store([1]).history, GAP_WAIT)
    connections = Connections()
    connection = FramesConnection()
    connections.add(connection)
    _live(delivery, connection, 1)
    bus = UnavailableBus({CONVERSATION: 1})  # not behind: only the state frame can say it closed
    positions = PositionCheck(bus, no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]

    positions.after_reconnect()
    await until(lambda: not positions._after_outage)
    assert positions.full_check_owed and connection.frames == []
    bus.back = True
    await positions.check(after_outage=positions.full_check_owed)
    assert [kind for kind, _ in connection.frames] == ["conversation.updated"]
    assert not positions.full_check_owed
    await positions.check(after_outage=positions.full_check_owed)
    assert len(connection.frames) == 1  # the debt is paid: a periodic check sends nothing more


def _updated(conversation_id: str, member_ids: list[str], status: str) -> str:
    data = {"conversation_id": conversation_id, "channel_id": "ch_1", "member_ids": member_ids, "status": status}
    return orjson.dumps({"type": "conversation.updated", "data": data}).decode()


async def test_a_member_told_the_state_before_any_message_gets_the_state_after_an_outage() -> None:
    """An operator assigned (conversation.updated) whose socket has no message of it yet: a close
    published while the node's link was down reaches it with the state re-sent after the outage;
    nothing is filled for it (the console reads what came before), and no periodic check asks."""
    store = Store([1, 2])
    delivery = OrderedDelivery(store.history, GAP_WAIT)
    connections = Connections()
    operator = FramesConnection()
    connections.add(operator)
    told = StateTold.of(_updated(CONVERSATION, ["v_1", operator.user_id], "open"))
    assert told is not None
    told.apply(delivery, operator)
    bus = Bus({CONVERSATION: 2})
    positions = PositionCheck(bus, no_keys, no_states, connections, delivery, period_seconds=60)  # type: ignore[arg-type]

    assert await positions.check(after_outage=False) == 0
    assert bus.requests == []  # only the state is watched: nothing to ask every period

    bus.position["status"] = "closed"
    assert await positions.check(after_outage=True) == 0
    assert [(kind, data["status"]) for kind, data in operator.frames] == [("conversation.updated", "closed")]
    await asyncio.sleep(GAP_WAIT * 2)
    assert operator.written == [] and store.reads == 0


def test_a_closed_state_drops_a_watching_stream_and_keeps_one_with_messages() -> None:
    delivery = OrderedDelivery(Store([1]).history, GAP_WAIT)
    watching, reading = FramesConnection(), FramesConnection()
    member_ids = ["v_1", watching.user_id, reading.user_id]
    opened = StateTold.of(_updated(CONVERSATION, member_ids, "open"))
    closed = StateTold.of(_updated(CONVERSATION, member_ids, "closed"))
    assert opened is not None and closed is not None
    opened.apply(delivery, watching)
    _live(delivery, reading, 1)
    assert CONVERSATION in watching.streams
    closed.apply(delivery, watching)
    closed.apply(delivery, reading)
    assert CONVERSATION not in watching.streams and CONVERSATION in reading.streams

    elsewhere = StateTold.of(_updated(CONVERSATION, ["v_2", "o_other"], "open"))
    assert elsewhere is not None
    elsewhere.apply(delivery, watching)  # not a member: not followed
    assert CONVERSATION not in watching.streams
    assert StateTold.of('{"type": "conversation.updated", "data": {}}') is None
