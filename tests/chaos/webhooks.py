"""The webhook ledger: every message a fault phase had acknowledged reaches a signed webhook
subscription of the chaos channel as one ``message.created`` event (issue 20: webhooks that never
drop an event), whatever the fault did to the integrations service or its brokers.

The receiver (tests/e2e/webhook_receiver.py) verifies each signature and fails the first attempt
of one delivery in four, so retries happen in every row. Delivery is at least once: an id the
receiver processed twice (its answer lost) is not a duplicate; two ids for one message are.
The check is pure logic (tests/unit/test_chaos_ledger.py gives it ledgers that must fail).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp

from tests.chaos.ledger import Ledger
from tests.e2e.webhook_receiver import Receiver

# Each webhook of a phase is in within this long after the phase's own checks: a first attempt
# failed on purpose is retried after 2.5-5 s, a delivery claimed by a killed process after the
# claim (30 s), a delivery whose endpoint's circuit opened after 30 s more.
WEBHOOKS_WITHIN_SECONDS = 90.0
FAIL_ONE_IN = 4


@dataclass
class WebhookRow:
    expected: int = 0
    received: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)
    lost: list[tuple[str, int]] = field(default_factory=list)  # (conversation_id, seq) of each missing one

    @property
    def missing(self) -> int:
        return len(self.lost)

    @property
    def clean(self) -> bool:
        return self.missing == 0 and self.duplicated == 0


def check_webhooks(phase: str, ledger: Ledger, events: dict[str, list[dict]]) -> WebhookRow:
    """``events``: the ``data`` of every processed ``message.created``, by webhook-id. Every
    acknowledged message of ``phase`` has exactly one webhook-id."""
    ids_of: dict[tuple[str, int], set[str]] = defaultdict(set)
    for webhook_id, bodies in events.items():
        for data in bodies:
            ids_of[(data["conversation_id"], data["seq"])].add(webhook_id)
    row = WebhookRow()
    for record in ledger.sent.values():
        if record.phase != phase or record.acked_seq is None:
            continue
        row.expected += 1
        ids = ids_of.get((record.conversation_id, record.acked_seq), set())
        what = f"{record.client_msg_id} (seq {record.acked_seq} of {record.conversation_id})"
        if not ids:
            row.lost.append((record.conversation_id, record.acked_seq))
            row.problems.append(f"webhook lost: {what} has no message.created")
        elif len(ids) > 1:
            row.duplicated += 1
            row.problems.append(f"webhook duplicated: {what} came as {len(ids)} events ({sorted(ids)})")
        else:
            row.received += 1
    return row


def processed_messages(receiver: Receiver) -> dict[str, list[dict]]:
    return {
        webhook_id: [entry.body["data"] for entry in entries if entry.body.get("type") == "message.created"]
        for webhook_id, entries in receiver.processed.items()
    }


async def subscribe(http: aiohttp.ClientSession, integrations_url: str, admin_token: str, channel_id: str) -> Receiver:
    receiver = await Receiver(fail_one_in=FAIL_ONE_IN).start()
    spec = {"event_types": ["message.created"], "channel_ids": [channel_id]}
    await receiver.subscribe(http, integrations_url, admin_token, spec)
    return receiver
