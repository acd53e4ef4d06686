"""The push notice: its wording, and its size cut to one RFC 8291 record (4096 bytes encrypted)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import http_ece
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from parley.contracts.messages import Message
from parley_notification.push_payload import MAX_PAYLOAD_BYTES, encode_notice, notice_for, preview_of


def encrypted_size(payload: bytes) -> int:
    """The body pywebpush sends for this payload (aes128gcm, one record)."""
    receiver = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = receiver.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    sender = ec.generate_private_key(ec.SECP256R1())
    return len(http_ece.encrypt(payload, private_key=sender, dh=point, auth_secret=os.urandom(16), version="aes128gcm"))


def test_one_message_is_titled_by_its_author_and_a_burst_by_its_count() -> None:
    single = notice_for("c_1", 4, 1, "Olivia", "On my way")
    assert (single.title, single.body, single.tag) == ("Olivia", "On my way", "parley:c_1")
    burst = notice_for("c_1", 9, 3, "Olivia", "Done!")
    assert (burst.title, burst.body, burst.count) == ("3 new messages", "Olivia: Done!", 3)
    assert notice_for("c_1", 1, 1, "", "hi").title == "New message"


def _message(kind: str, body: Any) -> Message:
    return Message.model_validate(
        {
            "id": "m1",
            "conversation_id": "c_1",
            "seq": 1,
            "author_id": "u_1",
            "author_role": "bot",
            "kind": kind,
            "body": body,
            "created_at": datetime.now(UTC),
        }
    )


@pytest.mark.parametrize(
    ("kind", "body", "preview"),
    [
        ("text", "On my way", "On my way"),
        ("action", {"meaning": "file_shared", "params": {"name": "a.pdf"}}, "[file_shared]"),
        # A bot's rich content: a text shows its text, anything else its kind (this raised
        # AttributeError before: only an action body has a meaning; mypy found it).
        ("bot", {"kind": "text", "class": "answer", "text": "Opening hours: 9-17"}, "Opening hours: 9-17"),
        ("bot", {"kind": "menu", "class": "question", "options": [{"label": "Sales", "reply": "sales"}]}, "[menu]"),
    ],
)
def test_a_push_previews_every_kind_of_message_body(kind: str, body: Any, preview: str) -> None:
    assert preview_of(_message(kind, body)) == preview


def test_a_short_notice_is_sent_whole() -> None:
    notice = notice_for("c_1", 1, 1, "Olivia", "Hello")
    assert orjson.loads(encode_notice(notice)) == notice.model_dump()


@pytest.mark.parametrize("text", ["x" * 4000, "é" * 4000, "😀" * 4000, '"\\' * 2000])
def test_a_long_notice_is_cut_to_fit_one_push_record(text: str) -> None:
    payload = encode_notice(notice_for("c_1", 1, 1, "Olivia", text))
    assert len(payload) <= MAX_PAYLOAD_BYTES
    assert encrypted_size(payload) <= 4096
    body = orjson.loads(payload)["body"]  # still valid JSON: cut on a character, not a byte
    assert body.endswith("…") and text.startswith(body[:-1])
    assert len(payload) > MAX_PAYLOAD_BYTES - 8  # and not cut more than needed


def test_the_limit_is_the_largest_payload_of_one_record() -> None:
    assert encrypted_size(b"x" * MAX_PAYLOAD_BYTES) == 4096
    assert encrypted_size(b"x" * (MAX_PAYLOAD_BYTES + 1)) > 4096
