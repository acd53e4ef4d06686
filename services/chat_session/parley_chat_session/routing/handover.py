"""Moving a conversation between operators: ``/transfer``, ``/leave``, and the reassignment of a
conversation whose operator has not answered within the channel's response target."""

from __future__ import annotations

from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley_chat_session.channels.store import Channel
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import now
from parley_chat_session.routing.operator_queue import OperatorQueue, Routing, RoutingPart

log = get_logger("parley.chat_session")


class Handover(RoutingPart):
    def __init__(self, routing: Routing, queue: OperatorQueue) -> None:
        super().__init__(routing)
        self._queue = queue

    async def transfer(self, doc: Conversation, operator_id: str, wanted: str, trace_id: str | None = None) -> str:
        """The conversation's operator hands it to another operator of the channel (online and available)."""
        _require_operator(doc, operator_id, "transfer")
        channel = await self._channels.get(doc.channel_id)
        target = await self._profiles.resolve(list(channel.operator_ids), wanted)
        if target == operator_id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "this conversation is yours already")
        names = await self._profiles.names([operator_id, target])
        if target not in await self._picker.available([target]):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{names[target]} is not available right now")
        detail = f"transferred by {names[operator_id]}"
        moved = await self._move(doc, operator_id, target, channel, "transferred", detail, trace_id)
        text = f"{names[operator_id]} transferred the conversation to {names[target]}"
        await self._notices.post(moved, operator_id, "operator", names[operator_id], text, trace_id)
        await self._announce.notice(
            [target], f"{names[operator_id]} transferred a conversation to you", trace_id=trace_id
        )
        await self._announce.notice([moved.visitor_id], f"You are now chatting with {names[target]}", trace_id=trace_id)
        await self._queue.drain_for_operator(operator_id, trace_id)
        return f"Transferred to {names[target]}."

    async def leave(self, doc: Conversation, operator_id: str, trace_id: str | None = None) -> str:
        """The operator leaves; the conversation goes back to the queue (ahead of later arrivals)."""
        _require_operator(doc, operator_id, "leave")
        name = await self._profiles.name(operator_id)
        left = await self._store.unassign(doc.id, operator_id, name, since=doc.created_at)
        if left is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "the conversation changed meanwhile; look again")
        await self._clocks.operator_answered(doc.id)
        await self._announce.updated(left, "operator_left", also_tell=[operator_id], trace_id=trace_id)
        await self._announce.notice([left.visitor_id], f"{name} left the conversation", trace_id=trace_id)
        await self._notices.post(left, operator_id, "operator", name, f"{name} left the conversation", trace_id)
        await self._queue.drain(left.channel_id, trace_id)
        await self._queue.drain_for_operator(operator_id, trace_id)
        return "You left the conversation; another operator will take it."

    async def reassign_unanswered(self, conversation_id: str) -> None:
        """The response target passed: offer the conversation to another available operator."""
        doc = await self._store.find(conversation_id)
        if doc is None or doc.status != "open" or not doc.operator_id or doc.awaiting_reply_since is None:
            return  # answered, closed or left meanwhile
        channel = await self._channels.get(doc.channel_id)
        target_seconds = channel.response_target_seconds
        due = doc.awaiting_reply_since.timestamp() + target_seconds
        if due > now().timestamp():
            await self._clocks.response.arm(conversation_id, due)
            return
        current = doc.operator_id
        async with self._mutex.hold():
            roster = await self._picker.roster(channel)
            target = roster.pick(exclude=[current, *(doc.declined_by or [])])
            if target is None:
                # Nobody else can take it: the current operator keeps it, and we look again later.
                await self._clocks.restart_response(conversation_id, channel)
                return
            reason = f"the visitor had no answer within {target_seconds:g} s"
            moved = await self._move(doc, current, target, channel, "reassigned", reason, None)
        names = await self._profiles.names([current, target])
        visitor = doc.visitor_name or "a visitor"
        text = f"Your conversation with {visitor} was passed to {names[target]}: {reason}."
        await self._announce.notice([current], text, level="warning")
        await self._announce.notice([moved.visitor_id], f"{names[target]} joined the conversation")
        await self._notices.post(
            moved, target, "operator", names[target], f"{names[target]} took over the conversation"
        )
        log.info("chat_session.reassigned", conversation_id=conversation_id, old=current, new=target)
        await self._queue.drain_for_operator(current)

    async def _move(
        self,
        doc: Conversation,
        old: str,
        new: str,
        channel: Channel,
        event: str,
        detail: str,
        trace_id: str | None,
    ) -> Conversation:
        name = await self._profiles.name(new)
        moved = await self._store.replace_operator(doc.id, old, new, name, event, detail)
        if moved is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "the conversation changed meanwhile; look again")
        await self._clocks.restart_response(doc.id, channel)
        await self._announce.updated(moved, event, also_tell=[old], trace_id=trace_id)
        return moved


def _require_operator(doc: Conversation, user_id: str, action: str) -> None:
    if doc.operator_id != user_id:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"only the conversation's operator can {action} it")
