"""Bounded contracts (issue 16, findings 2 and 12): every seq a client sends has a range, a
free-form object keeps MongoDB's key rules and a bounded shape, and ``kind`` agrees with ``body``.
Whatever these models accept must be storable as it is."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import bson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from parley.contracts.bounded import MAX_OBJECT_DEPTH, MAX_SEQ, StorableObject
from parley.contracts.commands import Caller, GetHistory, MarkSeen, SendMessage
from parley.contracts.frames import CLIENT_FRAME
from parley.contracts.messages import Message

OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(StorableObject)
CONVERSATION = "c_1"


def seq_frames(seq: int) -> list[dict[str, Any]]:
    """Every client frame that carries a seq, with ``seq`` in it."""
    position = {"conversation_id": CONVERSATION, "after_seq": seq}
    return [
        {"type": "resume", "data": position},
        {"type": "auth", "data": {"token": "t", "resume": [position]}},
        {"type": "history.get", "data": {"conversation_id": CONVERSATION, "after_seq": seq}},
        {"type": "history.get", "data": {"conversation_id": CONVERSATION, "before_seq": seq}},
        {"type": "ack", "data": {"conversation_id": CONVERSATION, "seq": seq}},
        {"type": "seen", "data": {"conversation_id": CONVERSATION, "seq": seq}},
    ]


@pytest.mark.parametrize("seq", [MAX_SEQ + 1, 2**63, 2**64, -1])
def test_a_seq_out_of_range_is_refused_by_every_frame_and_command(seq: int) -> None:
    for frame in seq_frames(seq):
        with pytest.raises(ValidationError):
            CLIENT_FRAME.validate_python(frame)
    caller = Caller(user_id="v_1", role="visitor")
    with pytest.raises(ValidationError):
        GetHistory(caller=caller, conversation_id=CONVERSATION, after_seq=seq)
    with pytest.raises(ValidationError):
        MarkSeen(caller=caller, conversation_id=CONVERSATION, seq=seq)


def test_the_largest_seq_is_accepted() -> None:
    for frame in seq_frames(MAX_SEQ):
        CLIENT_FRAME.validate_python(frame)


def action(params: Any, kind: str = "action") -> dict[str, Any]:
    body = {"meaning": "open_order", "params": params}
    return {
        "type": "message.send",
        "data": {"conversation_id": CONVERSATION, "client_msg_id": "m1", "kind": kind, "body": body},
    }


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"level": value}
    return value


@pytest.mark.parametrize(
    "params",
    [
        {"$where": "1"},
        {"order": {"$gt": ""}},
        {"a.b": 1},
        {"list": [{"x.y": 1}]},
        {"nul\x00": 1},
        {"": 1},
        {"k" * 65: 1},
        nested(MAX_OBJECT_DEPTH + 1),
        {"list": [[[[1]]]]},
        {f"k{n}": n for n in range(101)},
        {"text": "x" * 9000},
        {"n": 2**63},
        {"n": -(2**53)},
        {"n": math.inf},
        {"n": math.nan},
        {"bad": "\ud800"},
    ],
    ids=lambda params: repr(params)[:40],
)
def test_an_action_whose_params_mongodb_would_refuse_or_that_is_unbounded_is_refused(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CLIENT_FRAME.validate_python(action(params))


def test_an_action_within_the_rules_is_accepted() -> None:
    params = {
        "order": "A-1001",
        "lines": [{"sku": "x", "qty": 2, "price": 9.5}],
        "gift": None,
        "ключ": True,
        **nested(3),
    }
    frame = CLIENT_FRAME.validate_python(action(params))
    assert frame.data.body.params == params


@pytest.mark.parametrize(
    ("kind", "body"),
    [("text", {"meaning": "x", "params": {}}), ("action", "hello")],
)
def test_kind_and_body_must_agree_in_a_frame(kind: str, body: Any) -> None:
    data = {"conversation_id": CONVERSATION, "client_msg_id": "m1", "kind": kind, "body": body}
    with pytest.raises(ValidationError, match=f"kind {kind} needs"):
        CLIENT_FRAME.validate_python({"type": "message.send", "data": data})


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("text", {"meaning": "x", "params": {}}),
        ("action", "hello"),
        ("bot", "hello"),
        ("bot", {"meaning": "x", "params": {}}),
        ("text", {"kind": "text", "class": "answer", "text": "hi"}),
    ],
)
def test_kind_and_body_must_agree_in_a_command(kind: str, body: Any) -> None:
    with pytest.raises(ValidationError):
        SendMessage(
            caller=Caller(user_id="bot_x", role="bot"),
            conversation_id=CONVERSATION,
            client_msg_id="m",
            kind=kind,
            body=body,
        )


def test_a_caller_id_that_would_be_a_path_in_a_stored_document_is_refused() -> None:
    for user_id in ("a.b", "$x", "", "u" * 65):
        with pytest.raises(ValidationError):
            Caller(user_id=user_id, role="visitor")


json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20)
json_objects = st.recursive(
    st.dictionaries(st.text(max_size=10), json_scalars, max_size=4),
    lambda inner: st.dictionaries(st.text(max_size=10), inner | st.lists(inner | json_scalars, max_size=3), max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_objects)
def test_whatever_a_storable_object_accepts_bson_encodes_with_mongodbs_key_rules(value: dict[str, Any]) -> None:
    try:
        accepted = OBJECT.validate_python(value)
    except ValidationError:
        return
    bson.encode({"params": accepted})  # raises on an int beyond 64 bits or a string that is not UTF-8

    def keys(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [*node, *(k for child in node.values() for k in keys(child))]
        if isinstance(node, list):
            return [k for child in node for k in keys(child)]
        return []

    assert all(key and not key.startswith("$") and "." not in key and "\x00" not in key for key in keys(accepted))
    assert all(not isinstance(v, float) or math.isfinite(v) for v in _leaves(accepted))


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for child in node.values() for leaf in _leaves(child)]
    if isinstance(node, list):
        return [leaf for child in node for leaf in _leaves(child)]
    return [node]


def test_a_message_stored_before_the_bounds_stays_readable() -> None:
    legacy = {"meaning": "open", "params": {"deep": nested(MAX_OBJECT_DEPTH + 2), "n": 2**60}}
    message = Message(
        id="m_1",
        conversation_id=CONVERSATION,
        seq=1,
        author_id="v_1",
        author_role="visitor",
        kind="action",
        body=legacy,
        created_at=datetime.now(UTC),
    )
    assert message.body.model_dump() == legacy
