from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from parley.bus.topology import UNQUALIFIED, event_binding
from parley.contracts import REGISTRY, Envelope, UnknownContract
from parley.contracts.commands import Caller, SendMessage
from parley.contracts.events import ClientFrameEvent, PresenceChanged
from parley.contracts.frames import (
    CLIENT_FRAME,
    SERVER_FRAME,
    ErrorData,
    ErrorFrame,
    MessageSendFrame,
    NoticeFrame,
    OkFrame,
    encode,
)
from parley.contracts.integrations import MESSAGES_STREAM, OutboundEvent
from parley.contracts.messages import MAX_TEXT_LENGTH


def test_envelope_round_trip_opens_the_registered_model() -> None:
    event = PresenceChanged(user_id="u1", status="online")
    envelope = Envelope.wrap(event, source="presence/n1", trace_id="t1")
    parsed = Envelope.model_validate_json(envelope.model_dump_json())
    assert (parsed.type, parsed.v, parsed.trace_id) == ("presence.changed", 1, "t1")
    assert parsed.open() == event


def test_unknown_type_or_version_is_refused() -> None:
    envelope = Envelope(type="presence.changed", v=99, source="x", payload={})
    with pytest.raises(UnknownContract):
        envelope.open()


def test_undeclared_payload_field_is_a_schema_error() -> None:
    envelope = Envelope(type="presence.changed", source="x", payload={"user_id": "u", "status": "online", "extra": 1})
    with pytest.raises(ValidationError):
        envelope.open()


def test_every_contract_is_registered_once_under_its_type() -> None:
    assert all(key[0] == model.TYPE and key[1] == model.VERSION for key, model in REGISTRY.items())
    assert ("chat_session.send_message", 1) in REGISTRY and ("message.created", 1) in REGISTRY


def test_client_frame_union_picks_the_model_by_type() -> None:
    frame = CLIENT_FRAME.validate_json(
        b'{"type":"message.send","id":"7","data":{"conversation_id":"c1","client_msg_id":"m1","body":"hi"}}'
    )
    assert isinstance(frame, MessageSendFrame) and frame.data.kind == "text"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"type":"nope","data":{}}',
        b'{"type":"message.send","data":{"conversation_id":"c1","client_msg_id":"m1"}}',
        b'{"type":"message.send","data":{"conversation_id":"c1","client_msg_id":"m 1","body":"x"}}',
        b'{"type":"ping","data":{},"extra":true}',
    ],
)
def test_malformed_client_frames_are_refused(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        CLIENT_FRAME.validate_json(raw)


def test_text_longer_than_the_limit_is_refused() -> None:
    caller = Caller(user_id="u", role="visitor")
    SendMessage(caller=caller, conversation_id="c", client_msg_id="m", kind="text", body="x" * MAX_TEXT_LENGTH)
    with pytest.raises(ValidationError):
        SendMessage(
            caller=caller, conversation_id="c", client_msg_id="m", kind="text", body="x" * (MAX_TEXT_LENGTH + 1)
        )


def test_server_frame_echoes_the_request_id_and_refuses_undeclared_types() -> None:
    assert orjson.loads(encode(ErrorFrame(data=ErrorData(code=9001, message="bad"), id="f1"))) == {
        "type": "error",
        "data": {"code": 9001, "message": "bad"},
        "id": "f1",
    }
    assert orjson.loads(encode(OkFrame())) == {"type": "ok", "data": {}}  # no id: it answers no frame
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        SERVER_FRAME.validate_python({"type": "made.up", "data": {}})
    with pytest.raises(ValidationError):  # a declared type with another type's data
        SERVER_FRAME.validate_python({"type": "notice", "data": {"code": 9001, "message": "bad"}})


def test_a_client_frame_event_carries_a_typed_server_frame() -> None:
    """What notification is asked to deliver is validated where the event is read: an undeclared
    frame is a poison message, never written to a socket."""
    notice = {"type": "notice", "data": {"level": "info", "code": None, "text": "hello"}}
    event = ClientFrameEvent.model_validate({"user_ids": ["u1"], "frame": notice})
    assert isinstance(event.frame, NoticeFrame) and orjson.loads(encode(event.frame)) == notice
    with pytest.raises(ValidationError):
        ClientFrameEvent.model_validate({"user_ids": ["u1"], "frame": {"type": "made.up", "data": {}}})


def test_event_bindings_take_every_qualifier_or_one() -> None:
    assert event_binding("message.created", None) == "message.created.#"  # also the bare type
    assert event_binding("message.created", "with_bot") == "message.created.with_bot"
    assert event_binding("integrations.outbound", UNQUALIFIED) == "integrations.outbound"  # the bare type only


def test_only_the_chat_messages_no_bot_is_to_get_go_out_on_the_messages_stream() -> None:
    def event(event_type: str, bot_id: str | None = None) -> OutboundEvent:
        return OutboundEvent(
            event_id="ev_1",
            event_type=event_type,  # type: ignore[arg-type]
            channel_id="ch_1",
            occurred_at=datetime.now(UTC),
            bot_id=bot_id,
        )

    assert event("message.created").routing_key() == f"integrations.outbound.{MESSAGES_STREAM}"
    assert event("message.created", bot_id="bot_1").routing_key() == "integrations.outbound"  # the bot needs it
    assert event("conversation.closed").routing_key() == "integrations.outbound"
    assert PresenceChanged(user_id="u1", status="online").routing_key() == "presence.changed"  # no qualifier
