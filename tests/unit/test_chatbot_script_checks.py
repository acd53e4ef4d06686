"""Script validation lists every problem: missing jumps, loops without a question, empty selections..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parley_chatbot_engine.load_script import example_script_files
from parley_chatbot_engine.script_checks import ScriptInvalid, parse_script
from parley_chatbot_engine.script_store import dump_script, load_file, parse_text


def script(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"id": "probe", "name": "Probe", "steps": list(steps)}


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ScriptInvalid) as raised:
        parse_script(document)
    return [(problem.path, problem.message) for problem in raised.value.problems]


def question(step_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"id": step_id, "type": "question_selection", "text": "Pick", "answers": list(answers)}


def test_example_scripts_are_valid_and_round_trip_through_yaml_and_json() -> None:
    files = example_script_files()
    assert {path.stem for path in files} == {"support_triage", "lead_qualification"}
    for path in files:
        loaded = load_file(path)
        for fmt in ("yaml", "json"):
            assert parse_text(dump_script(loaded, fmt), fmt) == loaded


def test_jump_to_a_missing_step_is_named() -> None:
    found = problems(
        script(
            {"id": "a", "type": "text", "text": "x", "jump_to": "nowhere"},
            question("q", {"id": "y", "label": "Yes", "then": "jump", "jump_to": "gone"}),
        )
    )
    assert ("steps.0.jump_to", "jumps to a missing step 'nowhere'") in found
    assert ("steps.1.answers.0.jump_to", "jumps to a missing step 'gone'") in found


def test_loop_without_a_question_is_rejected_but_a_loop_through_a_question_is_fine() -> None:
    found = problems(
        script(
            {"id": "a", "type": "text", "text": "x"},
            {"id": "b", "type": "text", "text": "y", "jump_to": "a"},
            {"id": "c", "type": "end"},
        )
    )
    assert len(found) == 1 and "a -> b -> a" in found[0][1]
    parse_script(
        script(
            {"id": "a", "type": "text", "text": "x"},
            {"id": "q", "type": "free_input_single", "text": "Say"},
            {"id": "b", "type": "text", "text": "y", "jump_to": "a"},
        )
    )


def test_self_loop_and_conditional_skip_paths_are_followed() -> None:
    found = problems(
        script(
            question("q", {"id": "y", "label": "Yes"}),
            {"id": "a", "type": "text", "text": "x", "jump_to": "end", "triggering_answers": ["q.y"]},
            {"id": "b", "type": "text", "text": "y", "jump_to": "b"},
            {"id": "end", "type": "end"},
        )
    )
    assert found == [("steps.2", "these steps loop without a question, so the bot would never stop: b -> b")]


def test_empty_selection_and_misplaced_answers() -> None:
    found = problems(
        script(question("q"), {"id": "t", "type": "text", "text": "x", "answers": [{"id": "a", "label": "A"}]})
    )
    assert ("steps.0.answers", "a question_selection step needs at least one answer") in found
    assert ("steps.1.answers", "only question_selection steps have answers, not text") in found


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        script(
            {"id": "a", "type": "text"},
            {"id": "a", "type": "question_email"},
            question("q", {"id": "x", "label": "X", "then": "jump"}, {"id": "x", "label": "X2", "jump_to": "a"}),
            {"id": "t", "type": "text", "text": "x", "triggering_answers": ["q.nope", "later.x", "ghost.y"]},
            {"id": "later", "type": "end"},
        )
    )
    paths = [path for path, _ in found]
    assert paths == [
        "steps.1.id",
        "steps.0",
        "steps.1.text",
        "steps.2.answers.0.jump_to",
        "steps.2.answers.1.id",
        "steps.2.answers.1.jump_to",
        "steps.3.triggering_answers.0",
        "steps.3.triggering_answers.1",
        "steps.3.triggering_answers.2",
    ]


def test_shape_errors_come_from_pydantic_with_their_path() -> None:
    found = problems({"id": "Bad Id!", "name": "", "steps": [{"id": "a", "type": "dance"}]})
    paths = {path for path, _ in found}
    assert {"id", "name", "steps.0.type"} <= paths


def test_a_script_needs_steps_and_broken_yaml_is_reported() -> None:
    assert problems(script()) == [("steps", "a script needs at least one step")]
    with pytest.raises(ScriptInvalid) as raised:
        parse_text("id: [unclosed", "yaml")
    assert raised.value.problems[0].message.startswith("not valid YAML")


def test_load_file_reads_json_too(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text('{"id": "tiny", "name": "Tiny", "steps": [{"id": "a", "type": "text", "text": "hi"}]}')
    assert load_file(path).steps[0].text == "hi"
