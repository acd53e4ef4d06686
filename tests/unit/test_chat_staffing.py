"""The staffing gauges' arithmetic: operator capacity across channels and the load ratio."""

from __future__ import annotations

import pytest

from parley_chat_session.channels.store import DEFAULT_CAPACITY
from parley_chat_session.routing.staffing import capacities, load_ratio
from tests.kit.chat_documents import stored_channel


def test_an_operator_of_several_channels_gets_the_largest_capacity() -> None:
    channels = [
        stored_channel(operator_ids=["ann", "bob"], operator_capacity=2),
        stored_channel(operator_ids=["bob"], operator_capacity=5),
        stored_channel(operator_ids=["cy"]),
    ]
    assert capacities(channels) == {"ann": 2, "bob": 5, "cy": DEFAULT_CAPACITY}


def test_load_ratio_counts_only_available_operators() -> None:
    capacity = {"ann": 2, "bob": 5, "cy": 4}
    loads = {"ann": 2, "bob": 1, "cy": 4}
    assert load_ratio({"ann", "bob"}, capacity, loads) == pytest.approx(3 / 7)
    assert load_ratio({"cy"}, capacity, loads) == 1.0


def test_load_ratio_is_zero_with_nobody_available() -> None:
    assert load_ratio(set(), {"ann": 2}, {"ann": 2}) == 0.0
