"""The docs stay true: README lists every setting, protocol.md's examples validate and its code
tables are the enums, docs/bus.md is what the code does."""

from __future__ import annotations

import json
import re
from enum import IntEnum
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from parley.contracts.errors import CloseCode, ErrorCode
from parley.contracts.frames import CLIENT_FRAME, SERVER_FRAME_DATA
from parley_fleet import bus_map
from tools import js_protocol, settings_doc

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_is_generated_from_the_settings_models() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme == settings_doc.rendered(readme), (
        "README.md's settings table is stale: run python -m tools.settings_doc"
    )


def test_the_settings_table_lists_every_setting_of_every_service() -> None:
    listed = set(re.findall(r"^\| `(PARLEY_\w+)` \| (\w+) \|", settings_doc.table(), flags=re.MULTILINE))
    missing = [
        (f"PARLEY_{name.upper()}", service)
        for service, settings in settings_doc.SETTINGS
        for name in settings.model_fields
        if (f"PARLEY_{name.upper()}", service) not in listed and (f"PARLEY_{name.upper()}", "all") not in listed
    ]
    assert not missing, f"settings missing from the table: {missing}"


def _examples(direction: str) -> list[dict]:
    """The JSON examples under the '## Client → server' or '## Server → client' heading."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = re.split(r"^## ", text, flags=re.MULTILINE)
    body = next(part for part in section if part.startswith(direction))
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", body, flags=re.DOTALL)]


def test_every_client_frame_example_validates() -> None:
    examples = _examples("Client → server")
    assert len(examples) >= 4
    for example in examples:
        CLIENT_FRAME.validate_python(example)


def test_every_server_frame_type_has_a_valid_example() -> None:
    examples = _examples("Server → client")
    documented = set()
    for example in examples:
        model = SERVER_FRAME_DATA[example["type"]]
        TypeAdapter(model).validate_python(example["data"])
        documented.add(example["type"])
    assert documented == set(SERVER_FRAME_DATA), f"undocumented: {set(SERVER_FRAME_DATA) - documented}"


def _codes_of_section(title: str) -> list[int]:
    """The first column of the table under ``## title`` in docs/protocol.md."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [int(match) for match in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]


@pytest.mark.parametrize(("title", "enum"), [("Error codes", ErrorCode), ("Close codes", CloseCode)])
def test_protocol_code_tables_list_exactly_the_codes_the_server_uses(title: str, enum: type[IntEnum]) -> None:
    documented = _codes_of_section(title)
    assert len(documented) == len(set(documented)), f"{title}: a code is listed twice"
    assert sorted(documented) == sorted(code.value for code in enum), (
        f"{title} in docs/protocol.md and {enum.__name__} differ"
    )


def test_bus_map_is_generated_from_the_code() -> None:
    assert (ROOT / "docs" / "bus.md").read_text() == bus_map.render(), (
        "docs/bus.md is stale: run .venv/bin/python -m parley_fleet.bus_map --write"
    )


def test_the_browser_codes_protocol_constants_are_generated_from_the_contracts() -> None:
    assert js_protocol.TARGET.read_text() == js_protocol.rendered(), (
        "frontend/src/protocol.js is stale: run python -m tools.js_protocol"
    )
