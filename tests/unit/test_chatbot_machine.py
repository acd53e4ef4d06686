"""The step machine: each step type, branching, triggering answers, validation re-asks, debounce."""

from __future__ import annotations

import pytest

from parley_chatbot_engine import machine
from parley_chatbot_engine.machine import Outcome, StepClosed
from parley_chatbot_engine.script import Script

SCRIPT = Script.model_validate(
    {
        "id": "triage",
        "name": "Triage",
        "steps": [
            {"id": "hello", "type": "text", "text": "Hi!", "class": "greeting"},
            {
                "id": "topic",
                "type": "question_selection",
                "text": "What about?",
                "quick_replies": ["Billing", "Bug"],
                "answers": [
                    {"id": "billing", "label": "Billing", "aliases": ["invoice"]},
                    {"id": "bug", "label": "Bug", "then": "jump", "jump_to": "describe"},
                    {"id": "human", "label": "A person", "then": "operator"},
                    {"id": "bye", "label": "Nothing", "then": "end"},
                ],
            },
            {
                "id": "billing_info",
                "type": "text",
                "text": "Invoices are under Billing.",
                "triggering_answers": ["topic.billing"],
            },
            {"id": "email", "type": "question_email", "text": "Your email?"},
            {"id": "phone", "type": "question_phone", "text": "Your phone?", "triggering_answers": ["topic.billing"]},
            {"id": "describe", "type": "free_input_multi", "text": "Describe it.", "class": "imperative"},
            {"id": "order", "type": "free_input_single", "text": "Order number?"},
            {"id": "forward", "type": "forward_operator", "text": "Finding someone."},
            {"id": "sorry", "type": "text", "text": "Nobody is free."},
            {"id": "end", "type": "end", "text": "Bye!"},
        ],
    }
)


def texts(outcome: Outcome) -> list[str]:
    return [getattr(content, "text", content.kind) for content in outcome.says]


def started() -> Outcome:
    return machine.start(SCRIPT, seq=1)


def test_start_runs_text_steps_until_the_first_question() -> None:
    outcome = started()
    assert texts(outcome) == ["Hi!", "What about?", "quick_replies"]
    assert [content.message_class for content in outcome.says] == ["greeting", "question", "question"]
    assert outcome.shown is not None and outcome.shown.id == "topic"
    assert outcome.progress.step_id == "topic" and outcome.progress.waiting_for == "answer"
    assert outcome.progress.asked_after_seq == 1


def test_the_message_that_came_before_the_question_does_not_answer_it() -> None:
    outcome = machine.answer_text(SCRIPT, started().progress, "Billing", seq=1, now=5)
    assert outcome.says == [] and not outcome.not_an_answer and outcome.progress.step_id == "topic"


def test_typed_answer_continues_and_triggering_answers_show_conditional_steps() -> None:
    outcome = machine.answer_text(SCRIPT, started().progress, "about an invoice", seq=3, now=5)
    assert texts(outcome) == ["Invoices are under Billing.", "Your email?"]
    assert outcome.progress.chosen == ["topic.billing"]
    stored = outcome.progress.answers[-1]
    assert (stored.step_id, stored.answer_id, stored.via, stored.seq) == ("topic", "billing", "text", 3)


def test_button_answer_jumps_and_skips_steps_whose_trigger_was_not_chosen() -> None:
    outcome = machine.answer_choice(SCRIPT, started().progress, "topic", "bug", now=5)
    assert texts(outcome) == ["Describe it."]
    assert outcome.says[0].message_class == "imperative"
    assert outcome.progress.answers[-1].via == "button"


def test_answer_that_ends_the_script() -> None:
    outcome = machine.answer_choice(SCRIPT, started().progress, "topic", "bye", now=5)
    assert outcome.progress.finished and outcome.progress.waiting_for is None and outcome.says == []


def test_answer_that_forwards_to_an_operator_then_continues_when_nobody_is_free() -> None:
    outcome = machine.answer_choice(SCRIPT, started().progress, "topic", "human", now=5)
    assert outcome.wants_operator and outcome.progress.waiting_for == "operator"
    after = machine.operator_result(SCRIPT, outcome.progress, status="unavailable")
    # The selection step's next step: billing_info is skipped (billing was not chosen).
    assert texts(after) == ["Your email?"]


def test_forward_operator_step_hands_over_when_assigned() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "bug", now=5).progress
    progress = machine.answer_text(SCRIPT, progress, "it crashed", seq=4, now=6).progress
    progress = machine.flush_lines(SCRIPT, progress, now=9).progress
    forwarding = machine.answer_text(SCRIPT, progress, "A-1001", seq=6, now=10)
    assert texts(forwarding) == ["Finding someone."] and forwarding.wants_operator
    handed = machine.operator_result(SCRIPT, forwarding.progress, status="assigned")
    assert handed.progress.handed_over and handed.progress.finished and handed.says == []
    alone = machine.operator_result(SCRIPT, forwarding.progress, status="unavailable")
    assert texts(alone) == ["Nobody is free.", "Bye!"] and alone.progress.finished


