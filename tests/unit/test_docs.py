"""The docs stay true: README lists every setting, protocol.md's examples validate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from parley.contracts.frames import CLIENT_FRAME, SERVER_FRAME_DATA
from parley.settings import ServiceSettings
from parley_auth.settings import AuthSettings
from parley_chat_session.settings import ChatSessionSettings
from parley_chatbot_engine.settings import ChatbotEngineSettings
from parley_gateway.settings import GatewaySettings
from parley_notification.settings import NotificationSettings
from parley_presence.settings import PresenceSettings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (
    ServiceSettings,
    AuthSettings,
    ChatSessionSettings,
    ChatbotEngineSettings,
    GatewaySettings,
    NotificationSettings,
    PresenceSettings,
)


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"PARLEY_{name.upper()}"
        for settings in SETTINGS
        for name in settings.model_fields
        if f"`PARLEY_{name.upper()}`" not in readme
    ]
    assert not missing, f"README.md's configuration table lacks {missing}"


def _examples(direction: str) -> list[dict]:
    """The JSON examples under the '## Client → server' or '## Server → client' heading."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = re.split(r"^## ", text, flags=re.M)
    body = next(part for part in section if part.startswith(direction))
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", body, flags=re.S)]


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
