"""One turn of a conversation's bot: a pure change from one :class:`BotState` to the next.

A turn collects what the bot does in answer to one trigger (a visitor message, a button, a
timer, a client status): its messages, frames and timer changes become outbox items of the
new state, and the engine carries them out after the state is stored. Each bot message gets a
``client_msg_id`` derived from the conversation, the trigger and its position in the turn, so
carrying out an outbox twice (after a crash, or on two replicas) stores each message once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from parley.contracts.base import new_id
from parley.contracts.bot import BotClass, BotContent, RobotStatus, TextContent
from parley.contracts.frames import BotAnswer, BotStep, BotStepFrame, RobotStatusFrame, ServerFrame
from parley_chatbot_engine import robot as robots
from parley_chatbot_engine import timer_rules
from parley_chatbot_engine.machine import Outcome, Progress
from parley_chatbot_engine.script import Script, Step
from parley_chatbot_engine.states import (
    BotState,
    ContactItem,
    FrameItem,
    OperatorItem,
    OutboxItem,
    PostItem,
    StepsItem,
    TimersItem,
)
from parley_chatbot_engine.timer_rules import Durations, TimerState


def bot_text(text: str, message_class: BotClass) -> TextContent:
    return TextContent(kind="text", message_class=message_class, text=text)


def conversation_tag(conversation_id: str) -> str:
    """A short stable tag of a conversation: the bot's client_msg_ids must be unique per bot, and
    conversation ids may be up to 64 characters, too long to embed whole."""
    return hashlib.blake2b(conversation_id.encode(), digest_size=8).hexdigest()


class Turn:
    """Build the next state of one conversation; :meth:`result` returns it (or None if unchanged)."""

    def __init__(self, state: BotState, durations: Durations, now: float, key: str) -> None:
        self.before = state
        self.state = state
        self.durations = durations
        self.now = now
        self.key = key
        self.items: list[OutboxItem] = []
        self._said = 0

    # ---- what the bot does ---------------------------------------------------------------------

    def say(self, content: BotContent) -> None:
        client_msg_id = f"{conversation_tag(self.state.conversation_id)}.{self.key}.{self._said}"
        self._said += 1
        self.items.append(PostItem(id=new_id(), client_msg_id=client_msg_id[:64], content=content))
        if self.state.bot_active:
            self.timers(
                timer_rules.after_bot_message(self.state.timers, self.durations, self.now, content.message_class)
            )

    def show(self, step: Step) -> None:
        """Push the step now waiting for the visitor (its buttons and quick replies)."""
        frame = BotStep(
            conversation_id=self.state.conversation_id,
            step_id=step.id,
            step_type=step.type,
            text=step.text,
            answers=[BotAnswer(id=answer.id, label=answer.label) for answer in step.answers],
            quick_replies=step.quick_replies,
        )
        self.push(BotStepFrame(data=frame))

    def push(self, frame: ServerFrame, user_ids: list[str] | None = None) -> None:
        recipients = user_ids if user_ids is not None else self.state.humans
        if recipients:
            self.items.append(FrameItem(id=new_id(), user_ids=recipients, frame=frame))

    def push_robot_status(self, user_ids: list[str] | None = None) -> None:
        now = robots.status_of(self.state.robot, self.now)
        frame = RobotStatus(
            conversation_id=self.state.conversation_id,
            bot_id=self.state.bot_id,
            status=now.status,
            offline_seconds=now.offline_seconds,
        )
        self.push(RobotStatusFrame(data=frame), user_ids)

    def ask_for_operator(self) -> None:
        self.items.append(OperatorItem(id=new_id()))

    # ---- state changes ---------------------------------------------------------------------------

    def update(self, **fields: Any) -> None:
        self.state = self.state.model_copy(update=fields)

    def timers(self, timers: TimerState) -> None:
        self.update(timers=timers)

    def robot(self, robot: robots.RobotState) -> None:
        """Change the robot's state; a change of status is pushed to the humans of the conversation."""
        was = robots.status_of(self.state.robot, self.now).status
        self.update(robot=robot)
        if robots.status_of(robot, self.now).status != was:
            self.push_robot_status()

    def user_spoke(self) -> None:
        """The user is here: no longer away, and (while the bot talks) the idle timers start over."""
        if self.state.bot_active:
            self.timers(timer_rules.after_user_message(self.state.timers, self.durations, self.now))
        else:
            self.timers(self.state.timers.model_copy(update={"user_away": False}))

    def apply(self, script: Script, outcome: Outcome) -> None:
        """Carry a step-machine outcome into the turn: progress, messages, the waiting step, contacts."""
        self.progress(outcome.progress)
        if outcome.entered:
            self.items.append(StepsItem(id=new_id(), step_types=outcome.entered))
        for content in outcome.says:
            self.say(content)
        if outcome.shown is not None:
            self.show(outcome.shown)
        for collected in outcome.collected:
            if self.state.visitor_id is not None:
                self.items.append(
                    ContactItem(
                        id=new_id(),
                        visitor_id=self.state.visitor_id,
                        field=collected.field,
                        value=collected.value,
                        step_id=collected.step_id,
                    )
                )
        if outcome.debounce:
            self.timers(timer_rules.with_debounce(self.state.timers, self.durations, self.now))
        if outcome.wants_operator:
            self.ask_for_operator()
        if outcome.progress.handed_over:
            self.hand_over()

    def progress(self, progress: Progress) -> None:
        self.update(progress=progress)

    def hand_over(self, operator_id: str | None = None) -> None:
        """A human has (or will have) the conversation: the bot goes quiet and offline."""
        if operator_id is not None:
            self.update(operator_id=operator_id)
        self.timers(timer_rules.without_traffic_light(self.state.timers))
        self.robot(robots.went_offline(self.state.robot, self.now))

    # ---- result ----------------------------------------------------------------------------------

    def result(self, *, remember: bool = True) -> BotState:
        """The new state: the turn's effects appended to the outbox, the trigger remembered."""
        items = [*self.items]
        timers = _timer_changes(self.before.timers, self.state.timers)
        if timers is not None:
            items.append(timers)
        outbox = [*self.state.outbox, *items]
        since = self.state.outbox_since or (self.now if outbox else None)
        handled = self.state.remember(self.key) if remember else self.state.handled
        return self.state.model_copy(update={"outbox": outbox, "outbox_since": since, "handled": handled})


def _timer_changes(before: TimerState, after: TimerState) -> TimersItem | None:
    changed = {kind: deadline for kind, deadline in after.deadlines.items() if before.deadlines.get(kind) != deadline}
    cleared = [kind for kind in before.deadlines if kind not in after.deadlines]
    if not changed and not cleared:
        return None
    return TimersItem(id=new_id(), set=changed, clear=cleared)
