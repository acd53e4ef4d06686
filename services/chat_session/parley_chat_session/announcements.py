"""Every event chat_session publishes, built in one place from the stored documents.

Each is published after the write it reports. Frames for particular users (queue position,
notices, the update a removed operator must see) travel as ``client.frame`` events, which
notification delivers to those users' live connections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from parley.bus import Bus
from parley.contracts.base import Model
from parley.contracts.events import (
    ClientFrameEvent,
    ConversationChanged,
    ConversationClosed,
    ConversationCreated,
    MemberSeenEvent,
    MessageCreated,
    TypingEvent,
)
from parley.contracts.frames import ConversationUpdated, Notice, QueuePosition
from parley.contracts.messages import Message


def _frame(frame_type: str, data: Model) -> dict[str, Any]:
    return {"type": frame_type, "data": data.model_dump(mode="json")}


class Announcer:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def created(self, doc: dict[str, Any], trace_id: str | None = None) -> None:
        event = ConversationCreated(
            conversation_id=doc["_id"], channel_id=doc["channel_id"], member_ids=doc["member_ids"]
        )
        await self._bus.publish_event(event, trace_id=trace_id)

    async def updated(
        self, doc: dict[str, Any], reason: str, also_tell: Iterable[str] = (), trace_id: str | None = None
    ) -> None:
        """Members, operator or status changed; ``also_tell`` are users who just stopped being members."""
        status = doc["status"]
        event = ConversationChanged(
            conversation_id=doc["_id"],
            channel_id=doc["channel_id"],
            status=status,
            member_ids=doc["member_ids"],
            operator_id=doc.get("operator_id"),
            reason=reason,
        )
        await self._bus.publish_event(event, trace_id=trace_id)
        removed = [user for user in also_tell if user not in doc["member_ids"]]
        if removed:
            update = ConversationUpdated(**event.model_dump(exclude={"member_ids"}), member_ids=doc["member_ids"])
            await self.to_users(removed, _frame("conversation.updated", update), trace_id)

    async def message(self, message: Message, member_ids: list[str], trace_id: str | None = None) -> None:
        await self._bus.publish_event(MessageCreated(message=message, member_ids=member_ids), trace_id=trace_id)

    async def closed(self, doc: dict[str, Any], trace_id: str | None = None) -> None:
        event = ConversationClosed(
            conversation_id=doc["_id"],
            channel_id=doc["channel_id"],
            member_ids=doc["member_ids"],
            closed_by=doc.get("closed_by") or "",
            reason=doc.get("close_reason") or "closed",
        )
        await self._bus.publish_event(event, trace_id=trace_id)

    async def notice(
        self,
        user_ids: list[str],
        text: str,
        *,
        level: Literal["info", "warning"] = "info",
        code: int | None = None,
        trace_id: str | None = None,
    ) -> None:
        await self.to_users(user_ids, _frame("notice", Notice(level=level, code=code, text=text)), trace_id)

    async def queue_position(
        self, doc: dict[str, Any], position: int, wait_seconds: int, trace_id: str | None = None
    ) -> None:
        data = QueuePosition(conversation_id=doc["_id"], position=position, estimated_wait_seconds=wait_seconds)
        await self.to_users([doc["visitor_id"]], _frame("queue.position", data), trace_id)

    async def seen(self, doc: dict[str, Any], user_id: str, seq: int, trace_id: str | None = None) -> None:
        event = MemberSeenEvent(conversation_id=doc["_id"], user_id=user_id, seq=seq, member_ids=doc["member_ids"])
        await self._bus.publish_event(event, trace_id=trace_id)

    async def typing(
        self, doc: dict[str, Any], user_id: str, name: str, active: bool, trace_id: str | None = None
    ) -> None:
        # member_ids are all members; notification leaves the typist out.
        members = doc["member_ids"]
        event = TypingEvent(conversation_id=doc["_id"], user_id=user_id, name=name, active=active, member_ids=members)
        await self._bus.publish_event(event, trace_id=trace_id)

    async def to_users(self, user_ids: list[str], frame: dict[str, Any], trace_id: str | None = None) -> None:
        if user_ids:
            await self._bus.publish_event(ClientFrameEvent(user_ids=user_ids, frame=frame), trace_id=trace_id)
