"""One fault phase: traffic, the fault, recovery on its own, settling, and the ledger's verdict
(with what MongoDB stored and what RabbitMQ dead-lettered)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from pymongo import AsyncMongoClient

from parley_fleet import Fleet, Supervisor
from tests.chaos.brokers import PrivateBrokers
from tests.chaos.closes import TOLD_WITHIN_SECONDS, CloseRow, Closes, check_closes
from tests.chaos.dead_letters import dead_letters
from tests.chaos.faultproxy import Toxiproxy
from tests.chaos.ledger import Ledger, Row, Stored, check, whole_after
from tests.chaos.traffic import Traffic, open_closing_visitors, open_conversations
from tests.chaos.webhooks import subscribe
from tests.e2e.webhook_receiver import Receiver

# Traffic runs this long before the fault and after it is over: the fault hits a flowing stream,
# and the recovery is measured with messages still flowing.
LEAD_IN_SECONDS = 3.0
TRAIL_SECONDS = 4.0
# After the traffic stops: how long unacknowledged sends are still retried, and how long every
# service gets to answer /readyz 200 again by itself.
ACK_GRACE_SECONDS = 30.0
READY_TIMEOUT_SECONDS = 60.0
# How long deliveries get to reach every member (gap fills take a second, a resume a few).
DELIVERY_TIMEOUT_SECONDS = 20.0
# Conversations the traffic runs in, each a visitor and an operator on their own sockets.
CONVERSATIONS = 4


@dataclass
class ChaosRun:
    brokers: PrivateBrokers
    proxy: Toxiproxy
    fleet: Fleet
    supervisor: Supervisor
    traffic: Traffic
    ledger: Ledger
    mongo: AsyncMongoClient
    mongo_db: str
    webhooks: Receiver  # subscribed to the chaos channel's message.created (tests/chaos/webhooks.py)
    closes: Closes  # conversations opened and closed while each phase runs (tests/chaos/closes.py)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parked_most: dict[str, int] = field(default_factory=dict)  # the last fault's most parked at once, by queue


@dataclass
class PhaseResult:
    row: Row
    closes: CloseRow
    not_ready: list[str]
    restarts: Counter[str]
    dead_lettered: Counter[str]


Fault = Callable[[ChaosRun], Awaitable[None]]


@asynccontextmanager
async def running(
    brokers: PrivateBrokers, proxy: Toxiproxy, fleet: Fleet, mongo_url: str, db: str, admin: tuple[str, str]
) -> AsyncIterator[ChaosRun]:
    """A started fleet under traffic (``start_run``) until the block ends, then stopped."""
    async with aiohttp.ClientSession() as http, AsyncMongoClient(mongo_url) as mongo:
        run = await start_run(brokers, proxy, fleet, mongo, http, db, admin)
        try:
            yield run
        finally:
            await stop_run(run)


async def start_run(
    brokers: PrivateBrokers,
    proxy: Toxiproxy,
    fleet: Fleet,
    mongo: AsyncMongoClient,
    http: aiohttp.ClientSession,
    db: str,
    admin: tuple[str, str],
) -> ChaosRun:
    """Traffic over every gateway of a started fleet, under a supervisor, with the webhook ledger."""
    ledger = Ledger()
    traffic = Traffic(ledger)
    gateways = [
        service.url.replace("http://", "ws://") + "/ws"
        for name, service in fleet.services.items()
        if name.startswith("gateway")
    ]
    supervisor = Supervisor(fleet)
    supervisor.start()
    channel_id, admin_token = await open_conversations(http, fleet, traffic, gateways, CONVERSATIONS, admin)
    webhooks = await subscribe(http, fleet.url("integrations"), admin_token, channel_id)
    closes = Closes(await open_closing_visitors(http, fleet, traffic, gateways), channel_id)
    return ChaosRun(brokers, proxy, fleet, supervisor, traffic, ledger, mongo, db, webhooks, closes)


async def stop_run(run: ChaosRun) -> None:
    members = {m for c in run.traffic.conversations for m in (c.visitor, c.operator)} | set(run.closes.visitors)
    for member in members:
        await member.stop()
    await run.supervisor.stop()
    await run.fleet.stop()
    await run.webhooks.stop()


async def run_phase(run: ChaosRun, name: str, key: str, fault: Fault) -> PhaseResult:
    restarts_before = len(run.supervisor.restarts)
    run.traffic.start(name, key)
    run.closes.start(name)
    fault_started = time.monotonic()
    try:
        await asyncio.sleep(LEAD_IN_SECONDS)
        fault_started = time.monotonic()
        await fault(run)
        await asyncio.sleep(TRAIL_SECONDS)
    finally:
        await asyncio.gather(run.traffic.stop(ACK_GRACE_SECONDS), run.closes.stop(ACK_GRACE_SECONDS))
    not_ready = await wait_all_ready(run.fleet, READY_TIMEOUT_SECONDS)
    await wait_delivered(run, DELIVERY_TIMEOUT_SECONDS)
    stored, members = await stored_messages(run)
    row = check(name, run.ledger, stored, members)
    row.whole_after = whole_after(run.ledger, name, fault_started)
    closes = await closes_told(run, name, TOLD_WITHIN_SECONDS)
    restarts = Counter(restart.name for restart in run.supervisor.restarts[restarts_before:])
    return PhaseResult(row, closes, not_ready, restarts, await dead_letters(run.brokers.management_url))


async def closes_told(run: ChaosRun, phase: str, timeout: float) -> CloseRow:
    """The phase's close row once every acknowledged close reached its members, or after ``timeout``."""
    clients = {m.user_id: m for c in run.traffic.conversations for m in (c.visitor, c.operator)}
    clients.update({visitor.user_id: visitor for visitor in run.closes.visitors})
    closes = run.closes.of_phase(phase)
    db = run.mongo[run.mongo_db]
    deadline = time.monotonic() + timeout
    while True:
        ids = [close.conversation_id for close in closes]
        stored = {doc["_id"]: doc async for doc in db["conversations"].find({"_id": {"$in": ids}})}
        row = check_closes(closes, stored, clients)
        if row.clean or time.monotonic() > deadline:
            return row
        await asyncio.sleep(0.5)


