"""The chatbot script: an ordered list of steps (Odoo's chatbot.script), as admins write it.

Shapes are checked by pydantic when a script is parsed; what pydantic cannot see (a jump to a
missing step, a loop that never waits for the visitor, an empty selection, a triggering answer
that does not exist) is checked by :mod:`parley_chatbot_engine.script_checks`, which lists every
problem at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from parley.contracts.base import Model
from parley.contracts.bot import SCRIPT_ID_PATTERN, BotClass, BotContent, ClassAliased

StepId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# "<step id>.<answer id>": answer ids only need to be unique within their step.
AnswerRef = Annotated[str, StringConstraints(max_length=129, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
StepText = Annotated[str, StringConstraints(max_length=4000)]
StepType = Literal[
    "text",
    "question_selection",
    "question_email",
    "question_phone",
    "free_input_single",
    "free_input_multi",
    "forward_operator",
    "end",
]
# Steps that stop the script until the visitor answers.
QUESTION_TYPES: frozenset[str] = frozenset(
    {"question_selection", "question_email", "question_phone", "free_input_single", "free_input_multi"}
)
# Longer scripts are not conversations any more; the bound also caps the validation's work.
MAX_STEPS = 200
MAX_ANSWERS = 20


class Answer(Model):
    """One button of a question_selection step, and what choosing it does."""

    id: StepId
    label: Label
    aliases: list[Label] = Field(default_factory=list, max_length=20, description="other words that pick it when typed")
    then: Literal["continue", "jump", "end", "operator"] = Field(
        "continue",
        description="continue with the next step, jump to jump_to, end the script, or forward to an operator",
    )
    jump_to: StepId | None = None


class Step(ClassAliased):
    id: StepId
    type: StepType
    text: StepText = ""
    content: BotContent | None = Field(None, description="a rich message shown after text (text steps)")
    message_class: BotClass | None = Field(
        None, alias="class", description="default: question for questions, else answer"
    )
    answers: list[Answer] = Field(default_factory=list, max_length=MAX_ANSWERS)
    triggering_answers: list[AnswerRef] = Field(
        default_factory=list,
        max_length=50,
        description="shown only if, for each earlier step named here, one of its listed answers was chosen",
    )
    jump_to: StepId | None = Field(None, description="where the script goes after this step (default: the next one)")
    quick_replies: list[Label] | None = Field(None, max_length=10, description="None: leave them; []: hide them")
    invalid_text: StepText = Field("", description="question_email/phone: said when the answer is not valid")

    @property
    def waits_for_answer(self) -> bool:
        return self.type in QUESTION_TYPES

    @property
    def bot_class(self) -> BotClass:
        if self.message_class is not None:
            return self.message_class
        return "question" if self.waits_for_answer else "answer"

    def answer(self, answer_id: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.id == answer_id), None)


class ScriptTimers(Model):
    """Per-script (hence per-channel) traffic-light settings; None falls back to the engine's settings."""

    both_silent_seconds: float | None = Field(None, gt=0, le=86_400)
    user_silent_seconds: float | None = Field(None, gt=0, le=86_400)
    unresponsive_seconds: float | None = Field(None, gt=0, le=86_400)
    proactive_text: StepText = "Is there anything I can help you with?"
    nudge_text: StepText = "Are you still there? Just answer when you are ready."


class Script(Model):
    id: Annotated[str, StringConstraints(pattern=SCRIPT_ID_PATTERN)]
    name: Label
    bot_name: Label = "Parley bot"
    greeting: StepText = "Hello again! I'm here if you need anything."
    handover_text: StepText = "I'm not sure about that one, so I've asked a colleague to join."
    queued_text: StepText = "I'm not sure about that one. Nobody from the team is free right now; you're in the queue."
    no_operator_text: StepText = (
        "I don't know the answer to that, and nobody from the team is available right now. "
        "Please try again later or leave your email address."
    )
    timers: ScriptTimers = Field(default_factory=ScriptTimers)
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)

    def index_of(self, step_id: str) -> int | None:
        return next((index for index, step in enumerate(self.steps) if step.id == step_id), None)

    def step(self, step_id: str | None) -> Step | None:
        index = self.index_of(step_id) if step_id is not None else None
        return self.steps[index] if index is not None else None
