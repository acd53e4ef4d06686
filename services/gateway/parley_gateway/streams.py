"""Ordered, gap-free, duplicate-free ``message.new`` per connection and conversation.

Deliveries reach a node over the bus concurrently and may overtake each other; a redelivery
may bring a message twice; a client that reconnects has missed some. For every conversation a
connection has, a :class:`ConversationStream` keeps the highest seq written (``high``), the
seqs written (``sent``) and the messages held above a gap. A ``message.new`` is written when
it is the next seq; one above a gap waits ``gateway_gap_wait_seconds`` for the missing one,
then the gap is filled from chat_session's history. ``resume`` is the same fill from the
client's ``after_seq``: while a fill runs, live messages of the conversation are held, and the
fill ends by writing them in seq order, skipping the ones the history pages already wrote.

A delivery can also be lost outright (published while the node's subscription link was down),
and then no later message may come to show the gap: :meth:`OrderedDelivery.catch_up`
is told the stored newest seq (parley_gateway.positions asks for it) and fills up to it the same
way (docs/delivery.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from parley.contracts.commands import GetHistory, History
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.frames import MAX_PAGE, MessageDelta, MessageDeltaFrame, MessageNew, MessageNewFrame, encode
from parley.contracts.messages import Message
from parley.logs import get_logger
from parley.tokens import caller_of
from parley_gateway import metrics
from parley_gateway.connections import Connection, OutFrame, Payload, SeenSeqs

log = get_logger("parley.gateway")

# History reads one fill may make after catching up, when live messages keep arriving above
# what it read: each read returns them (they are stored before they are delivered), so a
# second read almost always ends it; three bound the work under a sustained burst.
MAX_FILL_ROUNDS = 3
# A fill whose history read failed for a passing reason (chat_session away, a timeout) is tried
# again this many times, the wait doubling from the gap wait up to MAX_RETRY_WAIT_SECONDS
# (about 10 s in all), before the gap is given up on: giving up writes what is held and moves
# past the missing seqs, which then only a resume brings back.
MAX_FILL_ATTEMPTS = 5
MAX_RETRY_WAIT_SECONDS = 4.0
# Refusals a later attempt may not meet: the stream is kept (and filled later) rather than forgotten.
PASSING_FAILURES = frozenset({ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL, ErrorCode.RATE_LIMITED})

HistorySource = Callable[[GetHistory], Awaitable[History]]  # chat_session.history, over the bus


class ConversationStream:
    """What one connection was sent of one conversation, and what waits for a gap to fill."""

    def __init__(self) -> None:
        self.sent = SeenSeqs()
        # Nothing at or below ``high`` is waited for: written, given up on after a fill, or older
        # than the first message this connection got (a resume may still ask for those).
        self.high = 0
        self.synced = False  # False until the first message.new or resume sets ``high``
        self.held: dict[int, Payload] = {}
        self.filling = False
        self.lock = asyncio.Lock()
        self.gap_timer: asyncio.TimerHandle | None = None
        # The newest seq chat_session had stored when it was last asked: a fill is due while
        # ``high`` is below it, even with nothing held (the missing message was the last one).
        self.expected = 0
        # A frame (type, payload) to write when a fill for ``expected`` turns out due: the current
        # state of a conversation whose deliveries were lost. Dropped when the delivery came.
        self.state_on_fill: tuple[str, str] | None = None
        self.failed_fills = 0  # history reads that failed in a row (reset by one that succeeds)

    @property
    def behind(self) -> bool:
        return self.high < self.expected

    def start_at(self, seq: int) -> None:
        """The client says it has everything up to ``seq`` (a resume)."""
        self.high = max(self.high, seq) if self.synced else seq
        self.synced = True
        self.sent.skip_to(seq)

    def stop(self) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None


@dataclass(frozen=True, slots=True)
class StateTold:
    """What a ``conversation.updated`` on a user's channel says about following the conversation."""

    conversation_id: str
    member_ids: frozenset[str]
    closed: bool

    @classmethod
    def of(cls, payload: str) -> StateTold | None:
        data = orjson.loads(payload).get("data") or {}
        if not isinstance(data.get("conversation_id"), str):
            return None
        return cls(data["conversation_id"], frozenset(data.get("member_ids") or ()), data.get("status") == "closed")

    def apply(self, delivery: OrderedDelivery, connection: Connection) -> None:
        if self.closed:
            delivery.unwatch(connection, self.conversation_id)
        elif connection.user_id in self.member_ids:
            delivery.watch(connection, self.conversation_id)


