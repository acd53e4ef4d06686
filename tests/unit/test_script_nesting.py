"""A script file nested deeper than the parsers' recursion is refused as an invalid script (422
with the problem), not an internal error (found by tests/security/test_http_fuzz.py)."""

from __future__ import annotations

import pytest

from parley_chatbot_engine.script_checks import ScriptInvalid
from parley_chatbot_engine.script_store import FileFormat, parse_text

pytestmark = pytest.mark.unit
# More levels than Python's default recursion limit (1000), as a 64 KiB body can hold.
DEPTH = 10_000


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_deeply_nested_script_is_invalid(fmt: FileFormat) -> None:
    with pytest.raises(ScriptInvalid, match="nested too deeply"):
        parse_text('{"a": ' * DEPTH + "1" + "}" * DEPTH, fmt)
