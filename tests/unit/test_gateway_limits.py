"""Pure parts of the gateway's frame limits: nesting depth and request ids of unreadable frames."""

from __future__ import annotations

import json

import pytest

from parley_gateway.limits import frame_id_of, nesting_exceeds
from parley_gateway.metrics import frame_label


def _nested(depth: int) -> object:
    value: object = 1
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(
    ("depth", "limit", "exceeds"), [(0, 1, False), (3, 3, False), (4, 3, True), (10_000, 16, True)]
)
def test_nesting_is_measured_without_recursion(depth: int, limit: int, exceeds: bool) -> None:
    assert nesting_exceeds(_nested(depth), limit) is exceeds


def test_a_real_frame_is_shallow() -> None:
    frame = {"type": "message.send", "data": {"body": {"meaning": "m", "params": {"order": {"id": [1]}}}}}
    assert not nesting_exceeds(frame, 8)


@pytest.mark.parametrize(
    ("raw", "frame_id"),
    [
        (json.dumps({"type": "nope", "id": "r1"}), "r1"),
        (json.dumps({"id": 7}), None),
        (json.dumps({"id": "x" * 65}), None),
        ("{broken", None),
        (b'{"id": "b1"}', "b1"),
        ("[1, 2]", None),
    ],
)
def test_the_id_of_a_refused_frame_is_read_when_it_can_be(raw: str | bytes, frame_id: str | None) -> None:
    assert frame_id_of(raw) == frame_id


def test_frame_type_labels_stay_bounded() -> None:
    assert frame_label("message.new") == "message.new"
    assert frame_label("anything-a-service-invents") == "other"
