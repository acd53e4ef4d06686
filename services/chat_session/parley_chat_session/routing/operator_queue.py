"""The channel queue: conversations waiting for an operator, served oldest first.

A conversation that needs a human joins its channel's queue (``status: queued``), then the
queue is *drained*: while an operator is available, the oldest waiting conversation goes to
the one the channel's strategy picks. Draining runs when a conversation asks for an operator,
when an operator comes online, when a conversation closes or is left (an operator frees up),
and on a periodic sweep that catches whatever an event missed, so nothing stays stuck.
Visitors still waiting are told their position and an estimated wait whenever it changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean

from parley.contracts.commands import OperatorRequestResult
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley_chat_session.access import require_channel_operator
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.locks import RedisMutex
from parley_chat_session.metrics import QUEUE_WAIT_SECONDS
from parley_chat_session.routing.assignment import OperatorPicker, Roster
from parley_chat_session.routing.operator_profiles import OperatorProfiles

log = get_logger("parley.chat_session")

# Assumed operator time per conversation until the channel has closed some: a typical support
# chat lasts a few minutes.
DEFAULT_HANDLE_SECONDS = 300.0


def estimated_wait_seconds(position: int, handle_seconds: float, operators_online: int, capacity: int) -> int:
    """Time until ``position`` is served: the online operators serve ``capacity`` chats each, one
    finishing every ``handle_seconds``; with nobody online, as if one operator were."""
    slots = max(1, operators_online) * max(1, capacity)
    return math.ceil(position * handle_seconds / slots)


@dataclass(frozen=True)
class Routing:
    """What the queue and the hand-overs between operators work with."""

    store: ConversationStore
    channels: Channels
    picker: OperatorPicker
    profiles: OperatorProfiles
    clocks: ConversationClocks
    announce: Announcer
    notices: Notices
    mutex: RedisMutex  # one assignment at a time across replicas, so an operator's last slot goes once


class RoutingPart:
    """Base of the classes that route conversations: the shared parts, by short names."""

    def __init__(self, routing: Routing) -> None:
        self.routing = routing
        self._store = routing.store
        self._channels = routing.channels
        self._picker = routing.picker
        self._profiles = routing.profiles
        self._clocks = routing.clocks
        self._announce = routing.announce
        self._notices = routing.notices
        self._mutex = routing.mutex


class OperatorQueue(RoutingPart):
    async def request(self, conversation_id: str, trace_id: str | None = None) -> OperatorRequestResult:
        """The conversation needs a human: queue it and serve the queue; says what came of it."""
        doc = await self._store.get(conversation_id)
        if doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        if doc.operator_id:
            return OperatorRequestResult(status="assigned", operator_id=doc.operator_id)
        channel = await self._channels.get(doc.channel_id)
        if not channel.operator_ids:
            return OperatorRequestResult(status="unavailable")
        queued = await self._store.enqueue(conversation_id, now())
        if queued is not None:
            await self._announce.updated(queued, "queued", trace_id=trace_id)
        await self.drain(channel.id, trace_id, channel=channel)
        doc = await self._store.get(conversation_id)
        if doc.operator_id:
            return OperatorRequestResult(status="assigned", operator_id=doc.operator_id)
        if not await self._picker.staffed(channel):
            return OperatorRequestResult(status="unavailable")  # it waits for the team's return
        return OperatorRequestResult(status="queued", queue_position=doc.queue_position)

    async def drain(
        self, channel_id: str, trace_id: str | None = None, *, channel: Channel | None = None
    ) -> dict[str, Conversation]:
        """Give waiting conversations to available operators, oldest first; returns them (by id) as assigned."""
        if channel is None:
            try:
                channel = await self._channels.get(channel_id)
            except ParleyError:
                return {}  # archived: its queue waits for nobody
        assigned: dict[str, Conversation] = {}
        async with self._mutex.hold():
            waiting = await self._store.queued(channel_id)
            if not waiting:
                return {}
            roster = await self._picker.roster(channel)
            for doc in waiting:
                declined = doc.declined_by
                operator = roster.pick(exclude=declined)
                if operator is None:
                    if declined:
                        continue  # only operators who left it are free: the next one may still be served
                    break  # nobody is free: everyone behind waits too (oldest first)
                given = await self._assign(doc, operator, channel, trace_id)
                if given is not None:
                    roster.took(operator)
                    assigned[doc.id] = given
        still_waiting = [doc for doc in waiting if doc.id not in assigned]
        await self._tell_positions(channel, still_waiting, roster, trace_id)
        arrived = any(doc.queue_position is None for doc in still_waiting)
        if assigned or arrived:
            await self.tell_operators(channel_id, trace_id, channel=channel)
        return assigned

    async def drain_for_operator(self, operator_id: str, trace_id: str | None = None) -> None:
        """An operator came online or freed up: serve the queues of their channels."""
        channels = await self._channels.active(operator_id=operator_id)
        if not channels:
            return  # a visitor, or an operator of no channel: most presence changes end here
        waiting = set(await self._store.queued_channel_ids())
        for channel in channels:
            if channel.id in waiting:
                await self.drain(channel.id, trace_id)

    async def take(self, conversation_id: str, operator_id: str, trace_id: str | None = None) -> Conversation:
        """An operator of the channel takes a waiting conversation themselves (the console's Accept),
        whatever their toggle and load: they chose to."""
        doc = await self._store.get(conversation_id)
        channel = await self._channels.get(doc.channel_id)
        require_channel_operator(channel, operator_id)
        if doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        if doc.status != "queued":
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "this conversation is not waiting: another operator has it")
        async with self._mutex.hold():
            taken = await self._assign(doc, operator_id, channel, trace_id)
        if taken is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "another operator took this conversation first")
        # The visitors behind it move up; a drain that gave nothing out has not told the operators.
        if not await self.drain(channel.id, trace_id, channel=channel):
            await self.tell_operators(channel.id, trace_id, channel=channel)
        return taken

    async def tell_operators(
        self, channel_id: str, trace_id: str | None = None, *, channel: Channel | None = None
    ) -> None:
        """The channel's queue changed: its operators' consoles read it again."""
        if channel is None:
            channel = await self._channels.get(channel_id, archived_too=True)
        waiting = len(await self._store.queued(channel_id))
        await self._announce.queue_changed(list(channel.operator_ids), channel_id, waiting)

    async def sweep(self) -> None:
        for channel_id in await self._store.queued_channel_ids():
            await self.drain(channel_id)

    async def _assign(
        self, doc: Conversation, operator_id: str, channel: Channel, trace_id: str | None
    ) -> Conversation | None:
        name = await self._profiles.name(operator_id)
        assigned = await self._store.assign(doc.id, operator_id, name)
        if assigned is None:
            return None  # closed or taken meanwhile
        if doc.queued_at is not None:
            QUEUE_WAIT_SECONDS.observe(max(0.0, (now() - doc.queued_at).total_seconds()))
        if channel.routing == "round_robin":
            await self._channels.remember_round_robin(channel.id, operator_id)
        await self._clocks.restart_response(doc.id, channel)
        await self._clocks.activity(doc.id, channel)
        await self._announce.updated(assigned, "assigned", trace_id=trace_id)
        await self._announce.queue_position(assigned, 0, 0, trace_id)
        await self._announce.notice([assigned.visitor_id], f"{name} joined the conversation", trace_id=trace_id)
        if assigned.last_seq > 0:  # not at its first message: the operator is there from the start
            await self._notices.post(
                assigned, operator_id, "operator", name, f"{name} joined the conversation", trace_id
            )
        log.info("chat_session.assigned", conversation_id=doc.id, operator_id=operator_id)
        return assigned

    async def _tell_positions(
        self, channel: Channel, waiting: list[Conversation], roster: Roster, trace_id: str | None
    ) -> None:
        """Tell the visitors still waiting (oldest first) where they stand, when it changed; not
        while the team is away (nobody online, or outside business hours): "number 1 in the queue,
        about 5 min" would promise what nobody keeps. The positions are kept all the same (the
        console lists them), marked untold, and told once someone of the team is online."""
        if not waiting:
            return
        staffed = await self._picker.staffed(channel, roster)
        handled = await self._store.recent_handle_seconds(channel.id)
        handle_seconds = mean(handled) if handled else DEFAULT_HANDLE_SECONDS
        online = len(roster.available)
        for position, doc in enumerate(waiting, start=1):
            told = doc.queue_told  # conversations queued before the mark was kept were told
            if doc.queue_position == position and (told or not staffed):
                continue
            await self._store.set_queue_position(doc.id, position, told=staffed)
            if staffed:
                wait = estimated_wait_seconds(position, handle_seconds, online, roster.capacity)
                await self._announce.queue_position(doc, position, wait, trace_id)
