"""Every event and live frame chat_session publishes, built in one place from the stored documents.

Each is published after the write it reports. The server frames members see go straight to
their delivery channels (parley.deliveries, docs/delivery.md), encoded once: ``message.new``
(with the conversation's newest seq, in one Redis script), ``conversation.updated``,
``member.seen``, ``typing``, ``queue.position`` and notices. The bus events still go out for
the services that act on them (notification's web push and memberships, chatbot_engine).
Frames of one conversation leave in the order they are published here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Literal

from parley.bus import Bus
from parley.contracts.bot import script_id_of
from parley.contracts.events import (
    ConversationChanged,
    ConversationClosed,
    ConversationCreated,
    MemberSeenEvent,
    MessageCreated,
    OfflineRequestCreated,
    VisitorTyping,
)
from parley.contracts.frames import (
    ConversationUpdated,
    ConversationUpdatedFrame,
    MemberSeen,
    MemberSeenFrame,
    MessageDelta,
    MessageDeltaFrame,
    MessageNew,
    MessageNewFrame,
    Notice,
    NoticeFrame,
    OthersTypingFrame,
    QueueChanged,
    QueueChangedFrame,
    QueuePosition,
    QueuePositionFrame,
    ServerFrame,
    Typing,
    encode,
)
from parley.contracts.integrations import OutboundEvent
from parley.contracts.messages import Message
from parley.deliveries import DeliveryPublisher
from parley_chat_session.agents.controller import controller_of
from parley_chat_session.conversations import outbound
from parley_chat_session.conversations.conversation import Conversation


class Announcer:
    def __init__(self, bus: Bus, live: DeliveryPublisher) -> None:
        self._bus = bus
        self._live = live

    async def created(self, doc: Conversation, trace_id: str | None = None) -> None:
        event = ConversationCreated(conversation_id=doc.id, channel_id=doc.channel_id, member_ids=doc.member_ids)
        await self._bus.publish_event(event, trace_id=trace_id)
        update = ConversationUpdated(**event.model_dump(), controller=controller_of(doc))
        await self._to_live(doc.member_ids, ConversationUpdatedFrame(data=update))
        for happened in outbound.created(doc):
            await self.outbound(happened, trace_id)

    async def updated(
        self, doc: Conversation, reason: str, also_tell: Iterable[str] = (), trace_id: str | None = None
    ) -> None:
        """Members, operator or status changed; ``also_tell`` are users who just stopped being members."""
        status = doc.status
        event = ConversationChanged(
            conversation_id=doc.id,
            channel_id=doc.channel_id,
            status=status,
            member_ids=doc.member_ids,
            operator_id=doc.operator_id,
            reason=reason,
        )
        await self._bus.publish_event(event, trace_id=trace_id)
        removed = [user for user in also_tell if user not in doc.member_ids]
        # The members, and those who just stopped being members (their last word of it).
        update = ConversationUpdated(**event.model_dump(), controller=controller_of(doc))
        await self._to_live([*doc.member_ids, *removed], ConversationUpdatedFrame(data=update))
        for happened in outbound.updated(doc, reason):
            await self.outbound(happened, trace_id)

    async def rated(self, doc: Conversation, rating: int, comment: str) -> None:
        """The visitor rated the conversation: ``conversation.updated`` (reason ``rated``) to its
        operators, present and past, who read the rating back, and ``rating.created`` for webhooks
        (no other bus event: no service acts on it)."""
        operators = [*doc.past_operator_ids, doc.operator_id]
        targets = list(dict.fromkeys(user for user in operators if user and user != doc.visitor_id))
        update = ConversationUpdated(
            conversation_id=doc.id,
            channel_id=doc.channel_id,
            member_ids=doc.member_ids,
            status=doc.status,
            operator_id=doc.operator_id,
            reason="rated",
            controller=controller_of(doc),
        )
        await self._to_live(targets, ConversationUpdatedFrame(data=update))
        await self.outbound(outbound.rated(doc, rating, comment))

    async def message(
        self, message: Message, member_ids: list[str], trace_id: str | None = None, *, doc: Conversation
    ) -> None:
        """``message.new`` to every member's channel with the conversation's newest seq recorded
        (one Redis script), then ``message.created`` for web push (which members no node held)
        and the chatbot, then the outbound ``message.created`` (webhooks; the conversation's
        bot for a visitor's message while it controls ``doc``, the conversation as it was read)."""
        frame = MessageNew(conversation_id=message.conversation_id, seq=message.seq, message=message)
        payload = encode(MessageNewFrame(data=frame))
        reached = await self._live.message(message.conversation_id, message.seq, member_ids, payload)
        event = MessageCreated(message=message, member_ids=member_ids, live_member_ids=sorted(reached))
        # Two events for different consumers, their confirms awaited together (one round trip to
        # the broker, not two); should either fail, the command is retried and both go again
        # under the same ids.
        await asyncio.gather(
            self._bus.publish_event(event, trace_id=trace_id),
            self.outbound(outbound.message_created(doc, message), trace_id),
        )

    async def closed(self, doc: Conversation, trace_id: str | None = None) -> None:
        event = ConversationClosed(
            conversation_id=doc.id,
            channel_id=doc.channel_id,
            member_ids=doc.member_ids,
            closed_by=doc.closed_by or "",
            reason=doc.close_reason or "closed",
        )
        await self._bus.publish_event(event, trace_id=trace_id)
        closed = ConversationUpdated(
            **event.model_dump(exclude={"closed_by"}), status="closed", controller=controller_of(doc)
        )
        await self._to_live(doc.member_ids, ConversationUpdatedFrame(data=closed))
        await self.outbound(outbound.closed(doc), trace_id)

    async def offline_request(self, event: OfflineRequestCreated) -> None:
        """A message left with the offline form, for the team's mailbox (transcripts/offline_mail.py)."""
        await self._bus.publish_event(event)

    async def outbound(self, event: OutboundEvent, trace_id: str | None = None) -> None:
        """For webhooks and the conversation's external bot (the integrations service delivers it)."""
        await self._bus.publish_event(event, trace_id=trace_id)

    async def delta(self, doc: Conversation, delta: MessageDelta) -> None:
        """A piece of a bot's streamed reply, to the members (no bus event: the finished message is one)."""
        await self._to_live(doc.member_ids, MessageDeltaFrame(data=delta))

    async def notice(
        self,
        user_ids: list[str],
        text: str,
        *,
        level: Literal["info", "warning"] = "info",
        code: int | None = None,
        trace_id: str | None = None,
    ) -> None:
        await self._to_live(user_ids, NoticeFrame(data=Notice(level=level, code=code, text=text)))

    async def queue_position(
        self, doc: Conversation, position: int, wait_seconds: int, trace_id: str | None = None
    ) -> None:
        data = QueuePosition(conversation_id=doc.id, position=position, estimated_wait_seconds=wait_seconds)
        await self._to_live([doc.visitor_id], QueuePositionFrame(data=data), conversation_id=doc.id)

    async def seen(self, doc: Conversation, user_id: str, seq: int, trace_id: str | None = None) -> None:
        event = MemberSeenEvent(conversation_id=doc.id, user_id=user_id, seq=seq, member_ids=doc.member_ids)
        await self._bus.publish_event(event, trace_id=trace_id)  # notification drops the member's pending push
        seen = MemberSeen(conversation_id=doc.id, user_id=user_id, seq=seq)
        await self._to_live(doc.member_ids, MemberSeenFrame(data=seen))

    async def typing(
        self,
        doc: Conversation,
        user_id: str,
        name: str,
        active: bool,
        trace_id: str | None = None,
        *,
        ttl_seconds: int | None = None,
    ) -> None:
        """Relayed to the other members only (nobody needs to see their own typing); a bus event only
        for a visitor talking to a bot, which waits for the lines still being typed."""
        others = [member for member in doc.member_ids if member != user_id]
        typing = Typing(conversation_id=doc.id, user_id=user_id, name=name, active=active, ttl_seconds=ttl_seconds)
        await self._to_live(others, OthersTypingFrame(data=typing))
        if user_id == doc.visitor_id and any(script_id_of(member) is not None for member in others):
            event = VisitorTyping(conversation_id=doc.id, user_id=user_id, active=active)
            await self._bus.publish_event(event, trace_id=trace_id)

    async def queue_changed(self, operator_ids: list[str], channel_id: str, waiting: int) -> None:
        """A channel's queue changed: its operators' consoles read it again."""
        await self._to_live(operator_ids, QueueChangedFrame(data=QueueChanged(channel_id=channel_id, waiting=waiting)))

    async def _to_live(self, user_ids: list[str], frame: ServerFrame, *, conversation_id: str | None = None) -> None:
        """``conversation_id``: a state frame of it, recorded for re-sending after a lost link."""
        if user_ids:
            await self._live.frame(user_ids, frame.type, encode(frame), conversation_id=conversation_id)