def test_a_queued_forward_waits_for_the_operator_quietly() -> None:
    """Item 3 of issue 22: the team is at work, the visitor is told the queue position; the steps
    written for when nobody answers ("Nobody is free.", "Bye!") would contradict it."""
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "bug", now=5).progress
    progress = machine.answer_text(SCRIPT, progress, "it crashed", seq=4, now=6).progress
    progress = machine.flush_lines(SCRIPT, progress, now=9).progress
    forwarding = machine.answer_text(SCRIPT, progress, "A-1001", seq=6, now=10)
    queued = machine.operator_result(SCRIPT, forwarding.progress, status="queued")
    assert queued.says == [] and queued.progress.handed_over and queued.progress.finished


def test_a_click_on_a_step_that_is_not_waiting_is_refused() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "billing", now=5).progress
    with pytest.raises(StepClosed):
        machine.answer_choice(SCRIPT, progress, "topic", "billing", now=6)
    with pytest.raises(StepClosed):
        machine.answer_choice(SCRIPT, started().progress, "topic", "nope", now=6)


def test_unmatched_text_is_not_an_answer() -> None:
    outcome = machine.answer_text(SCRIPT, started().progress, "what are your opening hours", seq=3, now=5)
    assert outcome.not_an_answer and outcome.progress.step_id == "topic"


def test_invalid_email_is_asked_again_and_a_valid_one_is_stored() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "billing", now=5).progress
    again = machine.answer_text(SCRIPT, progress, "not an email", seq=4, now=6)
    assert "email address" in texts(again)[0] and again.shown is not None and again.shown.id == "email"
    assert again.progress.step_id == "email" and again.collected == []
    stored = machine.answer_text(SCRIPT, again.progress, " Ada@Example.COM ", seq=6, now=7)
    assert stored.progress.contact == {"email": "Ada@example.com"}
    assert [(c.field, c.value, c.step_id) for c in stored.collected] == [("email", "Ada@example.com", "email")]
    assert texts(stored) == ["Your phone?"]


def test_invalid_phone_is_asked_again_and_a_valid_one_is_stored() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "billing", now=5).progress
    progress = machine.answer_text(SCRIPT, progress, "ada@example.com", seq=4, now=6).progress
    again = machine.answer_text(SCRIPT, progress, "call me maybe", seq=6, now=7)
    assert "phone number" in texts(again)[0] and again.progress.step_id == "phone"
    stored = machine.answer_text(SCRIPT, again.progress, "+33 6 12 34 56 78", seq=8, now=8)
    assert stored.progress.contact["phone"] == "+33612345678"


def test_free_input_multi_keeps_lines_until_the_debounce_flush() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "bug", now=5).progress
    first = machine.answer_text(SCRIPT, progress, "it crashed", seq=5, now=6)
    second = machine.answer_text(SCRIPT, first.progress, "after the update", seq=4 + 3, now=7)
    assert first.debounce and second.debounce and second.says == []
    done = machine.flush_lines(SCRIPT, second.progress, now=10)
    assert done.progress.answers[-1].text == "it crashed\nafter the update"
    assert texts(done) == ["Order number?"]


def test_free_input_single_takes_any_text() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "bug", now=5).progress
    progress = machine.answer_text(SCRIPT, progress, "x", seq=5, now=6).progress
    progress = machine.flush_lines(SCRIPT, progress, now=9).progress
    outcome = machine.answer_text(SCRIPT, progress, "A-1001", seq=7, now=10)
    assert outcome.progress.answers[-1].text == "A-1001" and outcome.wants_operator


def test_flush_without_lines_changes_nothing() -> None:
    outcome = machine.flush_lines(SCRIPT, started().progress, now=5)
    assert outcome.says == [] and outcome.progress == started().progress


def test_a_finished_script_passes_text_on_to_the_faq() -> None:
    progress = machine.answer_choice(SCRIPT, started().progress, "topic", "bye", now=5).progress
    assert machine.answer_text(SCRIPT, progress, "hours?", seq=9, now=6).not_an_answer


def test_a_step_removed_from_the_script_finishes_the_conversation_quietly() -> None:
    progress = started().progress.model_copy(update={"step_id": "gone", "waiting_for": "operator"})
    assert machine.operator_result(SCRIPT, progress, status="unavailable").progress.finished


def test_outcome_lists_the_step_types_it_ran_for_the_steps_metric() -> None:
    assert started().entered == ["text", "question_selection"]
    outcome = machine.answer_text(SCRIPT, started().progress, "about an invoice", seq=3, now=5)
    assert outcome.entered == ["text", "question_email"]  # billing_info, then email waits
    assert machine.answer_text(SCRIPT, started().progress, "Billing", seq=1, now=5).entered == []
