"""Checking a chatbot script before it is stored: every problem, each with where it is.

:func:`parse_script` turns a document (from JSON, YAML or the admin API) into a :class:`Script`
or raises :class:`ScriptInvalid` listing the shape errors pydantic found, or else every problem
:func:`script_problems` found: duplicate or missing step ids, jumps to missing steps, empty
selections, triggering answers that do not exist or come later, and loops that would run
forever because no step in them waits for the visitor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from parley.contracts.base import Model
from parley_chatbot_engine.script import Script, Step


class Problem(Model):
    path: str
    message: str


@dataclass
class ScriptInvalid(Exception):
    problems: list[Problem]

    def __str__(self) -> str:
        return "; ".join(f"{problem.path}: {problem.message}" for problem in self.problems)


def parse_script(document: Any) -> Script:
    """A valid script from a parsed document, or ScriptInvalid with every problem."""
    try:
        script = Script.model_validate(document)
    except ValidationError as error:
        problems = [
            Problem(path=".".join(str(part) for part in item["loc"]) or "script", message=item["msg"])
            for item in error.errors()
        ]
        raise ScriptInvalid(problems) from None
    problems = script_problems(script)
    if problems:
        raise ScriptInvalid(problems)
    return script


def script_problems(script: Script) -> list[Problem]:
    """Every problem pydantic cannot see; empty when the script can run."""
    if not script.steps:
        return [Problem(path="steps", message="a script needs at least one step")]
    problems = list(_id_problems(script))
    for index, step in enumerate(script.steps):
        problems.extend(_step_problems(script, index, step))
    problems.extend(_loop_problems(script))
    return problems


def _id_problems(script: Script) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, step in enumerate(script.steps):
        if step.id in seen:
            yield Problem(path=f"steps.{index}.id", message=f"step id {step.id!r} is used twice")
        seen.add(step.id)


def _step_problems(script: Script, index: int, step: Step) -> Iterator[Problem]:
    path = f"steps.{index}"
    if step.jump_to is not None and script.index_of(step.jump_to) is None:
        yield Problem(path=f"{path}.jump_to", message=f"jumps to a missing step {step.jump_to!r}")
    if step.type == "text" and not step.text and step.content is None:
        yield Problem(path=path, message="a text step needs text or content")
    if step.waits_for_answer and not step.text:
        yield Problem(path=f"{path}.text", message=f"a {step.type} step needs the question's text")
    if step.type == "question_selection":
        if not step.answers:
            yield Problem(path=f"{path}.answers", message="a question_selection step needs at least one answer")
        yield from _answer_problems(script, path, step)
    elif step.answers:
        yield Problem(path=f"{path}.answers", message=f"only question_selection steps have answers, not {step.type}")
    yield from _trigger_problems(script, index, step)


def _answer_problems(script: Script, path: str, step: Step) -> Iterator[Problem]:
    seen: set[str] = set()
    for number, answer in enumerate(step.answers):
        where = f"{path}.answers.{number}"
        if answer.id in seen:
            yield Problem(path=f"{where}.id", message=f"answer id {answer.id!r} is used twice in this step")
        seen.add(answer.id)
        if answer.then == "jump" and answer.jump_to is None:
            yield Problem(path=f"{where}.jump_to", message="then: jump needs jump_to")
        if answer.then != "jump" and answer.jump_to is not None:
            yield Problem(path=f"{where}.jump_to", message=f"jump_to is only used with then: jump, not {answer.then}")
        if answer.jump_to is not None and script.index_of(answer.jump_to) is None:
            yield Problem(path=f"{where}.jump_to", message=f"jumps to a missing step {answer.jump_to!r}")


def _trigger_problems(script: Script, index: int, step: Step) -> Iterator[Problem]:
    for number, ref in enumerate(step.triggering_answers):
        where = f"steps.{index}.triggering_answers.{number}"
        step_id, answer_id = ref.split(".", 1)
        earlier = script.index_of(step_id)
        if earlier is None:
            yield Problem(path=where, message=f"{ref!r} names a missing step {step_id!r}")
        elif earlier >= index:
            yield Problem(path=where, message=f"{ref!r} names step {step_id!r}, which does not come earlier")
        elif script.steps[earlier].answer(answer_id) is None:
            yield Problem(path=where, message=f"step {step_id!r} has no answer {answer_id!r}")


def _successors(script: Script, index: int) -> list[int]:
    """Where the script can go from a step that does not wait for the visitor."""
    step = script.steps[index]
    if step.type == "end":
        return []
    following = [index + 1] if index + 1 < len(script.steps) else []
    if step.jump_to is not None:
        target = script.index_of(step.jump_to)
        # A conditional step that is skipped goes on to the next step, whatever its jump says.
        jumped = [target] if target is not None else []
        return jumped + following if step.triggering_answers else jumped
    return following


def _loop_problems(script: Script) -> Iterator[Problem]:
    """Loops made only of steps that never wait for the visitor would post forever."""
    done: set[int] = set()
    for start in range(len(script.steps)):
        if start in done or script.steps[start].waits_for_answer:
            continue
        cycle = _find_cycle(script, start, done)
        if cycle is not None:
            done.update(cycle)  # one report per loop, not one per step in it
            names = " -> ".join(script.steps[i].id for i in [*cycle, cycle[0]])
            yield Problem(
                path=f"steps.{cycle[0]}",
                message=f"these steps loop without a question, so the bot would never stop: {names}",
            )


def _find_cycle(script: Script, start: int, done: set[int]) -> list[int] | None:
    """Depth-first search over non-waiting steps; the first cycle reachable from ``start``."""
    path: list[int] = []
    on_path: set[int] = set()
    stack: list[tuple[int, Iterator[int]]] = [(start, iter(_successors(script, start)))]
    path.append(start)
    on_path.add(start)
    while stack:
        node, successors = stack[-1]
        following = next(successors, None)
        if following is None:
            stack.pop()
            path.pop()
            on_path.discard(node)
            done.add(node)
            continue
        if following in on_path:
            return path[path.index(following) :]
        if following in done or script.steps[following].waits_for_answer:
            continue
        stack.append((following, iter(_successors(script, following))))
        path.append(following)
        on_path.add(following)
    return None
