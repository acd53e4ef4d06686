"""How a conversation's bot reacts to each trigger, as pure functions from state to state.

Each reaction takes the stored :class:`BotState` and returns the next one (with its effects in
the outbox), or None when there is nothing to change (a redelivered trigger, a stale timer).
The engine loads the state, calls a reaction, stores the result and carries out the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parley.contracts.messages import Message
from parley_chatbot_engine import faq, machine, timer_rules
from parley_chatbot_engine import robot as robots
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.states import BotState
from parley_chatbot_engine.timer_rules import Durations, TimerKind
from parley_chatbot_engine.turns import Turn, bot_text


@dataclass(frozen=True)
class Context:
    """What a reaction needs besides the state: the script, its timings, the FAQ thresholds, the time."""

    script: Script
    durations: Durations
    now: float
    faq_confident: float = 1.0
    faq_suggest: float = 1.0


def started(state: BotState, ctx: Context, message: Message) -> BotState | None:
    """The visitor's first message: the bot comes online and runs its script."""
    if state.started:
        return None
    turn = Turn(state, ctx.durations, ctx.now, key=f"m{message.seq}")
    turn.update(started=True, visitor_id=message.author_id)
    turn.user_spoke()
    turn.robot(robots.came_online(state.robot))
    turn.apply(ctx.script, machine.start(ctx.script, seq=message.seq))
    return turn.result()


def may_need_faq(state: BotState, script: Script) -> bool:
    """Whether a visitor's text could end up matched against the FAQ (so its entries are loaded)."""
    if not state.bot_active or state.progress.waiting_for == "operator":
        return False
    step = machine.waiting_step(script, state.progress)
    return step is None or step.type == "question_selection"


def visitor_message(
    state: BotState, ctx: Context, message: Message, entries: Sequence[faq.FaqEntry]
) -> BotState | None:
    key = f"m{message.seq}"
    if state.seen(key):
        return None
    turn = Turn(state, ctx.durations, ctx.now, key=key)
    turn.update(visitor_id=message.author_id)
    turn.user_spoke()
    if not state.bot_active:
        return turn.result()
    turn.robot(robots.came_online(state.robot))  # a user who speaks is back, and so is the bot
    if not isinstance(message.body, str):
        return turn.result()  # an action is activity, not an answer
    outcome = machine.answer_text(ctx.script, state.progress, message.body, seq=message.seq, now=ctx.now)
    turn.apply(ctx.script, outcome)
    if outcome.not_an_answer:
        _faq_reply(turn, ctx, message.body, entries)
    return turn.result()


def _faq_reply(turn: Turn, ctx: Context, text: str, entries: Sequence[faq.FaqEntry]) -> None:
    verdict = faq.decide(text, entries, confident=ctx.faq_confident, suggest=ctx.faq_suggest)
    step = machine.waiting_step(ctx.script, turn.state.progress)
    if verdict.outcome == "answer":
        for content in faq.answer_contents(verdict.entries[0]):
            turn.say(content)
    elif verdict.outcome == "suggest":
        turn.say(faq.suggestion_content(verdict.entries))
    elif step is not None:
        options = ", ".join(f"{number}. {answer.label}" for number, answer in enumerate(step.answers, 1))
        turn.say(bot_text(f"Please pick one of the options: {options}", "question"))
    else:
        waiting = turn.state.progress.model_copy(update={"waiting_for": "operator", "step_id": None})
        turn.progress(waiting)
        turn.ask_for_operator()
    if step is not None and verdict.outcome != "suggest":
        turn.show(step)  # the question is still open: show its buttons again


def button(state: BotState, ctx: Context, *, step_id: str, answer_id: str, key: str) -> BotState | None:
    """A click on an answer button; raises machine.StepClosed when that step is not waiting."""
    if state.seen(key):
        return None
    turn = Turn(state, ctx.durations, ctx.now, key=key)
    turn.user_spoke()
    turn.apply(ctx.script, machine.answer_choice(ctx.script, state.progress, step_id, answer_id, now=ctx.now))
    return turn.result()


def visitor_typing(state: BotState, ctx: Context, *, active: bool) -> BotState | None:
    """The visitor types while the bot collects a free_input_multi answer: it waits for the rest,
    so a second message is never taken as the answer to the next step. Nothing otherwise."""
    step = machine.waiting_step(ctx.script, state.progress)
    if step is None or step.type != "free_input_multi" or not state.progress.pending_lines:
        return None
    timers = timer_rules.while_typing(state.timers, ctx.durations, ctx.now, active)
    if timers == state.timers:
        return None
    turn = Turn(state, ctx.durations, ctx.now, key="typing")
    turn.timers(timers)
    return turn.result(remember=False)