async def wait_all_ready(fleet: Fleet, timeout: float) -> list[str]:
    """Poll every process's /readyz until all answer 200; the ones that never did."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            pending = [name for name, service in fleet.services.items() if not await _ready(http, service.url)]
            if not pending or time.monotonic() > deadline:
                return pending
            await asyncio.sleep(0.5)


async def _ready(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(f"{url}/readyz") as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def wait_delivered(run: ChaosRun, timeout: float) -> None:
    """Until every acknowledged message reached both members of its conversation (or time runs out:
    then the ledger check says what is missing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _undelivered(run):
        await asyncio.sleep(0.5)


def _undelivered(run: ChaosRun) -> int:
    received = run.ledger.received
    missing = 0
    for conversation in run.traffic.conversations:
        acked = {r.acked_seq for r in run.ledger.sent.values() if r.conversation_id == conversation.id and r.acked_seq}
        for member in (conversation.visitor, conversation.operator):
            missing += len(acked - set(received.get(member.user_id, {}).get(conversation.id, [])))
    return missing


async def stored_messages(run: ChaosRun) -> tuple[list[Stored], dict[str, list[str]]]:
    """The chaos conversations' messages and members, read from MongoDB directly (not through the proxy)."""
    db = run.mongo[run.mongo_db]
    ids = [conversation.id for conversation in run.traffic.conversations]
    stored = [
        Stored(doc["conversation_id"], doc["seq"], doc["author_id"], doc.get("client_msg_id"))
        async for doc in db["messages"].find({"conversation_id": {"$in": ids}})
    ]
    members = {doc["_id"]: list(doc["member_ids"]) async for doc in db["conversations"].find({"_id": {"$in": ids}})}
    return stored, members
