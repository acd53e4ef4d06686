"""The step machine: where a conversation is in its script, and what the bot says next.

Pure functions from (script, progress, what the visitor did) to an :class:`Outcome`: the new
progress, the bot's messages, the step now waiting (for the ``bot.step`` frame), and whether an
operator is wanted. Steps that wait for nothing (text) run on until a step that waits: a
question, a forward to an operator (waiting for the operator's answer), or the end.

Visitor messages are numbered by the conversation's ``seq``; a message answers the waiting step
only if it came after the step was asked (``asked_after_seq``), so the message that created
the conversation is never taken as the answer to the first question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.bot import BotContent, QuickRepliesContent, TextContent
from parley_chatbot_engine.matching import match_answer, valid_email, valid_phone
from parley_chatbot_engine.script import Answer, Script, Step

# Steps one turn may run through: validation rejects loops without a question, but a script
# edited while conversations are in it is not re-validated against their positions.
MAX_STEPS_PER_TURN = 100
# Answers kept per conversation: a script with loops could otherwise grow the state forever.
MAX_STORED_ANSWERS = 200
INVALID_EMAIL = "That doesn't look like an email address (like name@example.com). Could you type it again?"
INVALID_PHONE = "That doesn't look like a phone number (digits, optionally starting with +). Could you type it again?"
CONTACT_FIELDS: dict[str, Literal["email", "phone"]] = {"question_email": "email", "question_phone": "phone"}


# What chat_session answered the bot's request for an operator (OperatorRequestResult.status).
OperatorStatus = Literal["assigned", "queued", "unavailable"]

# How an answer was given: a button, typed text, or the lines typed within a free_input_multi step's window.
Via = Literal["button", "text", "lines"]


class StoredAnswer(Model):
    step_id: str
    step_type: str
    text: str
    answer_id: str | None = None
    via: Via
    seq: int | None = None
    at: float


class Line(Model):
    seq: int
    text: str


class Progress(Model):
    """A conversation's position in its script (stored with the conversation's bot state)."""

    step_id: str | None = None
    waiting_for: Literal["answer", "operator"] | None = None
    finished: bool = False
    handed_over: bool = False
    asked_after_seq: int = 0
    seen_seq: int = 0
    chosen: list[str] = Field(default_factory=list, description="'step.answer' refs chosen so far")
    answers: list[StoredAnswer] = Field(default_factory=list)
    pending_lines: list[Line] = Field(default_factory=list)
    contact: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    field: Literal["email", "phone"]
    value: str
    step_id: str


@dataclass
class Outcome:
    progress: Progress
    says: list[BotContent] = field(default_factory=list)
    shown: Step | None = None
    wants_operator: bool = False
    collected: list[Collected] = field(default_factory=list)
    debounce: bool = False
    not_an_answer: bool = False
    entered: list[str] = field(default_factory=list)  # types of the steps run this turn, in order


class StepClosed(Exception):
    """A button answer for a step that is not the one waiting (answered already, or never asked)."""


def start(script: Script, *, seq: int) -> Outcome:
    """Run the script from its first step; ``seq`` is the last message before the bot spoke."""
    return _run(script, Progress(asked_after_seq=seq, seen_seq=seq), 0)


def waiting_step(script: Script, progress: Progress) -> Step | None:
    return script.step(progress.step_id) if progress.waiting_for == "answer" else None


def answer_text(script: Script, progress: Progress, text: str, *, seq: int, now: float) -> Outcome:
    """The visitor typed ``text`` (message ``seq``)."""
    progress = progress.model_copy(update={"seen_seq": max(progress.seen_seq, seq)})
    step = waiting_step(script, progress)
    if step is None:
        return Outcome(progress, not_an_answer=progress.waiting_for is None)
    if seq <= progress.asked_after_seq:
        return Outcome(progress)  # sent before the question was asked
    if step.type == "question_selection":
        answer = match_answer(text, step.answers)
        if answer is None:
            return Outcome(progress, not_an_answer=True)
        return _chosen(script, progress, step, answer, _stored(step, answer.label, "text", seq, now, answer.id))
    if step.type in CONTACT_FIELDS:
        return _contact(script, progress, step, text, seq, now)
    if step.type == "free_input_multi":
        lines = [*progress.pending_lines, Line(seq=seq, text=text)]
        return Outcome(progress.model_copy(update={"pending_lines": lines}), debounce=True)
    return _continue(script, _record(progress, _stored(step, text, "text", seq, now)), step)


def answer_choice(script: Script, progress: Progress, step_id: str, answer_id: str, *, now: float) -> Outcome:
    """The visitor clicked answer ``answer_id`` of step ``step_id``."""
    step = waiting_step(script, progress)
    if step is None or step.id != step_id or step.type != "question_selection":
        raise StepClosed(f"step {step_id!r} is not waiting for an answer")
    answer = step.answer(answer_id)
    if answer is None:
        raise StepClosed(f"step {step_id!r} has no answer {answer_id!r}")
    return _chosen(script, progress, step, answer, _stored(step, answer.label, "button", None, now, answer.id))


def flush_lines(script: Script, progress: Progress, *, now: float) -> Outcome:
    """The debounce window closed: the lines typed so far are the free_input_multi answer."""
    step = waiting_step(script, progress)
    if step is None or step.type != "free_input_multi" or not progress.pending_lines:
        return Outcome(progress)
    lines = sorted(progress.pending_lines, key=lambda line: line.seq)
    stored = _stored(step, "\n".join(line.text for line in lines), "lines", lines[-1].seq, now)
    return _continue(script, _record(progress.model_copy(update={"pending_lines": []}), stored), step)


def operator_result(script: Script, progress: Progress, *, status: OperatorStatus) -> Outcome:
    """chat_session answered the forward: a human has it, or will (queued while the team is at
    work), or nobody can answer now (unavailable) and the script goes on.

    A script's forward that was queued hands over quietly: the visitor is told the queue position,
    and the script's later steps (written for when nobody answers, like "we will write back within
    a day") would contradict it and the operator who accepts a moment later."""
    if progress.waiting_for != "operator":
        return Outcome(progress)
    step = script.step(progress.step_id)
    if status == "assigned" or (status == "queued" and step is not None):
        return Outcome(progress.model_copy(update={"waiting_for": None, "finished": True, "handed_over": True}))
    if step is None:
        return Outcome(_finished(progress))
    return _continue(script, progress.model_copy(update={"waiting_for": None}), step)


