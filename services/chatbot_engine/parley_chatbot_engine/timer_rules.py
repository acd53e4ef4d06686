"""Timer arithmetic of a conversation with a bot (bm-aichat's traffic light), as pure functions.

Three idle timers, each a deadline in unix seconds:

- ``both_silent`` (T1): nobody spoke for T1, so the bot speaks first (a proactive message).
  Armed by the user's messages and by the bot's ordinary ones; the bot's proactive messages and
  nudges do not re-arm it, so a silent user gets one proactive message, not one every T1.
- ``user_silent`` (T2): the user said nothing for T2 and is marked away. Only the user re-arms
  it; while the user is away the bot's messages re-arm nothing.
- ``unresponsive`` (T3): the bot asked a question or gave an instruction and the user has not
  answered for T3; the bot nudges once.

Two more deadlines share the machinery: ``debounce`` (free_input_multi: the lines typed so far
become one answer) and ``greet`` (a "user online" held until the bot has been offline long
enough). The client may pause, resume or stop the traffic light; pausing keeps what was left.

Every function returns a new :class:`TimerState`; the engine stores it with the conversation's
bot state and mirrors its deadlines into Redis, where they are fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.bot import CLASSES_AWAITING_USER

TimerKind = Literal["both_silent", "user_silent", "unresponsive", "debounce", "greet"]
TIMER_KINDS: tuple[TimerKind, ...] = ("both_silent", "user_silent", "unresponsive", "debounce", "greet")
TRAFFIC_LIGHT: tuple[TimerKind, ...] = ("both_silent", "user_silent", "unresponsive")
# A typing frame moves a held answer's deadline only by this much or more: clients send one every
# few seconds, and a client sending them as fast as the gateway lets it costs no state write each.
TYPING_STEP_SECONDS = 1.0
# Bot messages that are themselves the timers' doing; they re-arm nothing.
TIMER_CLASSES = frozenset({"proactive", "nudge"})


@dataclass(frozen=True)
class Durations:
    both_silent: float
    user_silent: float
    unresponsive: float
    debounce: float
    greeting_hold: float
    typing_hold: float = 6.0


class TimerState(Model):
    deadlines: dict[TimerKind, float] = Field(default_factory=dict)
    paused: bool = False
    stopped: bool = False
    user_away: bool = False
    remaining: dict[TimerKind, float] = Field(default_factory=dict, description="seconds left when paused")

    @property
    def running(self) -> bool:
        return not (self.paused or self.stopped)

    def with_deadlines(self, **changes: float | None) -> TimerState:
        unknown = changes.keys() - set(TIMER_KINDS)
        if unknown:
            raise TypeError(f"not timer kinds: {sorted(unknown)}")
        deadlines = dict(self.deadlines)
        for kind in TIMER_KINDS:
            if kind not in changes:
                continue
            deadline = changes[kind]
            if deadline is None:
                deadlines.pop(kind, None)
            else:
                deadlines[kind] = deadline
        return self.model_copy(update={"deadlines": deadlines})


def after_user_message(state: TimerState, durations: Durations, now: float) -> TimerState:
    """The user spoke: no longer away, T1 and T2 start over, nothing is awaiting an answer."""
    state = state.model_copy(update={"user_away": False})
    if not state.running:
        return state
    return state.with_deadlines(
        both_silent=now + durations.both_silent, user_silent=now + durations.user_silent, unresponsive=None
    )


def after_bot_message(state: TimerState, durations: Durations, now: float, message_class: str) -> TimerState:
    """The bot spoke: T1 starts over, and a question or instruction starts T3."""
    if not state.running or state.user_away or message_class in TIMER_CLASSES:
        return state
    unresponsive = now + durations.unresponsive if message_class in CLASSES_AWAITING_USER else None
    return state.with_deadlines(both_silent=now + durations.both_silent, unresponsive=unresponsive)


def take_due(state: TimerState, kind: TimerKind, deadline: float) -> TimerState | None:
    """The state once the timer fired, or None when the deadline is stale (re-armed, paused, fired)."""
    if state.deadlines.get(kind) != deadline:
        return None
    changed = state.with_deadlines(**{kind: None})
    if kind == "user_silent":
        changed = changed.model_copy(update={"user_away": True})
    return changed


def with_debounce(state: TimerState, durations: Durations, now: float) -> TimerState:
    """Another line arrived: the lines so far are one answer once nothing more comes for a while."""
    return state.with_deadlines(debounce=now + durations.debounce)


def while_typing(state: TimerState, durations: Durations, now: float, active: bool) -> TimerState:
    """The visitor is typing more lines (or stopped): the lines so far wait ``typing_hold`` past the
    typing frame (clients repeat it every few seconds while typing, never always a stop), or the
    usual quiet spell after a stop. Never sooner than a line already asked for."""
    hold = durations.typing_hold if active else durations.debounce
    current = state.deadlines.get("debounce")
    if current is not None and now + hold < current + TYPING_STEP_SECONDS:
        return state  # a frame right after another moves nothing worth a write (flooding included)
    return state.with_deadlines(debounce=now + hold)


def with_greeting_hold(state: TimerState, durations: Durations, offline_at: float) -> TimerState:
    return state.with_deadlines(greet=offline_at + durations.greeting_hold)


def paused(state: TimerState, now: float) -> TimerState:
    if not state.running:
        return state
    remaining = {kind: max(0.0, state.deadlines[kind] - now) for kind in TRAFFIC_LIGHT if kind in state.deadlines}
    cleared = state.with_deadlines(**dict.fromkeys(TRAFFIC_LIGHT))
    return cleared.model_copy(update={"paused": True, "remaining": remaining})


def stopped(state: TimerState) -> TimerState:
    cleared = state.with_deadlines(**dict.fromkeys(TRAFFIC_LIGHT))
    return cleared.model_copy(update={"stopped": True, "paused": False, "remaining": {}})


def resumed(state: TimerState, durations: Durations, now: float) -> TimerState:
    """Paused timers continue where they were; stopped ones start over as after a user message."""
    if state.paused:
        deadlines = {kind: now + left for kind, left in state.remaining.items()}
        back = state.model_copy(update={"paused": False, "remaining": {}})
        return back.with_deadlines(**deadlines)
    if state.stopped:
        return after_user_message(state.model_copy(update={"stopped": False}), durations, now)
    return state


def without_traffic_light(state: TimerState) -> TimerState:
    """A human took over or the conversation closed: the bot's idle timers end."""
    return state.with_deadlines(**dict.fromkeys(TRAFFIC_LIGHT)).model_copy(update={"remaining": {}})
