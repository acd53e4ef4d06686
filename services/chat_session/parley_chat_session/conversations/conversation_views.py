"""What the HTTP API shows of a conversation (the stored document keeps more)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from parley.contracts.agents import Controller, VisitorLocation
from parley.contracts.base import Model
from parley.contracts.messages import Message
from parley_chat_session.agents.controller import controller_of
from parley_chat_session.conversations.conversation import Conversation


class MemberView(Model):
    user_id: str
    role: str
    name: str
    last_seen_seq: int
    last_delivered_seq: int
    joined_at: datetime
    left_at: datetime | None = None
    presence: Literal["online", "away", "offline"] | None = Field(
        None,
        description="The member's presence now, in the detail of an open conversation (a console joining or "
        "reloading learns it here; later changes come as presence frames); null in transcripts, or when presence "
        "did not answer in time.",
    )


class HistoryEntry(Model):
    at: datetime
    event: str = Field(
        description="opened, joined, left, removed (from the channel), transferred, reassigned, closed, handed_off "
        "and taken_back (by an external bot)"
    )
    user_id: str
    name: str = ""
    detail: str = ""


class RatingView(Model):
    rating: int
    comment: str
    rated_at: datetime


class ConversationSummary(Model):
    id: str
    channel_id: str
    status: Literal["open", "queued", "closed"]
    visitor_id: str
    visitor_name: str
    visitor_verified: bool = Field(
        False,
        description="The channel's site signed the visitor's identity (docs/client.md): not a guessable device id.",
    )
    visitor_email: str | None = Field(
        None,
        description="The e-mail the visitor left (to the bot, the offline form or the site's signed identity): "
        "consoles name the visitor by it until they are verified.",
    )
    visitor_preview: str | None = Field(
        None, description="The start of the visitor's latest text message (the queue and lists show it)."
    )
    visitor_page_url: str | None = Field(
        None, description="The page the visitor started the chat on, as their client said."
    )
    visitor_referrer: str | None = Field(None, description="The page that led them there, if their browser said.")
    visitor_device: str | None = Field(
        None, description='Their browser and system in a few words ("Chrome 120 on Android").'
    )
    operator_id: str | None
    member_ids: list[str]
    last_seq: int
    queue_position: int | None = None
    created_at: datetime
    last_activity_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = Field(None, description="Who closed it: a member's id, or system (inactivity).")
    close_reason: str | None = None
    unread: int | None = Field(
        None, description="Messages after the asking member's last seen seq (their own lists only)."
    )
    controller: Controller | None = Field(
        None, description="Who answers the visitor when an external bot serves the conversation (docs/bots.md)."
    )


class ConversationDetail(ConversationSummary):
    members: list[MemberView]
    history: list[HistoryEntry]
    rating: RatingView | None = None
    visitor_location: VisitorLocation | None = Field(None, description="Where the visitor's client said it is.")
    handoff: dict[str, str] | None = Field(None, description="The bot's hand-off: its reason and summary.")


class ConversationList(Model):
    conversations: list[ConversationSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last one.")


class MessagePage(Model):
    conversation_id: str
    messages: list[Message]
    has_more: bool
    last_seq: int


class Transcript(Model):
    conversation: ConversationDetail
    messages: list[Message]


def summary(doc: Conversation, for_user: str | None = None) -> ConversationSummary:
    unread = None
    if for_user is not None:
        member = doc.members.get(for_user)
        seen = member.last_seen_seq if member is not None else 0
        unread = max(0, doc.last_seq - seen)
    return ConversationSummary(
        id=doc.id,
        channel_id=doc.channel_id,
        status=doc.status,
        visitor_id=doc.visitor_id,
        visitor_name=doc.visitor_name,
        visitor_verified=doc.visitor_verified,
        visitor_email=doc.visitor_email,
        visitor_preview=doc.visitor_preview,
        visitor_page_url=doc.visitor_page_url,
        visitor_referrer=doc.visitor_referrer,
        visitor_device=doc.visitor_device,
        operator_id=doc.operator_id,
        member_ids=doc.member_ids,
        last_seq=doc.last_seq,
        queue_position=doc.queue_position if doc.status == "queued" else None,
        created_at=doc.created_at,
        last_activity_at=doc.last_activity_at or doc.created_at,
        closed_at=doc.closed_at,
        closed_by=doc.closed_by,
        close_reason=doc.close_reason,
        unread=unread,
        controller=controller_of(doc),
    )


def detail(doc: Conversation, rating: dict[str, Any] | None) -> ConversationDetail:
    members = [MemberView(user_id=user_id, **member.model_dump()) for user_id, member in doc.members.items()]
    return ConversationDetail(
        **summary(doc).model_dump(),
        members=members,
        history=[HistoryEntry(**record.model_dump()) for record in doc.history],
        rating=RatingView(**{key: rating[key] for key in RatingView.model_fields}) if rating else None,
        visitor_location=doc.visitor_location,
        handoff=doc.handoff.model_dump() if doc.handoff is not None else None,
    )
