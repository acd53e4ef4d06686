"""Taking operators off a channel takes them out of its conversations.

Access to a conversation is membership of it, so a removal from the channel (``DELETE
/channels/{id}/operators/{user}``, or a ``PATCH`` whose ``operator_ids`` leaves them out) ends
their membership of every conversation of the channel: each open one they hold goes back to the
queue for another operator (they are told with ``conversation.updated``, the visitor with a
notice), and they stop being a member of the others, closed ones included, so they can no longer
read those transcripts (the admins' search still finds them by ``past_operator_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable

from parley.logs import get_logger
from parley_chat_session.routing.operator_queue import OperatorQueue, Routing, RoutingPart

log = get_logger("parley.chat_session")


class OperatorRemoval(RoutingPart):
    def __init__(self, routing: Routing, queue: OperatorQueue) -> None:
        super().__init__(routing)
        self._queue = queue

    async def removed(self, channel_id: str, operator_ids: Iterable[str], trace_id: str | None = None) -> None:
        """``operator_ids`` are no longer operators of the channel (already saved on it)."""
        removed = list(operator_ids)
        if not removed:
            return
        # Under the assignment lock: an assignment in flight finishes first, so none lands after the sweep.
        async with self._mutex.hold():
            for operator_id in removed:
                await self._release_held(channel_id, operator_id, trace_id)
                dropped = await self._store.drop_member_of_channel(channel_id, operator_id)
                log.info(
                    "chat_session.operator_removed", channel_id=channel_id, operator_id=operator_id, dropped=dropped
                )
        await self._queue.drain(channel_id, trace_id)

    async def released(self, channel_id: str, operator_id: str, trace_id: str | None = None) -> None:
        """The operator stays on the channel but hands back what they hold (a disabled account):
        each open conversation goes back to the queue, and the queue is served again."""
        async with self._mutex.hold():
            await self._release_held(channel_id, operator_id, trace_id)
        await self._queue.drain(channel_id, trace_id)

    async def _release_held(self, channel_id: str, operator_id: str, trace_id: str | None) -> None:
        """Every open conversation of the channel the operator holds waits for another operator."""
        name = await self._profiles.name(operator_id)
        for doc in await self._store.held_by(channel_id, operator_id):
            left = await self._store.unassign(doc.id, operator_id, name, since=doc.created_at, event="removed")
            if left is None:
                continue  # closed or handed over meanwhile; the sweep after this drops what remains
            await self._clocks.operator_answered(doc.id)
            await self._announce.updated(left, "operator_removed", also_tell=[operator_id], trace_id=trace_id)
            await self._announce.notice([left.visitor_id], f"{name} left the conversation", trace_id=trace_id)
            await self._notices.post(left, operator_id, "operator", name, f"{name} left the conversation", trace_id)