def operator_answered(state: BotState, ctx: Context, *, status: machine.OperatorStatus, key: str) -> BotState:
    """chat_session answered the bot's request for an operator.

    An assigned operator, or a queue the team is at work to serve, ends a script's part (the
    widget shows the queue position); when nobody can answer now (unavailable: nobody online, or
    outside business hours) the script goes on (Odoo's forward_operator) with its own words for
    that case. A handover asked by an unmatched question says which of the three it came to.
    """
    faq_handover = state.progress.step_id is None
    turn = Turn(state, ctx.durations, ctx.now, key=key)
    outcome = machine.operator_result(ctx.script, state.progress, status=status)
    turn.apply(ctx.script, outcome)
    if faq_handover:
        texts = {"assigned": ctx.script.handover_text, "queued": ctx.script.queued_text}
        turn.say(bot_text(texts.get(status, ctx.script.no_operator_text), "answer"))
    return turn.result(remember=False)


def timer_fired(state: BotState, ctx: Context, kind: TimerKind, deadline: float) -> BotState | None:
    timers = timer_rules.take_due(state.timers, kind, deadline)
    if timers is None:
        return None  # re-armed, paused or fired already
    key = _greeting_key(state) if kind == "greet" else f"t{kind}{round(deadline * 1000)}"
    turn = Turn(state, ctx.durations, ctx.now, key=key)
    turn.timers(timers)
    if kind == "both_silent" and state.bot_active:
        turn.say(bot_text(ctx.script.timers.proactive_text, "proactive"))
    elif kind == "unresponsive" and state.bot_active:
        turn.say(bot_text(ctx.script.timers.nudge_text, "nudge"))
    elif kind == "user_silent":
        turn.robot(robots.went_offline(state.robot, ctx.now))
    elif kind == "debounce":
        turn.apply(ctx.script, machine.flush_lines(ctx.script, state.progress, now=ctx.now))
    elif kind == "greet" and not state.robot.online and state.bot_active:
        _greet(turn, ctx)
    return turn.result(remember=False)


def user_online(state: BotState, ctx: Context, hold_seconds: float, user_id: str) -> BotState:
    """The client says "user online": greet, hold the greeting, or just say how the bot is."""
    verdict = robots.on_user_online(state.robot, ctx.now, hold_seconds, human_present=not state.bot_active)
    turn = Turn(state, ctx.durations, ctx.now, key=_greeting_key(state))
    if verdict == "greet" and state.started:
        _greet(turn, ctx)
    elif verdict == "hold" and state.robot.offline_at is not None:
        turn.timers(timer_rules.with_greeting_hold(state.timers, ctx.durations, state.robot.offline_at))
        turn.push_robot_status([user_id])
    else:
        turn.push_robot_status([user_id])
    return turn.result(remember=False)


def _greet(turn: Turn, ctx: Context) -> None:
    turn.user_spoke()
    turn.robot(robots.came_online(turn.state.robot))
    turn.say(bot_text(ctx.script.greeting, "greeting"))


def _greeting_key(state: BotState) -> str:
    """One greeting per offline spell, however many "user online" frames and held timers ask."""
    return f"g{round((state.robot.offline_at or 0) * 1000)}"


def timers_controlled(state: BotState, ctx: Context, action: str) -> BotState:
    turn = Turn(state, ctx.durations, ctx.now, key=f"c{action}")
    if action == "pause":
        turn.timers(timer_rules.paused(state.timers, ctx.now))
    elif action == "stop":
        turn.timers(timer_rules.stopped(state.timers))
    elif state.bot_active:
        turn.timers(timer_rules.resumed(state.timers, ctx.durations, ctx.now))
    return turn.result(remember=False)


def human_joined(state: BotState, ctx: Context, operator_id: str) -> BotState | None:
    if state.operator_id == operator_id:
        return None
    turn = Turn(state, ctx.durations, ctx.now, key=f"h{operator_id}")
    turn.hand_over(operator_id)
    return turn.result(remember=False)


def closed(state: BotState, ctx: Context) -> BotState | None:
    if state.closed:
        return None
    turn = Turn(state, ctx.durations, ctx.now, key="closed")
    turn.update(closed=True)
    turn.timers(timer_rules.without_traffic_light(state.timers).with_deadlines(debounce=None, greet=None))
    turn.robot(robots.went_offline(state.robot, ctx.now))
    return turn.result(remember=False)
