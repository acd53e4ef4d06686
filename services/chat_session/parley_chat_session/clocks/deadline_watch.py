"""The background task that fires due deadlines: an unanswered visitor (response target) and a
silent conversation (inactivity timeout); and rebuilds them from MongoDB when Redis lost them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from parley.contracts.errors import ParleyError
from parley.logs import get_logger
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.clocks.conversation_clocks import ConversationClocks, inactivity_seconds
from parley_chat_session.clocks.deadlines import DeadlineSet
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.routing.handover import Handover

log = get_logger("parley.chat_session")


class DeadlineWatch:
    def __init__(
        self,
        clocks: ConversationClocks,
        store: ConversationStore,
        channels: Channels,
        handover: Handover,
        closing: Closing,
        poll_seconds: float,
    ) -> None:
        self._clocks = clocks
        self._store = store
        self._channels = channels
        self._handover = handover
        self._closing = closing
        self._poll = poll_seconds

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._poll)

    async def tick(self) -> None:
        if not await self._clocks.indexed():
            await self._rebuild()
        await self._fire(self._clocks.response, self._handover.reassign_unanswered)
        await self._fire(self._clocks.inactivity, self._close_if_silent)

    async def _fire(self, deadlines: DeadlineSet, action: Callable[[str], Awaitable[None]]) -> None:
        for conversation_id, lease in await deadlines.claim_due():
            try:
                await action(conversation_id)
            except ParleyError as error:
                log.warning(
                    "chat_session.deadline_refused",
                    key=deadlines.key,
                    conversation_id=conversation_id,
                    error=error.message,
                )
            except Exception:
                # The claim stays: the deadline comes due again when its lease runs out.
                log.exception("chat_session.deadline_failed", key=deadlines.key, conversation_id=conversation_id)
                continue
            await deadlines.release(conversation_id, lease)

    async def _rebuild(self) -> None:
        """Redis lost the deadlines (or never had them): arm them again from MongoDB. Several
        replicas may do it at once; each deadline is armed only where none is."""
        known: dict[str, Channel | None] = {}

        async def channel_of(channel_id: str) -> Channel | None:
            if channel_id not in known:
                try:
                    known[channel_id] = await self._channels.get(channel_id, archived_too=True)
                except ParleyError:
                    known[channel_id] = None  # deleted: its conversations keep no clock
            return known[channel_id]

        restored = await self._clocks.rebuild(self._store.open_clocks(), channel_of)
        log.info("chat_session.deadlines_rebuilt", deadlines=restored)

    async def _close_if_silent(self, conversation_id: str) -> None:
        doc = await self._store.find(conversation_id)
        if doc is None or doc.status != "open":
            return
        channel = await self._channels.get(doc.channel_id, archived_too=True)
        timeout = inactivity_seconds(channel)
        if timeout <= 0:
            return
        due = (doc.last_activity_at or doc.created_at).timestamp() + timeout
        if due > now().timestamp():
            await self._clocks.inactivity.arm(conversation_id, due)  # a message came since it was armed
            return
        await self._closing.close(conversation_id, "system", "inactivity")
