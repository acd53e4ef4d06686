"""Wiring of the notification service: which events become which client frames, for whom."""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.events import ConversationCreated, MessageCreated
from parley.contracts.frames import ConversationUpdated, MessageNew
from parley.runtime import Service
from parley_notification.fanout import Fanout
from parley_notification.settings import NotificationSettings


def build_service(settings: NotificationSettings) -> Service:
    service = Service("notification", settings)
    fanout = Fanout(service.bus)

    async def on_message_created(event: MessageCreated, envelope: Envelope) -> None:
        message = event.message
        frame = {
            "type": "message.new",
            "data": MessageNew(conversation_id=message.conversation_id, seq=message.seq, message=message).model_dump(
                mode="json"
            ),
        }
        await fanout.send(event.member_ids, frame, trace_id=envelope.trace_id)

    async def on_conversation_created(event: ConversationCreated, envelope: Envelope) -> None:
        update = ConversationUpdated(
            conversation_id=event.conversation_id, channel_id=event.channel_id, member_ids=event.member_ids
        )
        frame = {"type": "conversation.updated", "data": update.model_dump(mode="json")}
        await fanout.send(event.member_ids, frame, trace_id=envelope.trace_id)

    service.bus.on_event(MessageCreated, on_message_created)
    service.bus.on_event(ConversationCreated, on_conversation_created)
    return service
