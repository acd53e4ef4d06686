"""A stored conversation as a typed document, read once where its store reads it.

Writes stay MongoDB update documents (conversation_store.py): a change is one conditional
single-document update, and the document it returns is read into a new ``Conversation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from parley.contracts.agents import VisitorLocation
from parley_chat_session.stored import StoredDocument

Status = Literal["open", "queued", "closed"]


class Member(StoredDocument):
    """One entry of the conversation's ``members`` map (keyed by user id). A message's bookkeeping
    raises its author's ``last_seen_seq`` with ``$max``, which makes an entry of that field alone
    for an author who is no member: hence a role and a join time that may be missing."""

    role: str = ""
    name: str = ""
    joined_at: datetime | None = None
    last_seen_seq: int = 0
    last_delivered_seq: int = 0
    # Set when they left (or were taken off the channel); they stay in the map for the transcript.
    left_at: datetime | None = None


class HistoryRecord(StoredDocument):
    """One line of the conversation's log (opened, joined, left, transferred, queued, closed...)."""

    at: datetime
    event: str
    user_id: str
    name: str = ""
    detail: str = ""


class Handoff(StoredDocument):
    """The external bot's hand-off to a human (docs/bots.md)."""

    reason: str = ""
    summary: str = ""
    at: str = ""


class Conversation(StoredDocument):
    """A stored conversation. The defaults are what a document written before the field existed means."""

    id: str = Field(alias="_id")
    channel_id: str
    visitor_id: str
    visitor_name: str = ""
    visitor_email: str | None = None
    # The channel's site signed who this visitor is (a verified identity), shown to operators.
    visitor_verified: bool = False
    # Where they chat from, as their client said at session.open, and where it says it is.
    visitor_page_url: str | None = None
    visitor_referrer: str | None = None
    visitor_device: str | None = None
    visitor_location: VisitorLocation | None = None
    # The start of the visitor's latest text, for the operators' queue and lists.
    visitor_preview: str | None = None
    status: Status
    queued_at: datetime | None = None
    queue_position: int | None = None
    # Whether the visitor was told their position (not while the team is away); conversations
    # queued before this was kept were told.
    queue_told: bool = True
    operator_id: str | None = None
    members: dict[str, Member] = Field(default_factory=dict)
    # Lists, not tuples, because every message hands them to the bus contracts as they are: like
    # the whole document (posting shares one copy between messages), never changed in place.
    # The members now (``members`` keeps those who left too): what access and delivery go by.
    member_ids: list[str] = Field(default_factory=list)
    past_operator_ids: list[str] = Field(default_factory=list)
    # Operators who gave it back: routing does not offer it to them again.
    declined_by: list[str] = Field(default_factory=list)
    last_seq: int = 0
    created_at: datetime
    last_activity_at: datetime | None = None
    assigned_at: datetime | None = None
    # Since when the visitor waits for the operator's answer (the response clock), if they do.
    awaiting_reply_since: datetime | None = None
    closed_at: datetime | None = None
    # Closed, but not every consequence of the close is done yet (conversations/pending_closes.py).
    close_pending: bool = False
    closed_by: str | None = None
    close_reason: str | None = None
    transcript_emailed_at: datetime | None = None
    history: tuple[HistoryRecord, ...] = ()
    # The external bot serving it and whether it answers now (agents/controller.py derives the rest).
    agent_id: str | None = None
    bot_in_control: bool = False
    handoff: Handoff | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Conversation:
        return cls.model_validate(doc)
