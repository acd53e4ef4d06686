"""chat_session's access rules (parley_chat_session.access), the one place each is decided: who
reads a conversation, who manages a channel, who gives the visitor's e-mail."""

from __future__ import annotations

from typing import Any

import pytest

from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Role
from parley.tokens import Claims
from parley_chat_session.access import (
    require_channel_operator,
    require_channel_staff,
    require_member,
    require_reader,
    require_visitor,
)
from tests.kit.chat_documents import stored_channel, stored_conversation

CONVERSATION = stored_conversation("c1", member_ids=["visitor-1", "op-1"], visitor_id="visitor-1")
CHANNEL = stored_channel("ch1", operator_ids=["op-1"])


def claims(sub: str, role: Role) -> Claims:
    return Claims(sub=sub, role=role, sid="s", iat=0, exp=0, iss="parley", aud="parley", jti="j")


def refused(rule: Any, *args: Any) -> int:
    with pytest.raises(ParleyError) as raised:
        rule(*args)
    return raised.value.code


def test_members_and_admins_read_a_conversation_no_one_else() -> None:
    require_reader(CONVERSATION, claims("visitor-1", "visitor"))
    require_reader(CONVERSATION, claims("op-1", "operator"))
    require_reader(CONVERSATION, claims("admin-1", "admin"))
    assert refused(require_reader, CONVERSATION, claims("op-2", "operator")) == ErrorCode.NOT_A_MEMBER
    assert refused(require_reader, CONVERSATION, claims("visitor-2", "visitor")) == ErrorCode.NOT_A_MEMBER
    # Being an admin is a reader's right, not a member's: an admin does not post as one.
    assert refused(require_member, CONVERSATION, "admin-1") == ErrorCode.NOT_A_MEMBER
    # A document without members.
    assert refused(require_member, stored_conversation("c2"), "op-1") == ErrorCode.NOT_A_MEMBER


def test_a_channel_is_managed_by_admins_and_its_own_operators() -> None:
    require_channel_staff(CHANNEL, claims("admin-1", "admin"))
    require_channel_staff(CHANNEL, claims("op-1", "operator"))
    assert refused(require_channel_staff, CHANNEL, claims("op-2", "operator")) == ErrorCode.NOT_A_MEMBER
    assert refused(require_channel_operator, stored_channel("ch2"), "op-1") == ErrorCode.NOT_A_MEMBER
    # An admin is no operator of the channel: taking a conversation needs one.
    assert refused(require_channel_operator, CHANNEL, "admin-1") == ErrorCode.NOT_A_MEMBER


def test_only_the_conversations_visitor_gives_their_email() -> None:
    require_visitor(CONVERSATION.visitor_id, "visitor-1")
    assert refused(require_visitor, CONVERSATION.visitor_id, "op-1") == ErrorCode.NOT_A_MEMBER
