"""External bots' pure rules: the controller, delta batching, rich_text sanitising, stable event ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Message
from parley_chat_session.agents.controller import controller_of, require_control, take_back_refusal
from parley_chat_session.agents.delta_batching import DraftBuffer, Piece
from parley_chat_session.agents.rich_text import sanitised_html
from parley_chat_session.conversations import outbound
from parley_chat_session.conversations.conversation import Conversation
from tests.kit.chat_documents import history_line, stored_conversation

pytestmark = pytest.mark.unit


def conversation(**fields: Any) -> Conversation:
    doc = {
        "channel_id": "ch_1",
        "visitor_id": "v_1",
        "status": "open",
        "operator_id": None,
        "agent_id": "agent_helpdesk",
        "bot_in_control": True,
        "member_ids": ["v_1", "agent_helpdesk"],
        "history": [],
    }
    return stored_conversation("c_1", **{**doc, **fields})


@pytest.mark.parametrize(
    ("fields", "controller"),
    [
        ({}, "bot"),
        ({"bot_in_control": False, "status": "queued"}, "queued"),
        ({"bot_in_control": False, "status": "open"}, "queued"),  # handed off, routing not done yet
        ({"bot_in_control": False, "operator_id": "u_1"}, "human"),
        ({"bot_in_control": False, "status": "closed", "operator_id": "u_1"}, "closed"),
        ({"status": "closed"}, "closed"),
        ({"agent_id": None}, None),  # no bot: no controller
        # A scripted bot: the same model, without the flag.
        ({"agent_id": None, "bot_in_control": False, "member_ids": ["v_1", "bot_faq"]}, "bot"),
        ({"agent_id": None, "member_ids": ["v_1", "bot_faq"], "status": "queued"}, "queued"),
        ({"agent_id": None, "member_ids": ["v_1", "bot_faq", "u_1"], "operator_id": "u_1"}, "human"),
    ],
)
def test_the_controller_follows_the_flag_the_status_and_the_operator(fields: dict[str, Any], controller: str) -> None:
    assert controller_of(conversation(**fields)) == controller


def test_only_the_conversations_own_bot_in_control_may_act() -> None:
    require_control(conversation(), "helpdesk")
    with pytest.raises(ParleyError) as other_bot:
        require_control(conversation(), "intruder")
    assert other_bot.value.code == ErrorCode.BOT_NOT_A_MEMBER
    with pytest.raises(ParleyError) as removed:
        require_control(conversation(member_ids=["v_1"]), "helpdesk")
    assert removed.value.code == ErrorCode.BOT_NOT_A_MEMBER
    with pytest.raises(ParleyError) as human:
        require_control(conversation(bot_in_control=False, operator_id="u_1"), "helpdesk")
    assert human.value.code == ErrorCode.BOT_NOT_IN_CONTROL
    with pytest.raises(ParleyError) as closed:
        require_control(conversation(status="closed"), "helpdesk")
    assert closed.value.code == ErrorCode.CONVERSATION_CLOSED


def test_take_back_waits_for_the_operator_to_release() -> None:
    held = take_back_refusal(conversation(bot_in_control=False, operator_id="u_1"))
    assert held is not None and held.code == ErrorCode.HELD_BY_HUMAN
    assert take_back_refusal(conversation(bot_in_control=False, status="queued")) is None


def test_the_first_delta_goes_at_once_and_the_next_ones_wait_for_the_interval() -> None:
    buffer = DraftBuffer(interval=0.1)
    assert buffer.add(Piece(0, "Hel"), now=10.0) == 0.0
    assert buffer.take(now=10.0) == [Piece(0, "Hel")]
    assert buffer.add(Piece(3, "lo "), now=10.02) == pytest.approx(0.08)
    assert buffer.add(Piece(6, "world"), now=10.05) == pytest.approx(0.05)
    assert buffer.take(now=10.1) == [Piece(3, "lo world")]  # joined: one frame
    assert buffer.add(Piece(11, "!"), now=10.5) == 0.0  # quiet for longer than the interval


def test_pieces_that_do_not_continue_each_other_stay_apart_with_their_offsets() -> None:
    buffer = DraftBuffer(interval=0.1)
    buffer.take(now=0.0)
    buffer.add(Piece(0, "ab"), now=1.0)
    buffer.add(Piece(5, "xy"), now=1.01)  # another replica applied 2..5
    assert buffer.take(now=1.2) == [Piece(0, "ab"), Piece(5, "xy")]
    assert buffer.take(now=1.3) == []


@pytest.mark.parametrize(
    ("html", "clean"),
    [
        ("<p>Order <b>#1</b></p>", "<p>Order <b>#1</b></p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ('<p onclick="alert(1)">x</p>', "<p>x</p>"),
        ('<img src=x onerror="alert(1)">', ""),
        ('<a href="javascript:alert(1)">x</a>', '<a target="_blank" rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="data:text/html,x">x</a>', '<a target="_blank" rel="noopener noreferrer nofollow">x</a>'),
        ('<iframe src="https://e.example"></iframe><style>*{}</style>', ""),
        (
            '<a href="https://e.example/p" style="x">p</a>',
            '<a href="https://e.example/p" target="_blank" rel="noopener noreferrer nofollow">p</a>',
        ),
        ("<svg><script>alert(1)</script></svg>", ""),
    ],
)
def test_rich_text_keeps_formatting_and_drops_everything_that_runs(html: str, clean: str) -> None:
    assert sanitised_html(html) == clean


def test_event_ids_name_the_happening_so_a_republish_is_the_same_event() -> None:
    doc = conversation()
    message = Message(
        id="m_1",
        conversation_id="c_1",
        seq=4,
        author_id="v_1",
        author_role="visitor",
        kind="text",
        body="hi",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    first, again = outbound.message_created(doc, message), outbound.message_created(doc, message)
    assert first.event_id == again.event_id == "ev_c_1_message.created_4"
    assert first.bot_id == "helpdesk"  # a visitor's message, the bot in control
    held = conversation(bot_in_control=False, operator_id="u_1")
    assert outbound.message_created(held, message).bot_id is None  # a human holds it: not the bot's
    assert outbound.rated(doc, 5, "ok").event_id != outbound.rated(doc, 4, "ok").event_id


def test_the_bot_is_told_when_a_human_lets_go_of_its_conversation() -> None:
    queued = conversation(bot_in_control=False, status="queued", history=[history_line(), history_line("queued")])
    released = outbound.updated(queued, "operator_left")
    assert [(e.event_type, e.bot_id, e.data["reason"]) for e in released] == [
        ("conversation.released", "helpdesk", "operator_left")
    ]
    assert released[0].event_id == outbound.updated(queued, "operator_left")[0].event_id  # republished: the same
    assert [e.event_type for e in outbound.updated(queued, "operator_removed")] == ["conversation.released"]
    # Someone else holds it already, or no external bot serves it: nothing for a bot.
    taken = conversation(bot_in_control=False, operator_id="u_2")
    assert outbound.updated(taken, "operator_left") == []
    assert outbound.updated(conversation(agent_id=None, bot_in_control=False, status="queued"), "operator_left") == []
    # A change webhooks subscribe to is still one event, for them only.
    assigned = outbound.updated(taken, "assigned")
    assert [(e.event_type, e.bot_id) for e in assigned] == [("conversation.assigned", None)]