def _contact(script: Script, progress: Progress, step: Step, text: str, seq: int, now: float) -> Outcome:
    contact_field = CONTACT_FIELDS[step.type]
    value = valid_email(text) if contact_field == "email" else valid_phone(text)
    if value is None:
        fallback = INVALID_EMAIL if contact_field == "email" else INVALID_PHONE
        again = TextContent(kind="text", message_class="question", text=step.invalid_text or fallback)
        asked = progress.model_copy(update={"asked_after_seq": seq})
        return Outcome(asked, says=[again], shown=step)
    recorded = _record(progress, _stored(step, value, "text", seq, now))
    recorded = recorded.model_copy(update={"contact": {**recorded.contact, contact_field: value}})
    outcome = _continue(script, recorded, step)
    outcome.collected.append(Collected(contact_field, value, step.id))
    return outcome


def _chosen(script: Script, progress: Progress, step: Step, answer: Answer, stored: StoredAnswer) -> Outcome:
    progress = _record(progress, stored)
    progress = progress.model_copy(update={"chosen": [*progress.chosen, f"{step.id}.{answer.id}"]})
    if answer.then == "end":
        return Outcome(_finished(progress))
    if answer.then == "operator":
        return Outcome(progress.model_copy(update={"waiting_for": "operator"}), wants_operator=True)
    if answer.then == "jump" and answer.jump_to is not None:
        return _run(script, progress, script.index_of(answer.jump_to))
    return _continue(script, progress, step)


def _continue(script: Script, progress: Progress, step: Step) -> Outcome:
    """Go on after ``step``: to its jump target, or the step after it."""
    index = script.index_of(step.id)
    if step.jump_to is not None:
        return _run(script, progress, script.index_of(step.jump_to))
    return _run(script, progress, None if index is None else index + 1)


def _run(script: Script, progress: Progress, index: int | None) -> Outcome:
    says: list[BotContent] = []
    entered: list[str] = []
    for _ in range(MAX_STEPS_PER_TURN):
        if index is None or index >= len(script.steps):
            break
        step = script.steps[index]
        if not _triggered(step, progress.chosen):
            index += 1
            continue
        says.extend(_contents(step))
        entered.append(step.type)
        if step.waits_for_answer:
            asked = {
                "step_id": step.id,
                "waiting_for": "answer",
                "pending_lines": [],
                "asked_after_seq": progress.seen_seq,
            }
            return Outcome(progress.model_copy(update=asked), says=says, shown=step, entered=entered)
        if step.type == "forward_operator":
            forwarding = progress.model_copy(update={"step_id": step.id, "waiting_for": "operator"})
            return Outcome(forwarding, says=says, wants_operator=True, entered=entered)
        if step.type == "end":
            break
        index = script.index_of(step.jump_to) if step.jump_to is not None else index + 1
    return Outcome(_finished(progress), says=says, entered=entered)


def _triggered(step: Step, chosen: list[str]) -> bool:
    """Odoo's triggering answers: for each step named, one of the answers listed for it was chosen."""
    groups: dict[str, set[str]] = {}
    for ref in step.triggering_answers:
        groups.setdefault(ref.split(".", 1)[0], set()).add(ref)
    picked = set(chosen)
    return all(group & picked for group in groups.values())


def _contents(step: Step) -> list[BotContent]:
    contents: list[BotContent] = []
    if step.text:
        contents.append(TextContent(kind="text", message_class=step.bot_class, text=step.text))
    if step.content is not None:
        contents.append(step.content)
    if step.quick_replies is not None:
        action: Literal["show", "hide"] = "show" if step.quick_replies else "hide"
        contents.append(
            QuickRepliesContent(
                kind="quick_replies", message_class=step.bot_class, action=action, replies=step.quick_replies
            )
        )
    return contents


def _stored(step: Step, text: str, via: Via, seq: int | None, now: float, answer_id: str | None = None) -> StoredAnswer:
    return StoredAnswer(step_id=step.id, step_type=step.type, text=text, answer_id=answer_id, via=via, seq=seq, at=now)


def _record(progress: Progress, stored: StoredAnswer) -> Progress:
    answers = [*progress.answers, stored][-MAX_STORED_ANSWERS:]
    return progress.model_copy(update={"answers": answers, "waiting_for": None})


def _finished(progress: Progress) -> Progress:
    return progress.model_copy(update={"step_id": None, "waiting_for": None, "finished": True, "pending_lines": []})
