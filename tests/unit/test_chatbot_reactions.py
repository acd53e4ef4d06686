"""Reactions: how one trigger changes a conversation's bot state and what it puts in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from parley.contracts.messages import Message
from parley_chatbot_engine import reactions
from parley_chatbot_engine.faq import FaqEntry
from parley_chatbot_engine.reactions import Context
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.states import BotState, FrameItem, OperatorItem, PostItem, TimersItem
from parley_chatbot_engine.timer_rules import Durations

SCRIPT = Script.model_validate(
    {
        "id": "shop",
        "name": "Shop",
        "steps": [
            {"id": "hi", "type": "text", "text": "Hi!", "class": "greeting"},
            {
                "id": "topic",
                "type": "question_selection",
                "text": "Topic?",
                "answers": [{"id": "a", "label": "Orders"}],
            },
            {"id": "bye", "type": "end", "text": "Bye"},
        ],
    }
)
DURATIONS = Durations(both_silent=30, user_silent=60, unresponsive=45, debounce=3, greeting_hold=10)
FAQ = [FaqEntry(id="f1", channel_id="ch", question="What are your opening hours?", answer="9 to 5.")]


def ctx(now: float) -> Context:
    return Context(script=SCRIPT, durations=DURATIONS, now=now, faq_confident=0.6, faq_suggest=0.25)


def message(seq: int, body: str) -> Message:
    return Message(
        id=f"m{seq}",
        conversation_id="c1",
        seq=seq,
        author_id="v1",
        author_role="visitor",
        kind="text",
        body=body,
        created_at=datetime.now(UTC),
    )


def fresh() -> BotState:
    return BotState(conversation_id="c1", script_id="shop", bot_id="bot_shop", member_ids=["v1", "bot_shop"])


def posts(state: BotState) -> list[PostItem]:
    return [item for item in state.outbox if isinstance(item, PostItem)]


def frames(state: BotState) -> list[dict]:
    return [item.frame.model_dump(mode="json") for item in state.outbox if isinstance(item, FrameItem)]


def begun() -> BotState:
    state = reactions.started(fresh(), ctx(0), message(1, "hello"))
    assert state is not None
    return state.model_copy(update={"outbox": [], "outbox_since": None})


def test_start_posts_the_first_steps_pushes_status_and_step_and_arms_timers() -> None:
    state = reactions.started(fresh(), ctx(0), message(1, "hello"))
    assert state is not None and state.started and state.visitor_id == "v1" and state.robot.online
    assert [(p.content.text, p.content.message_class) for p in posts(state)] == [
        ("Hi!", "greeting"),
        ("Topic?", "question"),
    ]
    assert [p.client_msg_id.split(".")[1:] for p in posts(state)] == [["m1", "0"], ["m1", "1"]]
    assert [frame["type"] for frame in frames(state)] == ["robot.status", "bot.step"]
    assert all(item.user_ids == ["v1"] for item in state.outbox if isinstance(item, FrameItem))
    timers = [item for item in state.outbox if isinstance(item, TimersItem)]
    assert timers[0].set == {"both_silent": 30, "user_silent": 60, "unresponsive": 45}
    assert state.outbox_since == 0 and "m1" in state.handled
    assert reactions.started(state, ctx(1), message(1, "hello")) is None


def test_a_redelivered_message_changes_nothing() -> None:
    once = reactions.visitor_message(begun(), ctx(5), message(3, "Orders"), FAQ)
    assert once is not None and once.progress.finished
    assert reactions.visitor_message(once, ctx(6), message(3, "Orders"), FAQ) is None


def test_faq_answers_a_confident_question_and_shows_the_open_step_again() -> None:
    state = reactions.visitor_message(begun(), ctx(5), message(3, "what are your opening hours?"), FAQ)
    assert state is not None
    assert [p.content.text for p in posts(state)] == ["9 to 5."]
    assert [frame["type"] for frame in frames(state)] == ["bot.step"]
    assert state.progress.step_id == "topic"


def test_unmatched_text_mid_script_asks_again_with_the_options() -> None:
    state = reactions.visitor_message(begun(), ctx(5), message(3, "bicycles"), FAQ)
    assert state is not None and "1. Orders" in posts(state)[0].content.text


def test_unmatched_text_after_the_script_asks_for_an_operator() -> None:
    done = reactions.visitor_message(begun(), ctx(5), message(3, "Orders"), FAQ)
    assert done is not None
    state = reactions.visitor_message(done.model_copy(update={"outbox": []}), ctx(6), message(5, "bicycles?"), FAQ)
    assert state is not None and any(isinstance(item, OperatorItem) for item in state.outbox)
    queued = reactions.operator_answered(state.model_copy(update={"outbox": []}), ctx(7), status="queued", key="o1")
    assert posts(queued)[0].content.text == SCRIPT.queued_text and not queued.human_present
    assigned = reactions.operator_answered(state.model_copy(update={"outbox": []}), ctx(7), status="assigned", key="o1")
    assert posts(assigned)[0].content.text == SCRIPT.handover_text
    assert assigned.human_present and not assigned.robot.online and assigned.timers.deadlines == {}


def test_a_stale_timer_does_nothing_and_a_due_one_speaks_once() -> None:
    state = begun()
    assert reactions.timer_fired(state, ctx(30), "both_silent", 29.0) is None
    fired = reactions.timer_fired(state, ctx(30), "both_silent", 30.0)
    assert fired is not None and posts(fired)[0].content.message_class == "proactive"
    assert "both_silent" not in fired.timers.deadlines  # the proactive message re-armed nothing
    assert reactions.timer_fired(fired, ctx(31), "both_silent", 30.0) is None


def test_user_silent_marks_the_user_away_and_takes_the_bot_offline() -> None:
    fired = reactions.timer_fired(begun(), ctx(60), "user_silent", 60.0)
    assert fired is not None and fired.timers.user_away and not fired.robot.online
    status = frames(fired)[0]
    assert status["type"] == "robot.status" and status["data"]["status"] == 2


def test_user_online_within_the_hold_is_held_then_greeted_once() -> None:
    away = reactions.timer_fired(begun(), ctx(60), "user_silent", 60.0)
    assert away is not None
    held = reactions.user_online(away, ctx(65), 10, "v1")
    assert held.timers.deadlines["greet"] == 70 and posts(held) == posts(away)
    greeted = reactions.timer_fired(held, ctx(70), "greet", 70.0)
    assert greeted is not None and greeted.robot.online
    greeting = posts(greeted)[-1]
    assert greeting.content.message_class == "greeting" and greeting.client_msg_id.split(".")[1] == "g60000"
    again = reactions.user_online(greeted, ctx(71), 10, "v1")
    assert posts(again) == posts(greeted) and frames(again)[-1]["data"]["status"] == 1


def test_user_online_after_the_hold_greets_at_once() -> None:
    away = reactions.timer_fired(begun(), ctx(60), "user_silent", 60.0)
    assert away is not None
    greeted = reactions.user_online(away.model_copy(update={"outbox": []}), ctx(75), 10, "v1")
    assert [p.content.message_class for p in posts(greeted)] == ["greeting"]
    assert greeted.robot.online and not greeted.timers.user_away


def test_an_operator_joining_silences_the_bot() -> None:
    joined = reactions.human_joined(begun(), ctx(5), "op1")
    assert joined is not None and joined.operator_id == "op1" and not joined.bot_active
    assert reactions.timer_fired(joined, ctx(30), "both_silent", 30.0) is None  # its deadline was cleared
    assert reactions.human_joined(joined, ctx(6), "op1") is None
    after = reactions.visitor_message(joined, ctx(7), message(4, "Orders"), FAQ)
    assert after is not None and posts(after) == posts(joined) and after.timers.deadlines == {}


def test_timer_control_pauses_and_resumes() -> None:
    paused = reactions.timers_controlled(begun(), ctx(10), "pause")
    assert paused.timers.paused and paused.timers.deadlines == {}
    cleared = next(item for item in paused.outbox if isinstance(item, TimersItem))
    assert set(cleared.clear) == {"both_silent", "user_silent", "unresponsive"}
    resumed = reactions.timers_controlled(paused, ctx(100), "resume")
    assert resumed.timers.deadlines == {"both_silent": 120, "user_silent": 150, "unresponsive": 135}


def test_closing_ends_every_timer() -> None:
    closed = reactions.closed(begun(), ctx(5))
    assert closed is not None and closed.closed and closed.timers.deadlines == {}
    assert reactions.closed(closed, ctx(6)) is None


def test_typing_holds_a_multi_line_answer_until_the_visitor_is_done() -> None:
    """Issue 22 item 2: a visitor still typing more lines is waited for (typing_hold past each
    typing frame); a stop leaves the usual quiet spell; typing at any other time changes nothing."""
    multi = Script.model_validate(
        {
            "id": "shop",
            "name": "Shop",
            "steps": [
                {"id": "describe", "type": "free_input_multi", "text": "Describe it."},
                {"id": "email", "type": "question_email", "text": "Email?"},
            ],
        }
    )
    durations = Durations(both_silent=30, user_silent=60, unresponsive=45, debounce=3, greeting_hold=10, typing_hold=6)

    def at(now: float) -> Context:
        return Context(script=multi, durations=durations, now=now, faq_confident=0.6, faq_suggest=0.25)

    asked = reactions.started(fresh(), at(0), message(1, "hello"))
    assert asked is not None and asked.progress.step_id == "describe"
    asked = asked.model_copy(update={"outbox": []})
    assert reactions.visitor_typing(asked, at(1), active=True) is None  # no line yet: no answer to hold

    first = reactions.visitor_message(asked, at(2), message(3, "It crashed"), [])
    assert first is not None and first.timers.deadlines["debounce"] == 5  # the quiet spell
    typing = reactions.visitor_typing(first.model_copy(update={"outbox": []}), at(4), active=True)
    assert typing is not None and typing.timers.deadlines["debounce"] == 10
    assert [item.set for item in typing.outbox if isinstance(item, TimersItem)] == [{"debounce": 10}]
    assert posts(typing) == []
    assert reactions.visitor_typing(typing, at(4.5), active=True) is None  # half a second later: no write
    assert reactions.visitor_typing(typing, at(4.5), active=False) is None  # never sooner than asked
    stopped = reactions.visitor_typing(typing, at(8), active=False)
    assert stopped is not None and stopped.timers.deadlines["debounce"] == 11

    later = reactions.timer_fired(stopped, at(11), "debounce", 11)
    assert later is not None and later.progress.step_id == "email"
    assert reactions.visitor_typing(later, at(12), active=True) is None  # another step: nothing to hold
