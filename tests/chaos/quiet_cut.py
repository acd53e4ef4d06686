"""A fault with NO traffic after it: one gateway's link to Redis (its delivery transport) or to
RabbitMQ is cut while messages are sent to its live sockets (by members connected to the other
gateway), and nothing follows them. No
later message's seq gap can reveal a lost delivery, so each message must reach the open socket
by the gateway's own catch-up (docs/delivery.md), or the socket must close so the client
resumes, within a bound after the link returns. The gateway must also re-send each of those
conversations' current state (``conversation.updated``): any state frame of the outage is lost.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from parley.bus import topology
from parley_fleet.rabbitmq import _split
from tests.chaos.faults import GATEWAY_AMQP
from tests.chaos.ledger import Row, Sent, check
from tests.chaos.members import Member
from tests.chaos.phases import ChaosRun, stored_messages
from tests.chaos.traffic import RETRYABLE, Conversation

# The bound: every message on the open socket within 3 s after the link returns.
DELIVERY_BOUND_SECONDS = 3.0
# "3 messages out of 3 were missing": as many per conversation here, spread over the outage.
MESSAGES_PER_CONVERSATION = 3
SEND_ATTEMPTS = 10
RETRY_PAUSE_SECONDS = 0.5
QUEUE_GONE_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Pair:
    """A conversation whose ``recipient`` is on the cut gateway and whose ``sender`` is not."""

    conversation: Conversation
    sender: Member
    recipient: Member


@dataclass
class QuietCutResult:
    row: Row
    pairs: list[Pair]
    without_state: list[str]  # recipients' conversations with no conversation.updated in the bound


def cut_gateway(run: ChaosRun) -> tuple[str, str]:
    """The gateway behind its own RabbitMQ proxy (the replica): its node id and its /ws URL."""
    (name,) = [name for name in run.fleet.services if name.startswith("gateway-")]
    service = run.fleet.services[name]
    return service.env["PARLEY_NODE_ID"], service.url.replace("http://", "ws://") + "/ws"


def pairs_across(run: ChaosRun, cut_url: str) -> list[Pair]:
    pairs = []
    for conversation in run.traffic.conversations:
        for recipient, sender in (
            (conversation.visitor, conversation.operator),
            (conversation.operator, conversation.visitor),
        ):
            if recipient.gateway == cut_url and sender.gateway not in (None, cut_url):
                pairs.append(Pair(conversation, sender, recipient))
    return pairs


async def run_quiet_cut(run: ChaosRun, name: str, key: str, outage_seconds: float, link: str) -> QuietCutResult:
    """``link``: GATEWAY_REDIS (the delivery channels) or GATEWAY_AMQP (the bus)."""
    node, cut_url = cut_gateway(run)
    pairs = pairs_across(run, cut_url)
    assert pairs, "no conversation has one member on each gateway: nothing to send to the cut gateway's sockets"
    await run.proxy.set_enabled(link, False)
    try:
        if link == GATEWAY_AMQP:  # from here what the bus routes to the node is unroutable
            await _wait_queue_gone(run.brokers.management_url, topology.node_events_queue("gateway", node))
        # Toxiproxy closes the Redis link at once: what is published to the node's users is lost to it.
        cut_at = time.monotonic()
        pause = outage_seconds / (MESSAGES_PER_CONVERSATION + 1)
        for number in range(1, MESSAGES_PER_CONVERSATION + 1):
            await asyncio.sleep(pause)
            await asyncio.gather(
                *(_send(run, pair, f"{key}.{pair.sender.user_id[-8:]}.{number}", name) for pair in pairs)
            )
        await asyncio.sleep(max(0.0, cut_at + outage_seconds - time.monotonic()))
    finally:
        await run.proxy.set_enabled(link, True)
    restored_at = time.monotonic()
    # Then nothing more is sent: whatever the sockets lack now, only the gateway can bring.
    deadline = restored_at + DELIVERY_BOUND_SECONDS
    await _until_received(run, name, deadline)
    # The messages may all be there already (a cut of the bus link leaves the delivery channels
    # up): the state is re-sent when the cut link is back, so wait for it to the same bound.
    without_state = await _until_state_resent(pairs, restored_at, deadline)
    stored, members = await stored_messages(run)
    row = check(name, run.ledger, stored, members)
    return QuietCutResult(row, pairs, without_state)


async def _until_state_resent(pairs: list[Pair], restored_at: float, deadline: float) -> list[str]:
    """The recipients (and conversations) with no conversation.updated since the link returned,
    once every one has it or at the deadline."""
    while True:
        missing = [
            f"{pair.recipient.user_id} in {pair.conversation.id}"
            for pair in pairs
            if not any(
                conversation_id == pair.conversation.id and restored_at <= at <= deadline
                for conversation_id, at in pair.recipient.state_frames
            )
        ]
        if not missing or time.monotonic() >= deadline:
            return missing
        await asyncio.sleep(0.05)


async def _send(run: ChaosRun, pair: Pair, client_msg_id: str, phase: str) -> None:
    """One message from ``pair.sender`` (its gateway's link is intact), retried with the same
    client_msg_id on a retryable refusal, until acknowledged."""
    conversation_id = pair.conversation.id
    run.ledger.record_sent(Sent(client_msg_id, conversation_id, pair.sender.user_id, phase))
    body = {"conversation_id": conversation_id, "client_msg_id": client_msg_id, "kind": "text", "body": client_msg_id}
    for _ in range(SEND_ATTEMPTS):
        try:
            answer = await pair.sender.request("message.send", body)
        except (ConnectionError, TimeoutError):
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
            continue
        if answer["type"] == "message.accepted":
            run.ledger.record_acked(client_msg_id, answer["data"]["message"]["seq"])
            return
        if answer["data"].get("code") not in RETRYABLE:
            raise AssertionError(f"{client_msg_id} refused: {answer}")
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
    raise AssertionError(f"{client_msg_id} was never acknowledged")


async def _until_received(run: ChaosRun, phase: str, deadline: float) -> None:
    """Until every acknowledged message of ``phase`` reached both members, or the deadline."""
    while time.monotonic() < deadline:
        received = run.ledger.received
        missing = [
            record
            for record in run.ledger.sent.values()
            if record.phase == phase and record.acked_seq is not None
            for conversation in run.traffic.conversations
            if conversation.id == record.conversation_id
            for member in (conversation.visitor, conversation.operator)
            if record.acked_seq not in received.get(member.user_id, {}).get(record.conversation_id, [])
        ]
        if not missing:
            return
        await asyncio.sleep(0.05)


async def _wait_queue_gone(management_url: str, queue: str) -> None:
    """Until RabbitMQ has deleted the node's exclusive delivery queue (its connection is gone)."""
    base, headers = _split(management_url)
    path = f"/api/queues/{quote('/', safe='')}/{quote(queue, safe='')}"
    deadline = time.monotonic() + QUEUE_GONE_TIMEOUT_SECONDS
    async with aiohttp.ClientSession(base_url=base, headers=headers, timeout=aiohttp.ClientTimeout(total=5)) as http:
        while True:
            async with http.get(path) as response:
                if response.status == 404:
                    return
                assert response.status == 200, f"{path}: {response.status}"
            assert time.monotonic() < deadline, f"{queue} still exists {QUEUE_GONE_TIMEOUT_SECONDS:g} s after the cut"
            await asyncio.sleep(0.1)
