"""Scripts the store could not hold are refused as invalid scripts (422 with the problem), not an
internal error: nested deeper than the parsers recurse, or a number past MongoDB's 8-byte integers
(found by tests/security/test_http_fuzz.py and a look at the contracts it points at)."""

from __future__ import annotations

import json

import pytest

from parley_chatbot_engine.script_checks import ScriptInvalid
from parley_chatbot_engine.script_store import FileFormat, parse_text

# More levels than Python's default recursion limit (1000), as a 64 KiB body can hold.
DEPTH = 10_000


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_deeply_nested_script_is_invalid(fmt: FileFormat) -> None:
    with pytest.raises(ScriptInvalid, match="nested too deeply"):
        parse_text('{"a": ' * DEPTH + "1" + "}" * DEPTH, fmt)


def test_a_file_size_past_what_the_store_holds_is_invalid() -> None:
    """MongoDB stores at most 8-byte integers: a larger size was accepted, then failed to store."""
    step = {
        "id": "a",
        "type": "text",
        "class": "greeting",
        "text": "hi",
        "content": {
            "class": "answer",
            "kind": "file",
            "url": "https://example.com/f.pdf",
            "name": "f",
            "size_bytes": 2**63,
        },
    }
    with pytest.raises(ScriptInvalid, match="size_bytes"):
        parse_text(json.dumps({"id": "s1", "name": "S", "steps": [step]}), "json")