class OrderedDelivery:
    """Writes message.new frames to connections in seq order, filling gaps from history."""

    def __init__(self, history: HistorySource, gap_wait_seconds: float) -> None:
        self.history = history
        self.gap_wait = gap_wait_seconds
        self._fills: set[asyncio.Task[None]] = set()

    def deliver(self, connection: Connection, conversation_id: str, seq: int, payload: Payload) -> bool:
        """Write a live message.new now, or hold it; False when it was a duplicate or is held."""
        stream = self._stream(connection, conversation_id)
        if seq in stream.sent or seq in stream.held:
            return False
        if not stream.synced:
            # A fresh view: nothing before this seq is waited for (a resume may still ask for it).
            stream.synced, stream.high = True, seq - 1
        if stream.filling or seq > stream.high + 1:
            stream.held[seq] = payload
            if not stream.filling and stream.gap_timer is None:
                stream.gap_timer = asyncio.get_running_loop().call_later(
                    self.gap_wait, self._start_gap_fill, connection, conversation_id
                )
            return False
        # The next seq, or a late one whose gap was given up on: either way the client lacks it.
        self._write(connection, stream, seq, payload)
        self._release_contiguous(connection, stream)
        return True

    def track(self, connection: Connection, conversation_id: str, seq: int) -> None:
        """The connection has the conversation up to ``seq`` (it opened it, or sent into it) and no
        message.new of it yet: from now on its messages are followed like those of a delivered
        one, so a lost first delivery is caught up too. A no-op when the stream is synced (one that
        only watched the state is synced here)."""
        stream = self._stream(connection, conversation_id)
        if not stream.synced:
            stream.synced, stream.high = True, seq

    def watch(self, connection: Connection, conversation_id: str) -> None:
        """The connection's user was told the conversation's state as a member (assigned to it,
        say) before any of its messages reached this connection: from now on it follows the
        conversation, so the state re-sent after a lost link (positions.py) reaches it too; a close
        published while the link was down would otherwise never reach it. The stream stays
        unsynced: nothing is filled for it until its first message.new or resume (what came
        before is the client's to read), only its state is re-sent."""
        self._stream(connection, conversation_id)

    def unwatch(self, connection: Connection, conversation_id: str) -> None:
        """The conversation closed: a stream that only watched its state is dropped (one with
        messages stays, as it always did)."""
        stream = connection.streams.get(conversation_id)
        if stream is not None and not stream.synced:
            self.stop_following(connection, conversation_id)

    def stop_following(self, connection: Connection, conversation_id: str) -> None:
        """The user is no longer a member: the conversation's deliveries stopped by design, and no
        position check should fill them (history would refuse it anyway)."""
        stream = connection.streams.pop(conversation_id, None)
        if stream is not None:
            stream.stop()

    def catch_up(
        self,
        connection: Connection,
        conversation_id: str,
        newest_seq: int,
        *,
        at_once: bool,
        state: Callable[[], tuple[str, str]] | None = None,
    ) -> bool:
        """chat_session has stored the conversation up to ``newest_seq``: when the connection was
        written less, fill the rest from history. ``at_once`` after a bus outage (what was sent
        meanwhile is gone); otherwise after the gap wait, as a delivery may still be on its way.
        ``state`` makes a frame written first if the fill does run (made only for a stream behind:
        the periodic check asks about every stream). True when the connection was behind."""
        stream = connection.streams.get(conversation_id)
        if stream is None or not stream.synced or connection.closing or newest_seq <= stream.high:
            return False  # an unsynced stream only watches the state (watch)
        stream.expected = max(stream.expected, newest_seq)
        if state is not None:
            stream.state_on_fill = state()
        if stream.filling:
            return True  # a running fill reads to the end; a gap fill checks ``behind`` again when it ends
        if at_once:
            stream.stop()
            self._start_gap_fill(connection, conversation_id)
        elif stream.gap_timer is None:
            stream.gap_timer = asyncio.get_running_loop().call_later(
                self.gap_wait, self._start_gap_fill, connection, conversation_id
            )
        return True

    def prepare(self, connection: Connection, conversation_id: str, after_seq: int) -> None:
        """Hold live messages of the conversation until :meth:`resume` has replayed it."""
        stream = self._stream(connection, conversation_id)
        stream.start_at(after_seq)
        stream.filling = True

    async def resume(self, connection: Connection, conversation_id: str, after_seq: int) -> int:
        """Write every message after ``after_seq`` in order, then the held live ones; returns the
        highest seq the connection now has. Raises ParleyError (e.g. not a member) from history."""
        self.prepare(connection, conversation_id, after_seq)
        stream = connection.streams[conversation_id]
        metrics.GAP_FILLS.labels("resume").inc()
        async with stream.lock:
            stream.filling = True
            try:
                await self._replay(connection, stream, conversation_id, after_seq)
            except ParleyError as error:
                if error.code in PASSING_FAILURES:
                    self._keep_following(connection, conversation_id, stream)
                else:
                    self._forget(connection, conversation_id, stream)
                raise
            self._release_all(connection, stream)
        return stream.high

    def _start_gap_fill(self, connection: Connection, conversation_id: str) -> None:
        stream = connection.streams.get(conversation_id)
        if stream is None or connection.closing:
            return
        stream.gap_timer = None
        state, stream.state_on_fill = stream.state_on_fill, None
        if not (stream.held or stream.behind):
            return  # the missing seq arrived in time
        if state is not None and stream.behind:
            connection.send(*state)
        reason = "gap" if stream.held else "position"
        task = asyncio.create_task(self._fill_gap(connection, stream, conversation_id, reason))
        self._fills.add(task)
        task.add_done_callback(self._fills.discard)

    async def _fill_gap(
        self, connection: Connection, stream: ConversationStream, conversation_id: str, reason: str
    ) -> None:
        metrics.GAP_FILLS.labels(reason).inc()
        started_at = stream.high
        async with stream.lock:
            stream.filling = True
            try:
                await self._replay(connection, stream, conversation_id, stream.high)
                stream.failed_fills = 0
            except ParleyError as error:
                stream.failed_fills += 1
                log.warning(
                    "gateway.gap_fill_failed",
                    conversation_id=conversation_id,
                    code=int(error.code),
                    reason=error.message,
                    attempt=stream.failed_fills,
                )
                if error.code in PASSING_FAILURES and stream.failed_fills < MAX_FILL_ATTEMPTS:
                    # What is held stays held (in order, behind the gap) until a later read fills it.
                    stream.filling = False
                    self._retry_fill(connection, conversation_id, stream)
                    return
                # Give up on the gap: what is held goes out in order; history still has the rest.
                stream.failed_fills = 0
            finally:
                if stream.filling:
                    self._release_all(connection, stream)
        if stream.behind and stream.high > started_at:
            # The newest seq was learnt while this fill read its last page: fill again after the
            # gap wait (the live delivery of it may well come first).
            self.catch_up(connection, conversation_id, stream.expected, at_once=False)
        else:
            stream.expected = 0  # nothing more to read now: the next position check says what is missing

    def _retry_fill(self, connection: Connection, conversation_id: str, stream: ConversationStream) -> None:
        wait = min(self.gap_wait * 2**stream.failed_fills, MAX_RETRY_WAIT_SECONDS)
        stream.stop()
        stream.gap_timer = asyncio.get_running_loop().call_later(
            wait, self._start_gap_fill, connection, conversation_id
        )

    def _keep_following(self, connection: Connection, conversation_id: str, stream: ConversationStream) -> None:
        """A resume that failed for a passing reason: the client has the conversation up to its
        ``after_seq`` and is told the resume failed (it may ask again), and the stream is kept
        there, so what is held, and the stored newest seq the next position check reads, are
        filled from history like any gap. Forgetting it instead would leave the conversation
        unfollowed on a live socket: no position check looks at it, and a later live message
        would start a fresh view above the missing ones."""
        stream.filling = False
        stream.stop()
        if stream.held:
            self._retry_fill(connection, conversation_id, stream)

    async def _replay(
        self, connection: Connection, stream: ConversationStream, conversation_id: str, cursor: int
    ) -> None:
        claims = connection.claims
        caller = caller_of(claims)
        for _ in range(MAX_FILL_ROUNDS):
            while True:
                page = await self.history(
                    GetHistory(caller=caller, conversation_id=conversation_id, after_seq=cursor, limit=MAX_PAGE)
                )
                if page.last_seq < cursor:
                    raise ParleyError(
                        ErrorCode.BAD_ARGUMENT,
                        f"after_seq {cursor} is beyond the conversation's last seq {page.last_seq}",
                    )
                for message in page.messages:
                    self._write(connection, stream, message.seq, message_new(message))
                    cursor = max(cursor, message.seq)
                if not (page.has_more and page.messages):
                    break
            if not any(seq > cursor for seq in stream.held):
                self._write_drafts(connection, page)
                return

    @staticmethod
    def _write_drafts(connection: Connection, page: History) -> None:
        """A bot's replies still streaming, whole so far (offset 0): the client shows them, and
        the live deltas that follow extend them (docs/protocol.md, ``message.delta``)."""
        for draft in page.drafts:
            delta = MessageDelta(
                conversation_id=draft.conversation_id,
                draft_id=draft.draft_id,
                author_id=draft.author_id,
                author_name=draft.author_name,
                offset=0,
                text=draft.text,
            )
            connection.send("message.delta", encode(MessageDeltaFrame(data=delta)))

    def _write(self, connection: Connection, stream: ConversationStream, seq: int, payload: Payload) -> None:
        stream.held.pop(seq, None)
        if stream.sent.add(seq):
            connection.send("message.new", payload)
        stream.high = max(stream.high, seq)

    def _release_contiguous(self, connection: Connection, stream: ConversationStream) -> None:
        while stream.high + 1 in stream.held:
            self._write(connection, stream, stream.high + 1, stream.held[stream.high + 1])
        if not stream.held:
            stream.stop()

    def _release_all(self, connection: Connection, stream: ConversationStream) -> None:
        """End a fill: write what is held in seq order (gaps left are given up on), synchronously,
        so no live message can slip between the last write and the end of holding."""
        for seq in sorted(stream.held):
            self._write(connection, stream, seq, stream.held[seq])
        stream.filling = False
        stream.stop()

    def _forget(self, connection: Connection, conversation_id: str, stream: ConversationStream) -> None:
        """A resume refused for good (not a member, a seq beyond the newest) leaves no trace: the
        conversation starts afresh with what was held."""
        connection.streams.pop(conversation_id, None)
        stream.stop()
        stream.filling = False
        for seq in sorted(stream.held):
            self.deliver(connection, conversation_id, seq, stream.held[seq])

    @staticmethod
    def _stream(connection: Connection, conversation_id: str) -> ConversationStream:
        stream = connection.streams.get(conversation_id)
        if stream is None:
            stream = connection.streams[conversation_id] = ConversationStream()
        return stream


def message_new(message: Message) -> OutFrame:
    frame = MessageNew(conversation_id=message.conversation_id, seq=message.seq, message=message)
    return OutFrame("message.new", encode(MessageNewFrame(data=frame)))
