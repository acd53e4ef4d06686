"""What the bus tells an operator when the broker refuses a durable queue's declaration."""

from __future__ import annotations

from parley.bus import topology
from parley.bus.queues import explain

BROKER = (
    "PRECONDITION_FAILED - inequivalent arg '{arg}' for queue 'svc.events' in vhost 'v': "
    "received {received} but current is {current}"
)


def test_a_queue_missing_any_quorum_argument_is_a_classic_one_from_an_earlier_version() -> None:
    for arg in ("x-queue-type", "x-overflow", "x-dead-letter-strategy", "x-delivery-limit"):
        refusal = BROKER.format(arg=arg, received="the value 'x' of type 'longstr'", current="none")
        text = explain("svc.events", refusal)
        assert "'svc.events' is a classic queue" in text and "Classic queues to quorum queues" in text, arg


def test_a_changed_delivery_limit_names_the_setting() -> None:
    refusal = BROKER.format(
        arg="x-delivery-limit",
        received="the value '5' of type 'signedint'",
        current="the value '7' of type 'signedint'",
    )
    text = explain("svc.events", refusal)
    assert "bus_max_attempts" in text and "classic" not in text


def test_another_difference_keeps_the_broker_s_words() -> None:
    refusal = BROKER.format(arg="x-max-length", received="the value '5' of type 'signedint'", current="none")
    assert refusal in explain(topology.DEAD_LETTERS_QUEUE, refusal)


def test_the_broker_allows_a_copy_as_many_deliveries_as_the_consumer_allows_a_message() -> None:
    for max_attempts in (1, 8, 100):
        arguments = topology.work_queue_arguments(max_attempts)
        assert 1 + arguments["x-delivery-limit"] == max_attempts  # type: ignore[operator]
