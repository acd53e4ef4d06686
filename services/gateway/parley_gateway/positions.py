"""Position checks: what this node wrote to its live sockets, against what chat_session stored.

Deliveries reach a node on its users' Redis pub/sub channels (parley.deliveries), which keep
nothing for a node whose subscription link is down: what was published meanwhile is lost, and
with no later message in the conversation no seq gap ever shows it. So the node asks chat_session for the
newest seq of every conversation it serves on a live socket, in one batched request
(``chat_session.newest_seqs``), and fills each stream that is behind from history through the
ordered-delivery path (:meth:`OrderedDelivery.catch_up`):

- when its bus connection or its delivery subscription came back: at once, and every served
  conversation also gets a ``conversation.updated`` with its current state, since any state
  frame of the outage is lost too. This full check is owed until one succeeds: should
  chat_session not answer the first few attempts (it may be catching up after the same
  outage), every periodic check is a full one until one does, or a close published while the
  node was away would never reach a socket that stayed open;
- every ``gateway_position_check_seconds``: a delivery lost without a reconnect (the queue was
  briefly gone) is filled after the gap wait, and a stream still behind then (not just passed
  by a delivery on its way) gets its conversation's current state as well.

A stream of a conversation the user is no longer a member of gets its current state once and
is dropped: its deliveries stopped by design. A connection told a conversation's state as a
member before any of its messages (an operator just assigned) follows it with an unsynced
stream (``OrderedDelivery.watch``): it gets the state after an outage, and nothing is filled or
asked for it until its first message.

docs/delivery.md states the guarantee and its bound.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.exceptions import RedisError

from parley.bus import Bus
from parley.contracts.commands import MAX_NEWEST_SEQS_BATCH, ConversationPosition, GetNewestSeqs
from parley.contracts.errors import ParleyError
from parley.contracts.frames import ConversationUpdated, ConversationUpdatedFrame, encode
from parley.deliveries import StateFrame
from parley.logs import get_logger
from parley_gateway import metrics
from parley_gateway.connections import Connection, Connections
from parley_gateway.streams import OrderedDelivery

log = get_logger("parley.gateway")

# After a reconnect, the first request may meet a chat_session that is itself reconnecting (a
# broker restart): asked again this often, this many times, well inside the 3 s the catch-up
# after an outage is allowed; the periodic check covers anything later.
RECONNECT_ATTEMPTS = 4
RECONNECT_RETRY_SECONDS = 0.5

# The newest seqs recorded in Redis with each message's publish (parley.deliveries.newest_seqs):
# conversation id -> seq, for the conversations that have a key.
RecordedNewest = Callable[[list[str]], Awaitable[dict[str, int]]]
# The state frames recorded with their publish (parley.deliveries.current_states).
RecordedStates = Callable[[list[str]], Awaitable[dict[str, list[StateFrame]]]]


def state_frame(conversation_id: str, position: ConversationPosition) -> str:
    """A ``conversation.updated`` saying what the conversation is now."""
    data = ConversationUpdated(
        conversation_id=conversation_id,
        channel_id=position.channel_id,
        member_ids=position.member_ids,
        status=position.status,
        operator_id=position.operator_id,
    )
    return encode(ConversationUpdatedFrame(data=data))


class PositionCheck:
    def __init__(
        self,
        bus: Bus,
        recorded: RecordedNewest,
        states: RecordedStates,
        connections: Connections,
        delivery: OrderedDelivery,
        period_seconds: float,
    ) -> None:
        self.bus = bus
        self.recorded = recorded
        self.states = states
        self.connections = connections
        self.delivery = delivery
        self.period = period_seconds
        self._after_outage: set[asyncio.Task[None]] = set()
        # Outages seen, and the newest of them a full check has covered (started after it).
        self._outages = 0
        self._outages_covered = 0

    @property
    def full_check_owed(self) -> bool:
        return self._outages_covered < self._outages

    async def run(self) -> None:
        """Forever: one periodic check every ``period`` seconds."""
        while True:
            await asyncio.sleep(self.period)
            if not self.bus.connected:
                continue  # nothing can be asked; the check after the reconnect does this one's work
            try:
                await self.check(after_outage=self.full_check_owed)
            except ParleyError as error:  # the bus or chat_session is away: the next period asks again
                log.warning("gateway.position_check_failed", code=int(error.code), reason=error.message)
            except RedisError as error:
                log.warning("gateway.position_check_failed", reason=str(error))

    def after_reconnect(self) -> None:
        """The bus connection or the delivery subscription came back: check every served stream now."""
        self._outages += 1
        task = asyncio.create_task(self._check_after_outage(), name="position-check-after-outage")
        self._after_outage.add(task)
        task.add_done_callback(self._after_outage.discard)

    async def _check_after_outage(self) -> None:
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            try:
                await self.check(after_outage=True)
                return
            except ParleyError as error:
                log.warning(
                    "gateway.position_check_failed", code=int(error.code), reason=error.message, attempt=attempt
                )
            except RedisError as error:
                log.warning("gateway.position_check_failed", reason=str(error), attempt=attempt)
            await asyncio.sleep(RECONNECT_RETRY_SECONDS)
        log.warning("gateway.full_position_check_owed", attempts=RECONNECT_ATTEMPTS)  # the periodic check does it

    async def check(self, *, after_outage: bool) -> int:
        """Compare every served stream with the stored newest seq and fill the ones behind;
        returns how many were behind. Raises ParleyError when chat_session cannot be asked.

        After an outage every served conversation is asked of chat_session (its state is re-sent
        too). A periodic check first reads the newest seqs recorded in Redis (one MGET) and asks
        chat_session only about the conversations a stream is behind in, or with no key there."""
        outages_before = self._outages
        served = self._served()
        behind = 0
        ids = sorted(served) if after_outage else await self._maybe_behind(served)
        async for positions in self._stored_positions(ids):
            for conversation_id, position in positions.items():
                behind += self._compare(served[conversation_id], conversation_id, position, after_outage)
        if after_outage:
            await self._resend_states(served)
            self._outages_covered = max(self._outages_covered, outages_before)
        if behind:
            metrics.POSITIONS_BEHIND.labels("reconnect" if after_outage else "periodic").inc(behind)
            if after_outage:  # a periodic check often finds deliveries on their way: not worth a line
                log.info("gateway.positions_behind", streams=behind, after_outage=after_outage)
        return behind

    def _compare(
        self, connections: list[Connection], conversation_id: str, position: ConversationPosition, after_outage: bool
    ) -> int:
        behind = 0
        frame: tuple[str, str] | None = None

        def state() -> tuple[str, str]:
            """The conversation's state frame, made once and only if some connection needs it."""
            nonlocal frame
            if frame is None:
                frame = ("conversation.updated", state_frame(conversation_id, position))
            return frame

        for connection in connections:
            if connection.user_id not in position.member_ids:
                # Left or taken out of it: told the current state once (the frame telling them
                # may have been lost too), then no longer followed.
                connection.send(*state())
                self.delivery.stop_following(connection, conversation_id)
                continue
            if after_outage:  # any state frame of the outage is lost: everyone gets the state now
                connection.send(*state())
                behind += self.delivery.catch_up(connection, conversation_id, position.newest_seq, at_once=True)
            else:  # the state goes with a fill that turns out due (not with a delivery on its way)
                behind += self.delivery.catch_up(
                    connection, conversation_id, position.newest_seq, at_once=False, state=state
                )
        return behind

    async def tell_current(self, connection: Connection, conversation_ids: list[str]) -> None:
        """A client back after a drop resumed these conversations: a change of state while it was
        away (closed, another operator, no longer a member) is not among the messages its resume
        replays, so it gets each conversation's ``conversation.updated`` now, after the replay, from
        chat_session's stored state (one batched request). The recorded state frames (queue
        position, bot step) are not re-sent here: a client's own reconnect may come long after
        them, and a bot's step recorded before a hand-over would bring the bot's buttons back into
        a chat with a person (the browser test of a reloaded widget). Best effort: with
        chat_session away the client is told nothing more here (the conversation's next change, or
        its next reconnect, tells it)."""
        if not conversation_ids:
            return
        try:
            current: dict[str, ConversationPosition] = {}
            async for positions in self._stored_positions(conversation_ids):
                current.update(positions)
        except ParleyError as error:
            log.warning("gateway.resume_state_unavailable", user_id=connection.user_id, reason=error.message)
            return
        for conversation_id, position in current.items():
            connection.send("conversation.updated", state_frame(conversation_id, position))
            if connection.user_id not in position.member_ids:
                self.delivery.stop_following(connection, conversation_id)  # told once, as _compare does

    async def _stored_positions(self, conversation_ids: list[str]) -> AsyncIterator[dict[str, ConversationPosition]]:
        """chat_session's newest seq and state of these conversations, one batched request at a time."""
        for start in range(0, len(conversation_ids), MAX_NEWEST_SEQS_BATCH):
            batch = conversation_ids[start : start + MAX_NEWEST_SEQS_BATCH]
            yield (await self.bus.request(GetNewestSeqs(conversation_ids=batch))).conversations

    async def _resend_states(self, served: dict[str, list[Connection]]) -> None:
        """After an outage: each recorded state frame (queue position, bot step, robot status) of
        a served conversation, to its recipients' connections here that still follow it."""
        for conversation_id, frames in (await self.states(sorted(served))).items():
            for frame in frames:
                for connection in served[conversation_id]:
                    if connection.user_id in frame.user_ids and conversation_id in connection.streams:
                        connection.send(frame.frame_type, frame.payload)

    async def _maybe_behind(self, served: dict[str, list[Connection]]) -> list[str]:
        """The conversations a synced stream may be behind in (a stream that only watches the
        state has nothing to fill: OrderedDelivery.watch)."""
        highs = {
            conversation_id: _synced_highs(connections, conversation_id)
            for conversation_id, connections in served.items()
        }
        highs = {conversation_id: high for conversation_id, high in highs.items() if high}
        recorded = await self.recorded(sorted(highs))
        return [
            conversation_id
            for conversation_id, high in sorted(highs.items())
            if conversation_id not in recorded or min(high) < recorded[conversation_id]
        ]

    def _served(self) -> dict[str, list[Connection]]:
        """Every conversation with a stream on a live connection of this node, and those connections."""
        served: dict[str, list[Connection]] = defaultdict(list)
        for connection in self.connections.all():
            if connection.closing:
                continue
            for conversation_id in connection.streams:
                served[conversation_id].append(connection)
        return served


def _synced_highs(connections: list[Connection], conversation_id: str) -> list[int]:
    """The highest seq written to each of these connections' synced streams of the conversation."""
    streams = [connection.streams.get(conversation_id) for connection in connections]
    return [stream.high for stream in streams if stream is not None and stream.synced]
