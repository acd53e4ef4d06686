"""What a failed fault row needs next to it to be explained from the CI log alone: for every
member still missing a message, where its client stands; and what each gateway says it did to
fill gaps (its own counters). The fleet's logs stay in .artifacts/chaos/, which a CI log does
not carry."""

from __future__ import annotations

import aiohttp

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
