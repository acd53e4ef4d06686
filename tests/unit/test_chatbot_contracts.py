"""Rich bot message kinds: docs/protocol.md's examples validate, round-trip intact, bad ones are refused."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from parley.contracts.base import Envelope
from parley.contracts.bot import BotContent, bot_user_id, script_id_of
from parley.contracts.commands import Caller, SendMessage
from parley.contracts.frames import CLIENT_FRAME, SERVER_FRAME_DATA

ROOT = Path(__file__).resolve().parents[2]
CONTENT: TypeAdapter[Any] = TypeAdapter(BotContent)
KINDS = {model.model_fields["kind"].annotation.__args__[0] for model in typing.get_args(typing.get_args(BotContent)[0])}


def _bot_section_examples() -> list[dict[str, Any]]:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = next(part for part in re.split(r"^## ", text, flags=re.MULTILINE) if part.startswith("Bot messages"))
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)]


def test_every_kind_is_documented_with_an_example_that_validates_and_round_trips() -> None:
    examples = _bot_section_examples()
    frames = [example for example in examples if "type" in example]
    bodies = [example for example in examples if "type" not in example]
    assert (
        {body["kind"] for body in bodies}
        == KINDS
        == {
            "text",
            "article",
            "image",
            "video",
            "file",
            "cards",
            "menu",
            "quick_replies",
            "suggestions",
            "expression",
            "mood",
            "attitude",
            "list",
            "site_info",
            "rich_text",
            "related",
            "everyone_asking",
        }
    )
    for body in bodies:
        parsed = CONTENT.validate_python(body)
        dumped = CONTENT.dump_python(parsed, mode="json")
        assert {key: value for key, value in dumped.items() if key in body} == body
    for frame in frames:
        data = SERVER_FRAME_DATA[frame["type"]].model_validate(frame["data"])
        assert data.model_dump(mode="json")["message"]["body"] == frame["data"]["message"]["body"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "text", "text": "no class"},
        {"kind": "text", "class": "shouting", "text": "bad class"},
        {"kind": "hologram", "class": "answer"},
        {"kind": "article", "class": "answer", "title": "T", "url": "javascript:alert(1)"},
        {"kind": "quick_replies", "class": "answer", "action": "show", "replies": []},
        {"kind": "quick_replies", "class": "answer", "action": "hide", "replies": ["x"]},
        {"kind": "cards", "class": "answer", "cards": []},
        {"kind": "menu", "class": "question", "options": [{"label": "x", "reply": "y"}] * 11},
        {"kind": "text", "class": "answer", "text": "x", "colour": "red"},
    ],
)
def test_invalid_bodies_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CONTENT.validate_python(body)


def test_bot_content_travels_in_send_message_and_keeps_class_on_the_wire() -> None:
    command = SendMessage(
        caller=Caller(user_id=bot_user_id("shop"), role="bot", name="Sam"),
        conversation_id="c_1",
        client_msg_id="abc.m1.0",
        kind="bot",
        body={"kind": "mood", "class": "answer", "mood": "cheerful"},
    )
    envelope = Envelope.wrap(command, source="test")
    assert envelope.payload["body"] == {"kind": "mood", "class": "answer", "mood": "cheerful", "text": ""}
    opened = Envelope.model_validate_json(envelope.model_dump_json()).open()
    assert opened == command and opened.body.message_class == "answer"


def test_visitors_cannot_send_bot_content() -> None:
    frame = {
        "type": "message.send",
        "data": {
            "conversation_id": "c1",
            "client_msg_id": "m1",
            "kind": "bot",
            "body": {"kind": "text", "class": "answer", "text": "x"},
        },
    }
    with pytest.raises(ValidationError):
        CLIENT_FRAME.validate_python(frame)


def test_bot_user_ids_name_their_script() -> None:
    assert bot_user_id("support_triage") == "bot_support_triage"
    assert script_id_of("bot_support_triage") == "support_triage"
    assert script_id_of("v_2c26b4") is None
