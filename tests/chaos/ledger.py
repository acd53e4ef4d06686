"""The loss/duplicate ledger: what senders sent and had acknowledged, what MongoDB stored, what
every member's client received; and the check that says, per fault, what was lost or doubled.

Pure logic (no I/O), so it is unit-tested with ledgers that must fail (tests/unit/test_chaos_ledger.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Sent:
    """One client_msg_id a sender sent (once or more: retries reuse it) during ``phase``."""

    client_msg_id: str
    conversation_id: str
    author_id: str
    phase: str
    acked_seq: int | None = None  # the seq of the message.accepted answer, once one came
    sent_at: float = 0.0  # monotonic: its first attempt
    acked_at: float | None = None  # monotonic: when the answer came


@dataclass(frozen=True)
class Stored:
    """A message document of MongoDB's messages collection."""

    conversation_id: str
    seq: int
    author_id: str
    client_msg_id: str | None


# user id -> conversation id -> the seqs of every message.new, in the order they arrived
Received = dict[str, dict[str, list[int]]]


@dataclass
class Row:
    fault: str
    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    disordered: int = 0
    problems: list[str] = field(default_factory=list)
    # Seconds from the fault's start to the first acknowledgement of a message sent after it.
    whole_after: float | None = None

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.disordered == 0


@dataclass
class Ledger:
    sent: dict[str, Sent] = field(default_factory=dict)  # client_msg_id -> record
    received: Received = field(default_factory=dict)

    def record_sent(self, record: Sent) -> None:
        self.sent.setdefault(record.client_msg_id, record)

    def record_acked(self, client_msg_id: str, seq: int, at: float | None = None) -> None:
        self.sent[client_msg_id].acked_seq = seq
        self.sent[client_msg_id].acked_at = at

    def record_received(self, user_id: str, conversation_id: str, seq: int) -> None:
        self.received.setdefault(user_id, {}).setdefault(conversation_id, []).append(seq)


def whole_after(ledger: Ledger, phase: str, since: float) -> float | None:
    """How long after ``since`` (a fault's start) service was whole again: the first acknowledgement
    of a message first sent at or after it (retries until then are the outage); None if none came."""
    answered = [
        record.acked_at
        for record in ledger.sent.values()
        if record.phase == phase and record.sent_at >= since and record.acked_at is not None
    ]
    return min(answered) - since if answered else None


def check(phase: str, ledger: Ledger, stored: list[Stored], members: dict[str, list[str]]) -> Row:
    """Every message of ``phase`` the server acknowledged: stored once (with its acknowledged
    seq), delivered once to every member of its conversation; plus order and gaps per member."""
    row = Row(phase)
    copies = Counter((doc.author_id, doc.client_msg_id) for doc in stored)
    seq_of = {(doc.author_id, doc.client_msg_id): doc.seq for doc in stored}
    counts = _delivery_counts(ledger.received)
    for record in ledger.sent.values():
        if record.phase != phase:
            continue
        row.sent += 1
        if record.acked_seq is None:
            continue
        row.acknowledged += 1
        _check_one(row, record, copies[(record.author_id, record.client_msg_id)], seq_of, members, counts)
    _check_order(row, ledger, stored, members)
    return row


def _delivery_counts(received: Received) -> dict[tuple[str, str], Counter[int]]:
    return {(user, conv): Counter(seqs) for user, by_conv in received.items() for conv, seqs in by_conv.items()}


def _check_one(
    row: Row,
    record: Sent,
    copies: int,
    seq_of: dict[tuple[str, str | None], int],
    members: dict[str, list[str]],
    counts: dict[tuple[str, str], Counter[int]],
) -> None:
    what = f"{record.client_msg_id} (seq {record.acked_seq} of {record.conversation_id})"
    stored_seq = seq_of.get((record.author_id, record.client_msg_id))
    lost = duplicated = False
    if copies == 0:
        row.problems.append(f"lost: {what} acknowledged but not stored")
        lost = True
    else:
        row.stored += 1
        if copies > 1:
            row.problems.append(f"duplicated: {what} stored {copies} times")
            duplicated = True
        if stored_seq != record.acked_seq:
            row.problems.append(f"lost: {what} acknowledged with a seq the stored copy does not have ({stored_seq})")
            lost = True
    for member in members.get(record.conversation_id, []):
        got = counts.get((member, record.conversation_id), Counter())[record.acked_seq]
        if got == 0:
            row.problems.append(f"lost: {what} never reached member {member}")
            lost = True
        elif got > 1:
            row.problems.append(f"duplicated: {what} reached member {member} {got} times")
            duplicated = True
    row.lost += lost
    row.duplicated += duplicated
    row.delivered += not lost and not duplicated


def _check_order(row: Row, ledger: Ledger, stored: list[Stored], members: dict[str, list[str]]) -> None:
    """Each member got its conversation's seqs in increasing order, with no gap up to the last
    stored seq. A problem counts for this phase when the seq involved is one of its messages."""
    phase_seqs = {
        (r.conversation_id, r.acked_seq)
        for r in ledger.sent.values()
        if r.phase == row.fault and r.acked_seq is not None
    }
    last_seq = Counter[str]()
    for doc in stored:
        last_seq[doc.conversation_id] = max(last_seq[doc.conversation_id], doc.seq)
    for conversation_id, users in members.items():
        for user in users:
            seqs = ledger.received.get(user, {}).get(conversation_id, [])
            for seq, problem in _order_problems(seqs, last_seq[conversation_id]):
                if (conversation_id, seq) in phase_seqs:
                    row.disordered += 1
                    row.problems.append(f"order: {user} in {conversation_id}: {problem}")


def _order_problems(seqs: list[int], last_seq: int) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    seen: set[int] = set()
    highest = 0
    for seq in seqs:
        if seq in seen:
            continue  # a duplicate: counted as one, not as disorder
        if seq < highest:
            problems.append((seq, f"seq {seq} arrived after seq {highest}"))
        seen.add(seq)
        highest = max(highest, seq)
    first = min(seen, default=1)
    problems += [(seq, f"seq {seq} never arrived (gap)") for seq in range(first, last_seq + 1) if seq not in seen]
    return problems
