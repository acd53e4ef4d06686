"""Staff accounts auth disabled or deleted leave routing (``auth.staff_withdrawn``).

Their sessions are revoked by auth, so their consoles close and presence sees them go; that
alone would leave a window (presence learns late, or a node died holding their socket) and the
conversations they hold would wait for them. So chat_session records them as withdrawn (routing
filters them out of every pick: ``OperatorPicker.available``), hands each open conversation they
hold back to its channel's queue, and, for a deleted account, takes them off every channel (as
``DELETE /channels/{id}/operators/{user}`` does: membership of its conversations ends, their name
stays in the transcripts' history and messages). ``auth.staff_restored`` lifts the withdrawal.
"""

from __future__ import annotations

from parley.contracts.events import StaffRestored, StaffWithdrawn
from parley.logs import get_logger
from parley_chat_session.channels.store import Channels
from parley_chat_session.routing.operator_profiles import OperatorProfiles
from parley_chat_session.routing.operator_queue import OperatorQueue
from parley_chat_session.routing.operator_removal import OperatorRemoval
from parley_chat_session.routing.withdrawn_staff import WithdrawnStaff

log = get_logger("parley.chat_session")


class StaffWithdrawal:
    def __init__(
        self,
        withdrawn: WithdrawnStaff,
        channels: Channels,
        removal: OperatorRemoval,
        queue: OperatorQueue,
        profiles: OperatorProfiles,
    ) -> None:
        self._profiles = profiles
        self._withdrawn = withdrawn
        self._channels = channels
        self._removal = removal
        self._queue = queue

    async def withdrawn(self, event: StaffWithdrawn, trace_id: str | None) -> None:
        # Recorded first: an assignment racing with the hand-back can no longer pick them.
        await self._withdrawn.add(event.user_id, event.deleted)
        # The name auth knows goes into the hand-back's history line (and outlives the account).
        await self._profiles.remember(event.user_id, event.name)
        for channel in await self._channels.active(event.user_id):
            if event.deleted:
                kept = [op for op in channel.operator_ids if op != event.user_id]
                await self._channels.set_operators(channel.id, kept)
                await self._removal.removed(channel.id, [event.user_id], trace_id)
            else:
                await self._removal.released(channel.id, event.user_id, trace_id)
        log.info("chat_session.staff_withdrawn", user_id=event.user_id, deleted=event.deleted)

    async def restored(self, event: StaffRestored, trace_id: str | None) -> None:
        await self._withdrawn.remove(event.user_id)
        log.info("chat_session.staff_restored", user_id=event.user_id)
        # Back online already (presence keeps a status through a quick reconnect, so no
        # presence.changed may come): their channels' queues are served now.
        await self._queue.drain_for_operator(event.user_id, trace_id)
