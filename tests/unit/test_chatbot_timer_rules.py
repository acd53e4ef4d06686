"""Traffic-light timer arithmetic, debounce and greeting-hold deadlines, and the robot status rules."""

from __future__ import annotations

import pytest

from parley_chatbot_engine import robot as robots
from parley_chatbot_engine import timer_rules as rules
from parley_chatbot_engine.timer_rules import Durations, TimerState

D = Durations(both_silent=30, user_silent=60, unresponsive=45, debounce=3, greeting_hold=10)


def test_user_message_arms_t1_and_t2_and_clears_t3() -> None:
    state = TimerState(deadlines={"unresponsive": 50.0}, user_away=True)
    after = rules.after_user_message(state, D, now=100)
    assert after.deadlines == {"both_silent": 130, "user_silent": 160}
    assert not after.user_away


def test_bot_question_or_instruction_arms_t3_and_restarts_t1() -> None:
    state = rules.after_user_message(TimerState(), D, now=0)
    asked = rules.after_bot_message(state, D, now=10, message_class="question")
    assert asked.deadlines == {"both_silent": 40, "user_silent": 60, "unresponsive": 55}
    told = rules.after_bot_message(state, D, now=10, message_class="imperative")
    assert told.deadlines["unresponsive"] == 55
    answered = rules.after_bot_message(state, D, now=10, message_class="answer")
    assert answered.deadlines == {"both_silent": 40, "user_silent": 60}


@pytest.mark.parametrize("message_class", ["proactive", "nudge"])
def test_the_timers_own_messages_rearm_nothing(message_class: str) -> None:
    state = rules.after_user_message(TimerState(), D, now=0)
    assert rules.after_bot_message(state, D, now=10, message_class=message_class) == state


def test_while_the_user_is_away_bot_messages_reset_nothing() -> None:
    state = rules.after_user_message(TimerState(), D, now=0)
    away = rules.take_due(state, "user_silent", 60)
    assert away is not None and away.user_away
    assert rules.after_bot_message(away, D, now=70, message_class="question") == away
    back = rules.after_user_message(away, D, now=80)
    assert not back.user_away and back.deadlines["user_silent"] == 140


def test_take_due_fires_only_the_current_deadline() -> None:
    state = TimerState(deadlines={"both_silent": 30.0})
    assert rules.take_due(state, "both_silent", 29.0) is None  # re-armed since: stale
    assert rules.take_due(state, "unresponsive", 30.0) is None
    fired = rules.take_due(state, "both_silent", 30.0)
    assert fired is not None and fired.deadlines == {}
    assert rules.take_due(fired, "both_silent", 30.0) is None  # fired already


def test_pause_keeps_what_was_left_and_resume_restores_it() -> None:
    state = rules.after_bot_message(
        rules.after_user_message(TimerState(), D, now=0), D, now=0, message_class="question"
    )
    paused = rules.paused(state, now=20)
    assert paused.paused and paused.deadlines == {}
    assert paused.remaining == {"both_silent": 10, "user_silent": 40, "unresponsive": 25}
    assert rules.after_user_message(paused, D, now=25).deadlines == {}  # paused timers stay paused
    resumed = rules.resumed(paused, D, now=100)
    assert resumed.deadlines == {"both_silent": 110, "user_silent": 140, "unresponsive": 125} and not resumed.paused


def test_stop_clears_and_resume_after_stop_starts_over() -> None:
    state = rules.with_debounce(rules.after_user_message(TimerState(), D, now=0), D, now=5)
    stopped = rules.stopped(state)
    assert stopped.deadlines == {"debounce": 8} and stopped.stopped  # debounce is not an idle timer
    assert rules.after_bot_message(stopped, D, now=9, message_class="question") == stopped
    restarted = rules.resumed(stopped, D, now=50)
    assert restarted.deadlines == {"debounce": 8, "both_silent": 80, "user_silent": 110}


def test_debounce_and_greeting_hold_deadlines() -> None:
    state = rules.with_debounce(TimerState(), D, now=10)
    assert rules.with_debounce(state, D, now=12).deadlines["debounce"] == 15  # each line pushes it back
    assert rules.with_greeting_hold(TimerState(), D, offline_at=100).deadlines["greet"] == 110


def test_without_traffic_light_keeps_other_deadlines() -> None:
    state = TimerState(deadlines={"both_silent": 1, "user_silent": 2, "unresponsive": 3, "greet": 4})
    assert rules.without_traffic_light(state).deadlines == {"greet": 4}


def test_robot_status_unknown_online_offline() -> None:
    never = robots.RobotState()
    assert robots.status_of(never, 100) == robots.StatusNow(3, None)
    online = robots.came_online(never)
    assert robots.status_of(online, 100) == robots.StatusNow(1, None)
    offline = robots.went_offline(online, now=100)
    assert robots.status_of(offline, 112.7) == robots.StatusNow(2, 12)
    assert robots.went_offline(offline, now=200) == offline  # already offline: the time is kept


def test_user_online_greets_holds_within_ten_seconds_and_ignores_when_a_human_is_there() -> None:
    offline = robots.went_offline(robots.came_online(robots.RobotState()), now=100)
    assert robots.on_user_online(offline, 105, 10, human_present=False) == "hold"
    assert robots.on_user_online(offline, 110, 10, human_present=False) == "greet"
    assert robots.on_user_online(robots.RobotState(), 0, 10, human_present=False) == "greet"
    assert robots.on_user_online(robots.came_online(offline), 105, 10, human_present=False) == "already_online"
    assert robots.on_user_online(offline, 200, 10, human_present=True) == "ignore"
