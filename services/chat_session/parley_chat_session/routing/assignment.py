"""Picking an operator: among the channel's operators who are online, toggled available and
under the channel's capacity, by the channel's strategy (least busy, or round robin).

Who is online and available comes from presence (``presence.available_operators``); the load
(open conversations) is counted here, where conversations live. When presence does not answer,
nobody is available: the conversation waits in the queue, and is given out when an operator's
presence changes (``presence.changed``) or the queue is drained again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from parley.bus import Bus
from parley.contracts.commands import GetAvailableOperators, GetUserStatus
from parley.contracts.errors import ParleyError
from parley.logs import get_logger
from parley_chat_session.channels.store import Channel
from parley_chat_session.clocks.business_hours import open_now
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.routing.withdrawn_staff import WithdrawnStaff

log = get_logger("parley.chat_session")

# Presence answers from Redis in milliseconds; waiting longer would hold a visitor's first
# message past the gateway's own request timeout (5 s) when presence is away.
PRESENCE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Candidate:
    user_id: str
    load: int


def choose(routing: str, operator_ids: Sequence[str], candidates: list[Candidate], last: str | None) -> str | None:
    """The operator the strategy picks; ``candidates`` are in the channel's operator order."""
    if not candidates:
        return None
    if routing == "round_robin":
        # The first candidate listed after the last one picked, wrapping around the list.
        start = operator_ids.index(last) + 1 if last in operator_ids else 0
        order = {operator: (index - start) % len(operator_ids) for index, operator in enumerate(operator_ids)}
        return min(candidates, key=lambda candidate: order.get(candidate.user_id, len(operator_ids))).user_id
    # Least busy; ties go to the operator listed first on the channel, so the choice is deterministic.
    return min(candidates, key=lambda candidate: candidate.load).user_id


class OperatorPicker:
    def __init__(self, bus: Bus, conversations: ConversationStore, withdrawn: WithdrawnStaff) -> None:
        self._bus = bus
        self._conversations = conversations
        self._withdrawn = withdrawn

    async def available(self, operator_ids: Sequence[str]) -> set[str]:
        """Of these operators, the ones online and toggled available (empty if presence is away),
        never a disabled or deleted account (presence may not have seen their console close yet)."""
        if not operator_ids:
            return set()
        try:
            command = GetAvailableOperators(operator_ids=list(operator_ids))
            reply = await self._bus.request(command, timeout=PRESENCE_TIMEOUT_SECONDS)
        except ParleyError as error:
            # The fallback this had (presence.lookup_nodes) asked the same service: no use.
            log.warning("chat_session.available_operators_unanswered", error=error.message)
            return set()
        states = reply.operators
        online = {state.user_id for state in states if state.status == "online" and state.available}
        return online - await self._withdrawn.among(sorted(online))

    async def roster(self, channel: Channel) -> Roster:
        """Who of the channel can take a conversation now, to pick from repeatedly (one presence call)."""
        operator_ids = channel.operator_ids
        available = await self.available(operator_ids)
        loads = await self._conversations.loads(sorted(available)) if available else {}
        return Roster(channel, available, loads)

    async def candidates(self, channel: Channel) -> list[Candidate]:
        """Available operators of the channel under its capacity, in the channel's order."""
        return (await self.roster(channel)).candidates()

    async def staffed(self, channel: Channel, roster: Roster | None = None) -> bool:
        """The channel's team is at work: within business hours, someone of it is online (free,
        at capacity, or toggled busy). A waiting visitor is then told the queue position; when
        not, that the team will answer later (the offline form), never a queue nobody serves."""
        if not open_now(channel.business_hours, now()):
            return False
        if roster is not None and roster.available:
            return True
        operator_ids = channel.operator_ids
        if not operator_ids:
            return False
        try:
            reply = await self._bus.request(
                GetUserStatus(user_ids=list(operator_ids)), timeout=PRESENCE_TIMEOUT_SECONDS
            )
        except ParleyError as error:
            log.warning("chat_session.operator_status_unanswered", error=error.message)
            return False
        online = {user_id for user_id, status in reply.statuses.items() if status == "online"}
        return bool(online - await self._withdrawn.among(sorted(online)))


class Roster:
    """The channel's available operators and their loads, kept up to date as conversations are given out."""

    def __init__(self, channel: Channel, available: set[str], loads: dict[str, int]) -> None:
        self.operator_ids = channel.operator_ids
        self.routing = channel.routing
        self.capacity = channel.operator_capacity
        self.last = channel.round_robin_last
        self.available = available
        self.loads = loads

    def candidates(self, exclude: Collection[str] = ()) -> list[Candidate]:
        return [
            Candidate(operator, self.loads.get(operator, 0))
            for operator in self.operator_ids
            if operator in self.available and operator not in exclude and self.loads.get(operator, 0) < self.capacity
        ]

    def pick(self, exclude: Collection[str] = ()) -> str | None:
        return choose(self.routing, self.operator_ids, self.candidates(exclude), self.last)

    def took(self, operator_id: str) -> None:
        """``operator_id`` was given a conversation: one more load, and round robin moves on."""
        self.loads[operator_id] = self.loads.get(operator_id, 0) + 1
        self.last = operator_id
