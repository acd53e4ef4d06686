"""chat_session's typed documents: what a stored document, old or new, reads as."""

from __future__ import annotations

from typing import Any

import pytest

from parley.contracts.commands import Caller
from parley.contracts.messages import Role
from parley_chat_session.channels.store import (
    DEFAULT_CAPACITY,
    DEFAULT_INACTIVITY_MINUTES,
    DEFAULT_RESPONSE_TARGET_SECONDS,
    ChannelSpec,
    channel_view,
)
from parley_chat_session.conversations.conversation_views import detail, summary
from parley_chat_session.conversations.posting import reply_clock
from tests.kit.chat_documents import CREATED, history_line, stored_channel, stored_conversation


def test_a_channel_written_before_later_settings_reads_with_their_defaults() -> None:
    channel = stored_channel(operator_ids=["ann"], retired_setting="kept by an old version")
    assert channel.operator_ids == ("ann",)
    assert channel.operator_capacity == DEFAULT_CAPACITY and channel.routing == "least_busy"
    assert channel.response_target_seconds == DEFAULT_RESPONSE_TARGET_SECONDS
    assert channel.inactivity_timeout_minutes == DEFAULT_INACTIVITY_MINUTES
    assert channel.offline_emails == () and channel.files is None and channel.theme is None
    assert channel.agent is None and channel.round_robin_last is None and not channel.archived


def test_empty_business_hours_mean_always_open() -> None:
    assert stored_channel(business_hours={}).business_hours is None
    assert stored_channel(business_hours={"timezone": "Europe/Paris"}).business_hours is not None


def test_the_view_shows_the_specs_default_for_a_setting_the_document_lacks() -> None:
    view = channel_view(stored_channel(welcome="Hi"))
    assert view.welcome == "Hi"
    assert view.offline_message == ChannelSpec.model_fields["offline_message"].default


def test_an_agent_entry_reads_as_the_bot_serving_the_channel() -> None:
    agent = {"bot_id": "b1", "user_id": "agent:b1", "name": "Ada", "avatar_url": "", "failure_policy": "wait"}
    channel = stored_channel(agent=agent)
    assert channel.agent is not None and channel.agent.user_id == "agent:b1" and channel.agent.failure_policy == "wait"


def test_a_conversation_written_before_later_fields_reads_with_their_defaults() -> None:
    conversation = stored_conversation(member_ids=["v1"], retired_field=1)
    assert conversation.visitor_name == "" and not conversation.visitor_verified
    assert conversation.agent_id is None and not conversation.bot_in_control and conversation.handoff is None
    assert conversation.queue_told and not conversation.close_pending and conversation.declined_by == []
    assert conversation.last_activity_at is None and summary(conversation).last_activity_at == CREATED


def test_an_author_who_is_no_member_leaves_an_entry_of_their_seen_seq_alone() -> None:
    member = {"role": "visitor", "name": "Vera", "joined_at": CREATED, "last_seen_seq": 2}
    conversation = stored_conversation(members={"v1": member, "system": {"last_seen_seq": 3}}, last_seq=5)
    assert conversation.members["system"].last_seen_seq == 3 and conversation.members["system"].role == ""
    assert summary(conversation, for_user="v1").unread == 3
    assert summary(conversation, for_user="op-1").unread == 5  # no entry: nothing seen


def test_the_detail_view_shows_the_members_and_log_as_stored() -> None:
    member = {"role": "visitor", "name": "Vera", "joined_at": CREATED}
    handoff = {"reason": "asked", "summary": "wants a human", "at": CREATED.isoformat()}
    conversation = stored_conversation(members={"v1": member}, history=[history_line()], handoff=handoff)
    view = detail(conversation, rating=None)
    assert [(m.user_id, m.role, m.name, m.joined_at) for m in view.members] == [("v1", "visitor", "Vera", CREATED)]
    assert [(h.event, h.user_id, h.at) for h in view.history] == [("opened", "v1", CREATED)]
    assert view.handoff == handoff


@pytest.mark.parametrize(
    ("fields", "role", "user_id", "kind", "clock"),
    [
        ({"operator_id": "op-1"}, "operator", "op-1", "text", "stop"),  # the operator answers
        ({"operator_id": "op-1"}, "operator", "op-1", "typing", None),  # not an answer
        ({"operator_id": "op-1"}, "visitor", "v1", "text", "start"),  # the visitor waits for them
        ({"operator_id": "op-1", "awaiting_reply_since": CREATED}, "visitor", "v1", "text", None),  # it runs
        ({}, "visitor", "v1", "text", None),  # nobody assigned: the queue's clock, not this one
        ({"operator_id": "op-1", "status": "queued"}, "visitor", "v1", "text", None),
    ],
)
def test_a_message_starts_or_stops_the_operators_response_clock(
    fields: dict[str, Any], role: Role, user_id: str, kind: str, clock: str | None
) -> None:
    assert reply_clock(stored_conversation(**fields), Caller(user_id=user_id, role=role), kind) == clock
