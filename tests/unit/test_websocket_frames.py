"""The WebSocket text frames the gateway builds once and writes to many sockets (RFC 6455 §5.2)."""

from __future__ import annotations

import struct

import pytest

from parley.websocket_frames import text_frame


@pytest.mark.parametrize(
    ("length", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e" + struct.pack("!H", 126)),
        (65535, b"\x81\x7e" + struct.pack("!H", 65535)),
        (65536, b"\x81\x7f" + struct.pack("!Q", 65536)),
    ],
)
def test_a_text_frame_is_final_unmasked_and_carries_its_length(length: int, header: bytes) -> None:
    payload = b"x" * length
    assert text_frame(payload) == header + payload
