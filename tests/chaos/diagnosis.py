"""What a failed fault row needs next to it to be explained from the CI log alone: for every
member still missing a message, where its client stands; and what each gateway says it did to
fill gaps (its own counters); for every lost webhook, how far its event got in the integrations
service. The fleet's logs stay in .artifacts/chaos/, which a CI log does not carry."""

from __future__ import annotations

import aiohttp
import orjson

from tests.chaos.phases import ChaosRun

# Gateway counters that say whether the safety nets ran: gap fills by reason, streams found
# behind by the position checks, and those checks' failures.
GATEWAY_COUNTERS = ("parley_gateway_gap_fills_total", "parley_gateway_positions_behind_total")


async def explain_missing(run: ChaosRun) -> list[str]:
    lines = _clients(run)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        for name, service in run.fleet.services.items():
            if name.startswith("gateway"):
                lines.append(f"{name} ({service.url}): {await _counters(http, service.url)}")
    return lines


def _clients(run: ChaosRun) -> list[str]:
    received = run.ledger.received
    lines = []
    for conversation in run.traffic.conversations:
        acked = {r.acked_seq for r in run.ledger.sent.values() if r.conversation_id == conversation.id and r.acked_seq}
        for member in (conversation.visitor, conversation.operator):
            missing = sorted(acked - set(received.get(member.user_id, {}).get(conversation.id, [])))
            if missing:
                lines.append(
                    f"{member.user_id} lacks seqs {missing} of {conversation.id}: client on "
                    f"{member.gateway or 'no gateway (between connections)'}, {member.connections} connections opened, "
                    f"highest seq it has {member.high(conversation.id)}"
                )
    return lines


async def _counters(http: aiohttp.ClientSession, url: str) -> str:
    try:
        async with http.get(f"{url}/metrics") as response:
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"/metrics unreadable ({error!r})"
    wanted = [line for line in text.splitlines() if line.startswith(GATEWAY_COUNTERS) and not line.startswith("#")]
    return "; ".join(line for line in wanted if "_created" not in line) or "no gap fill or position counters"


async def explain_lost_webhooks(run: ChaosRun, lost: list[tuple[str, int]]) -> list[str]:
    """Where each lost webhook stopped: no delivery stored (the event never reached integrations,
    or no subscription matched it), or its delivery's state, attempts and last outcomes."""
    deliveries = run.mongo[run.mongo_db]["integration_deliveries"]
    conversation_ids = sorted({conversation_id for conversation_id, _ in lost})
    found: dict[tuple[str, int], dict] = {}
    query = {"conversation_id": {"$in": conversation_ids}, "event_type": "message.created"}
    async for document in deliveries.find(query):
        data = orjson.loads(document["body"])["data"]
        found[(data["conversation_id"], data.get("seq", -1))] = document
    lines = []
    for conversation_id, seq in lost:
        document = found.get((conversation_id, seq))
        if document is None:
            lines.append(f"seq {seq} of {conversation_id}: no delivery stored (the event never reached integrations)")
            continue
        log = [
            (entry["at"].isoformat(timespec="seconds"), entry.get("status"), entry.get("error", "")[:80])
            for entry in document.get("log", [])[-3:]
        ]
        lines.append(
            f"seq {seq} of {conversation_id}: delivery {document['_id']} {document['state']}, "
            f"{document['attempts']} attempts, created {document['created_at'].isoformat(timespec='seconds')}, "
            f"next {document.get('next_attempt_at')}, last attempts {log}"
        )
    return lines
