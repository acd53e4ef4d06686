"""docs/bots.md stays true: its command table is the agents contracts, its examples (bus type and
payload) validate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from parley.contracts import agents
from parley.contracts.base import REGISTRY
from parley.contracts.errors import ErrorCode

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docs" / "bots.md").read_text()
AGENT_COMMANDS = {type_: model for (type_, _), model in REGISTRY.items() if type_.startswith("agents.")}


def _examples() -> list[dict[str, Any]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", TEXT, flags=re.DOTALL)]


def _table_rows() -> list[list[str]]:
    section = TEXT.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return [
        [cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("| `")
    ]


def test_the_command_table_lists_exactly_the_agents_commands() -> None:
    documented = {row[0].strip("`") for row in _table_rows()}
    assert documented == set(AGENT_COMMANDS)


def test_every_refusal_in_the_table_is_an_error_code() -> None:
    for row in _table_rows():
        for code in re.findall(r"\d{4}", row[3]):
            ErrorCode(int(code))


def test_every_example_validates_against_its_contract() -> None:
    examples = _examples()
    assert len(examples) >= 8
    seen = set()
    for example in examples:
        model = REGISTRY[(example["type"], 1)]
        model.model_validate(example["payload"])
        seen.add(model.TYPE)
    assert set(AGENT_COMMANDS) <= seen, f"commands without an example: {set(AGENT_COMMANDS) - seen}"


def test_agent_member_ids_round_trip_and_never_pass_for_a_scripted_bot() -> None:
    assert agents.agent_bot_id(agents.agent_user_id("helpdesk")) == "helpdesk"
    assert agents.agent_bot_id("bot_helpdesk") is None
