"""Ordered delivery per connection and conversation: holding, gap filling, resume (pure logic;
chat_session's history is an in-memory list here)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import orjson
import pytest
from aiohttp import web

from parley.contracts.commands import GetHistory, History
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Message
from parley.tokens import Claims
from parley_gateway.connections import Connection, OutFrame, Payload, SeenSeqs
from parley_gateway.streams import OrderedDelivery, message_new

CONVERSATION = "c_1"
GAP_WAIT = 0.05


class RecordingConnection(Connection):
    """A connection whose socket is a list: the seqs written to it, in order."""

    def __init__(self) -> None:
        now = int(time.time())
        claims = Claims(sub="v_1", role="visitor", sid="s", iat=now, exp=now + 600, iss="i", aud="a", jti="j")
        super().__init__(ws=web.WebSocketResponse(), claims=claims, client_kind="web")
        self.written: list[int] = []

    def send(self, frame_type: str, payload: Payload) -> bool:
        text = payload.text if isinstance(payload, OutFrame) else payload
        self.written.append(orjson.loads(text)["data"]["seq"])
        return True


def _message(seq: int) -> Message:
    return Message(
        id=f"m{seq}",
        conversation_id=CONVERSATION,
        seq=seq,
        author_id="v_1",
        author_role="visitor",
        kind="text",
        body=f"text {seq}",
        created_at=datetime.now(UTC),
    )


class Store:
    """chat_session's history over a list of stored seqs; ``during_read`` runs inside each read."""

    def __init__(self, seqs: list[int]) -> None:
        self.seqs = sorted(seqs)
        self.reads = 0
        self.during_read = None

    async def history(self, command: GetHistory) -> History:
        self.reads += 1
        if self.during_read is not None:
            self.during_read()
        after = command.after_seq or 0
        newer = [seq for seq in self.seqs if seq > after]
        page = newer[: command.limit]
        return History(
            conversation_id=CONVERSATION,
            messages=[_message(seq) for seq in page],
            has_more=len(newer) > command.limit,
            last_seq=max(self.seqs, default=0),
        )


def _live(delivery: OrderedDelivery, connection: Connection, seq: int) -> bool:
    return delivery.deliver(connection, CONVERSATION, seq, message_new(_message(seq)))


async def test_in_order_messages_go_out_at_once_and_duplicates_never() -> None:
    delivery, connection = OrderedDelivery(Store([]).history, GAP_WAIT), RecordingConnection()
    assert [_live(delivery, connection, seq) for seq in (5, 6, 6, 7, 5)] == [True, True, False, True, False]
    assert connection.written == [5, 6, 7]


async def test_a_message_that_overtook_another_waits_for_it() -> None:
    store = Store([1, 2, 3])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    _live(delivery, connection, 1)
    _live(delivery, connection, 3)
    assert connection.written == [1]
    _live(delivery, connection, 2)
    assert connection.written == [1, 2, 3]
    await asyncio.sleep(GAP_WAIT * 3)
    assert store.reads == 0  # the gap closed in time: history was not needed


async def test_a_gap_that_stays_open_is_filled_from_history() -> None:
    store = Store([1, 2, 3, 4])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    for seq in (1, 4, 3):
        _live(delivery, connection, seq)
    await asyncio.sleep(GAP_WAIT * 4)
    assert connection.written == [1, 2, 3, 4]
    _live(delivery, connection, 2)  # the lost delivery turns up after all: not written twice
    assert connection.written == [1, 2, 3, 4]


async def test_a_seq_history_does_not_have_is_given_up_on_but_still_written_if_it_comes() -> None:
    store = Store([1, 3])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    _live(delivery, connection, 1)
    _live(delivery, connection, 3)
    await asyncio.sleep(GAP_WAIT * 4)
    assert connection.written == [1, 3]
    _live(delivery, connection, 4)
    assert connection.written == [1, 3, 4]  # nothing waits behind the given-up gap
    _live(delivery, connection, 2)
    assert connection.written == [1, 3, 4, 2]


async def test_resume_replays_in_order_and_live_messages_during_it_come_once_after() -> None:
    store = Store(list(range(1, 451)))
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()

    def new_message_arrives() -> None:
        # Live traffic during the replay: 451 and 452 are stored and delivered while pages are read.
        if store.reads == 2:
            store.seqs += [451, 452]
            _live(delivery, connection, 452)
            _live(delivery, connection, 451)

    store.during_read = new_message_arrives
    last = await delivery.resume(connection, CONVERSATION, after_seq=40)
    assert connection.written == list(range(41, 453))
    assert last == 452
    _live(delivery, connection, 453)
    assert connection.written[-1] == 453


async def test_resume_after_what_exists_is_refused_and_leaves_no_trace() -> None:
    store = Store([1, 2])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    with pytest.raises(ParleyError) as refused:
        await delivery.resume(connection, CONVERSATION, after_seq=9)
    assert refused.value.code == ErrorCode.BAD_ARGUMENT
    assert _live(delivery, connection, 3) and connection.written == [3]


class FlakyStore(Store):
    """History that is away (9503) for its first ``failures`` reads."""

    def __init__(self, seqs: list[int], failures: int) -> None:
        super().__init__(seqs)
        self.failures = failures

    async def history(self, command: GetHistory) -> History:
        if self.failures:
            self.failures -= 1
            self.reads += 1
            raise ParleyError(ErrorCode.UNAVAILABLE, "chat_session.history got no answer")
        return await super().history(command)


async def test_a_gap_fill_that_fails_for_a_passing_reason_is_tried_again_with_the_held_kept_in_order() -> None:
    store = FlakyStore([1, 2, 3, 4], failures=2)
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    for seq in (1, 3, 4):
        _live(delivery, connection, seq)
    await asyncio.sleep(GAP_WAIT * 20)
    assert store.reads == 3  # two failed reads, then the one that filled the gap
    assert connection.written == [1, 2, 3, 4]  # 3 and 4 waited behind 2, not written past it


async def test_a_resume_that_fails_for_a_passing_reason_keeps_the_conversation_followed() -> None:
    store = FlakyStore([1, 2, 3, 4], failures=1)
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    with pytest.raises(ParleyError) as refused:
        await delivery.resume(connection, CONVERSATION, after_seq=1)
    assert refused.value.code == ErrorCode.UNAVAILABLE
    _live(delivery, connection, 4)  # a live message above the missing 2 and 3: held, then filled
    await asyncio.sleep(GAP_WAIT * 6)
    assert connection.written == [2, 3, 4]
    # With nothing held, the stored newest seq (a position check) still finds the stream behind.
    store.seqs.append(5)
    assert delivery.catch_up(connection, CONVERSATION, 5, at_once=True)
    await asyncio.sleep(GAP_WAIT * 2)
    assert connection.written == [2, 3, 4, 5]


async def test_messages_the_connection_had_live_are_not_replayed() -> None:
    store = Store([1, 2, 3, 4])
    delivery, connection = OrderedDelivery(store.history, GAP_WAIT), RecordingConnection()
    _live(delivery, connection, 3)
    await delivery.resume(connection, CONVERSATION, after_seq=1)
    assert connection.written == [3, 2, 4]  # 3 came live before the resume: never twice


def test_seen_seqs_skip_to_counts_everything_below_as_had() -> None:
    seen = SeenSeqs()
    seen.add(5)
    seen.skip_to(3)
    assert 1 in seen and 3 in seen and 4 not in seen and 5 in seen
    seen.skip_to(4)
    assert seen.floor == 5 and not seen.above
