"""Commands say what they are answered with (``Command[Result]``): every registered one names a
model or None, and a handler annotated to answer anything else is refused when it is registered."""

from __future__ import annotations

import pytest

from parley.bus import Bus
from parley.contracts.base import REGISTRY, Command, Envelope, Model
from parley.contracts.commands import GetHistory, History, LookupNodes, MarkSeen, NodesOfUsers
from parley.settings import ServiceSettings


def test_every_command_names_its_result() -> None:
    commands = [model for model in REGISTRY.values() if issubclass(model, Command)]
    assert len(commands) >= 17
    for command in commands:
        result = command.result_model()
        assert result is None or issubclass(result, Model), command


def test_history_is_answered_with_a_history_and_mark_seen_with_nothing() -> None:
    assert GetHistory.result_model() is History
    assert MarkSeen.result_model() is None


def test_a_handler_annotated_with_another_answer_is_refused_at_registration() -> None:
    bus = Bus(ServiceSettings(), "presence")

    async def wrong(command: LookupNodes, _envelope: Envelope) -> History:
        raise NotImplementedError

    async def nothing(command: LookupNodes, _envelope: Envelope) -> None:
        raise NotImplementedError

    async def right(command: LookupNodes, _envelope: Envelope) -> NodesOfUsers:
        raise NotImplementedError

    for handler in (wrong, nothing):
        with pytest.raises(TypeError, match="must be annotated to return NodesOfUsers"):
            bus.on_command(LookupNodes, handler)
    bus.on_command(LookupNodes, right)
