"""The integrations service's pure decisions (issue 20): Standard Webhooks signatures, what an
attempt's outcome means, backoff, Retry-After, the circuit breaker and the per-endpoint rate."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from parley.contracts.integrations import OutboundEvent
from parley_integrations import signing
from parley_integrations.outbox import delivery_id, payload
from parley_integrations.retries import Circuit, TokenBucket, backoff, retry_after, verdict

# The example of the Standard Webhooks specification (and of svix's libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_is_the_standard_webhooks_one() -> None:
    assert signing.signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_every_valid_secret_signs_and_a_receiver_holding_either_verifies() -> None:
    new = signing.new_secret()
    headers = signing.headers([new, SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers["webhook-id"] == SPEC_ID and headers["webhook-timestamp"] == str(SPEC_TIMESTAMP)
    assert headers["webhook-signature"].split(" ")[1] == SPEC_SIGNATURE
    assert signing.verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 10)
    assert signing.verify(new, headers, SPEC_BODY, SPEC_TIMESTAMP)
    assert not signing.verify(signing.new_secret(), headers, SPEC_BODY, SPEC_TIMESTAMP)
    assert not signing.verify(SPEC_SECRET, headers, SPEC_BODY + b" ", SPEC_TIMESTAMP), "an altered body"
    assert not signing.verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 301), "a replay 5 minutes later"
    assert not signing.verify(SPEC_SECRET, {**headers, "webhook-id": "msg_other"}, SPEC_BODY, SPEC_TIMESTAMP)


def test_new_secrets_are_random_32_byte_keys() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(signing._key(first)) == 32


def test_a_delivery_id_is_stable_per_event_and_endpoint() -> None:
    assert delivery_id("e1", "webhook", "wh_1") == delivery_id("e1", "webhook", "wh_1")
    ids = {
        delivery_id("e1", "webhook", "wh_1"),
        delivery_id("e1", "webhook", "wh_2"),
        delivery_id("e2", "webhook", "wh_1"),
    }
    assert len(ids | {delivery_id("e1", "bot", "wh_1")}) == 4
    assert delivery_id("e1", "bot", "b").startswith("msg_")


def test_the_payload_is_type_timestamp_data() -> None:
    event = OutboundEvent(
        event_id="e1",
        event_type="message.created",
        channel_id="ch",
        conversation_id="c1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        data={"text": "hi"},
    )
    assert payload(event) == (
        b'{"type":"message.created","timestamp":"2026-01-02T03:04:05+00:00","data":{"event_id":"e1",'
        b'"channel_id":"ch","conversation_id":"c1","bot_id":null,"text":"hi"}}'
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (None, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (301, "dead"),
        (400, "dead"),
        (401, "dead"),
        (404, "dead"),
        (410, "dead"),
        (422, "dead"),
    ],
)
def test_what_an_answer_means(status: int | None, expected: str) -> None:
    assert verdict(status) == expected


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 5), (2, 10), (3, 20), (4, 40), (12, 3600), (40, 3600)):
        delays = [backoff(attempt, 5.0, 3600.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1, "jittered"


def test_retry_after_in_seconds_or_as_a_date_capped() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after("120", now, 3600) == 120
    assert retry_after("999999", now, 3600) == 3600
    assert retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now, 3600) == 60
    assert retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now, 3600) == 0
    assert retry_after("soon", now, 3600) is None
    assert retry_after(None, now, 3600) is None
    assert retry_after("-5", now, 3600) is None
    assert now + timedelta(seconds=retry_after("1", now, 3600) or 0) > now


def test_the_circuit_opens_after_consecutive_failures_and_lets_one_trial_through() -> None:
    circuit = Circuit(failures_to_open=3, open_seconds=30)
    for moment in (1.0, 2.0):
        circuit.failed(moment)
    assert circuit.allows(2.5) and not circuit.is_open
    circuit.succeeded()
    for moment in (3.0, 4.0, 5.0):
        circuit.failed(moment)
    assert circuit.is_open and not circuit.allows(20.0)
    assert circuit.allows(35.0)
    circuit.started()  # the trial
    assert not circuit.allows(36.0), "one trial at a time"
    circuit.failed(40.0)
    assert not circuit.allows(60.0) and circuit.allows(70.0), "a failed trial opens it for another period"
    circuit.started()
    circuit.succeeded()
    assert circuit.allows(71.0) and not circuit.is_open


def test_the_rate_allows_bursts_of_its_size_then_refills() -> None:
    bucket = TokenBucket(rate=2.0)
    assert [bucket.take(10.0) for _ in range(3)] == [True, True, False]
    assert not bucket.ready(10.1)
    assert bucket.ready(10.5) and bucket.take(10.5)
    slow = TokenBucket(rate=0.5)
    assert slow.take(0.0) and not slow.take(1.0) and slow.take(2.0)
