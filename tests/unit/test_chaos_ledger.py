"""The chaos tier's ledger checks themselves (tests/chaos/ledger.py and webhooks.py, pure logic): a clean run
passes; a lost, doubled or out-of-order message fails it, and so does a lost or doubled webhook."""

from __future__ import annotations

from tests.chaos.ledger import Ledger, Sent, Stored, check, whole_after
from tests.chaos.webhooks import check_webhooks

CONV = "c1"
MEMBERS = {CONV: ["visitor", "operator"]}


def clean_run(count: int = 3) -> tuple[Ledger, list[Stored]]:
    """``count`` messages from the visitor, acknowledged, stored once, delivered once to both."""
    ledger = Ledger()
    stored = []
    for seq in range(1, count + 1):
        ledger.record_sent(Sent(f"m{seq}", CONV, "visitor", "fault"))
        ledger.record_acked(f"m{seq}", seq)
        stored.append(Stored(CONV, seq, "visitor", f"m{seq}"))
        for member in MEMBERS[CONV]:
            ledger.record_received(member, CONV, seq)
    return ledger, stored


def test_a_clean_run_has_nothing_lost_or_doubled() -> None:
    ledger, stored = clean_run()
    ledger.record_sent(Sent("never-acked", CONV, "visitor", "fault"))  # sent, never acknowledged: no loss
    row = check("fault", ledger, stored, MEMBERS)
    assert (row.sent, row.acknowledged, row.stored, row.delivered) == (4, 3, 3, 3)
    assert (row.lost, row.duplicated, row.disordered) == (0, 0, 0) and row.clean, row.problems


def test_only_the_phase_s_own_messages_count() -> None:
    ledger, stored = clean_run()
    row = check("another fault", ledger, stored, MEMBERS)
    assert (row.sent, row.acknowledged, row.delivered) == (0, 0, 0)


def test_an_acknowledged_message_missing_from_the_store_is_lost() -> None:
    ledger, stored = clean_run()
    row = check("fault", ledger, [doc for doc in stored if doc.seq != 2], MEMBERS)
    assert row.lost == 1 and not row.clean
    assert any("m2" in problem and "not stored" in problem for problem in row.problems)


def test_a_message_one_member_never_got_is_lost() -> None:
    ledger, stored = clean_run()
    ledger.received["operator"][CONV].remove(2)
    row = check("fault", ledger, stored, MEMBERS)
    assert (row.lost, row.delivered) == (1, 2)
    assert any("never reached member operator" in problem for problem in row.problems)
    assert any("gap" in problem for problem in row.problems)  # the order check sees the hole too


def test_a_lost_last_message_is_lost_even_without_a_gap() -> None:
    ledger, stored = clean_run()
    ledger.received["visitor"][CONV].remove(3)
    row = check("fault", ledger, stored, MEMBERS)
    assert row.lost == 1


def test_a_message_delivered_twice_is_duplicated() -> None:
    ledger, stored = clean_run()
    ledger.record_received("visitor", CONV, 2)  # e.g. a resume replaying what the client had
    row = check("fault", ledger, stored, MEMBERS)
    assert (row.duplicated, row.lost, row.disordered) == (1, 0, 0)


def test_a_message_stored_twice_is_duplicated() -> None:
    ledger, stored = clean_run()
    stored.append(Stored(CONV, 4, "visitor", "m2"))  # a retried send stored again
    row = check("fault", ledger, stored, MEMBERS)
    assert row.duplicated == 1
    assert any("stored 2 times" in problem for problem in row.problems)


def test_an_acknowledged_seq_the_store_disagrees_with_is_lost() -> None:
    ledger, stored = clean_run()
    ledger.record_acked("m3", 7)
    row = check("fault", ledger, stored, MEMBERS)
    assert row.lost == 1


def test_messages_out_of_seq_order_are_disordered() -> None:
    ledger, stored = clean_run()
    ledger.received["operator"][CONV] = [1, 3, 2]
    row = check("fault", ledger, stored, MEMBERS)
    assert row.disordered == 1 and row.lost == 0 and not row.clean
    assert any("seq 2 arrived after seq 3" in problem for problem in row.problems)


def webhook_events(ledger: Ledger) -> dict[str, list[dict]]:
    """One message.created per acknowledged message, each under its own webhook-id."""
    return {
        f"msg_{record.acked_seq}": [{"conversation_id": record.conversation_id, "seq": record.acked_seq}]
        for record in ledger.sent.values()
        if record.acked_seq is not None
    }


def test_every_acknowledged_message_as_one_webhook_is_clean_even_if_processed_twice() -> None:
    ledger, _ = clean_run()
    ledger.record_sent(Sent("never-acked", CONV, "visitor", "fault"))
    events = webhook_events(ledger)
    events["msg_2"] = events["msg_2"] * 2  # at least once: the receiver's answer was lost, the same id again
    row = check_webhooks("fault", ledger, events)
    assert (row.expected, row.received, row.missing, row.duplicated) == (3, 3, 0, 0) and row.clean, row.problems
    assert check_webhooks("another fault", ledger, {}).expected == 0


def test_a_message_without_its_webhook_is_lost_and_one_with_two_ids_is_doubled() -> None:
    ledger, _ = clean_run()
    events = webhook_events(ledger)
    del events["msg_1"]
    events["msg_3-again"] = [{"conversation_id": CONV, "seq": 3}]
    row = check_webhooks("fault", ledger, events)
    assert (row.received, row.missing, row.duplicated) == (1, 1, 1) and not row.clean
    assert [problem.split(":")[0] for problem in row.problems] == ["webhook lost", "webhook duplicated"]


def test_service_is_whole_again_at_the_first_acknowledgement_of_a_message_sent_after_the_fault() -> None:
    ledger = Ledger()
    ledger.record_sent(Sent("before", CONV, "visitor", "fault", sent_at=9.0))
    ledger.record_acked("before", 1, at=10.5)  # in flight when the fault began: says nothing of it
    ledger.record_sent(Sent("retried", CONV, "visitor", "fault", sent_at=10.2))
    ledger.record_acked("retried", 2, at=14.0)  # refused and retried until the dependency was back
    ledger.record_sent(Sent("later", CONV, "operator", "fault", sent_at=13.0))
    ledger.record_acked("later", 3, at=13.5)
    ledger.record_sent(Sent("never", CONV, "operator", "fault", sent_at=11.0))
    ledger.record_sent(Sent("other phase", CONV, "operator", "other", sent_at=10.1))
    ledger.record_acked("other phase", 4, at=10.2)
    assert whole_after(ledger, "fault", since=10.0) == 3.5
    assert whole_after(ledger, "fault", since=20.0) is None  # nothing acknowledged after it
