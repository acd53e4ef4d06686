"""The bench's report plumbing: /metrics differences per message, and the doc's figures refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import servicemetrics
from bench.markdown import into

BEFORE = """
# TYPE parley_bus_handler_duration_seconds histogram
parley_bus_handler_duration_seconds_count{queue="chat_session.commands"} 10.0
parley_bus_handler_duration_seconds_sum{queue="chat_session.commands"} 0.5
# TYPE parley_mongodb_command_duration_seconds histogram
parley_mongodb_command_duration_seconds_count{command="insert"} 4.0
parley_mongodb_command_duration_seconds_sum{command="insert"} 0.04
# TYPE parley_ready gauge
parley_ready 1.0
"""
AFTER = (
    BEFORE.replace("} 10.0", "} 110.0")
    .replace("} 0.5", "} 2.5")
    .replace("} 4.0", "} 204.0")
    .replace("} 0.04", "} 1.04")
)


def test_per_message_gives_calls_per_message_and_mean_time_of_each_handler_and_command() -> None:
    before = {"chat_session": servicemetrics.parse(BEFORE)}
    after = {"chat_session": servicemetrics.parse(AFTER), "auth": {}}
    assert servicemetrics.per_message(before, after, messages=100) == {
        "chat_session": {
            "handler chat_session.commands": {"per_message": 1.0, "mean_ms": 20.0},
            "mongodb insert": {"per_message": 2.0, "mean_ms": 5.0},
        }
    }


def test_into_replaces_only_the_text_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\n\nkept\n\n<!-- bench:figures:start -->\nold figures\n<!-- bench:figures:end -->\n\ntail\n")
    into(doc, "figures", "| new | table |")
    assert doc.read_text() == (
        "# Perf\n\nkept\n\n<!-- bench:figures:start -->\n\n| new | table |\n\n<!-- bench:figures:end -->\n\ntail\n"
    )
    with pytest.raises(SystemExit):
        into(doc, "missing", "x")
