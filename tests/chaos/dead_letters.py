"""Dead-lettered messages of the chaos suite's RabbitMQ, counted and explained: every queue bound
to ``parley.dlx`` is peeked through the management API (messages are requeued, not taken)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import aiohttp

from parley.bus import topology
from parley_fleet.rabbitmq import _split

VHOST = "/"
PEEK_LIMIT = 500


async def dead_letters(management_url: str, vhost: str = VHOST) -> Counter[str]:
    """How many dead letters there are, by explanation: "<type> from <queue>: <reason>"."""
    base, headers = _split(management_url)
    v = quote(vhost, safe="")
    found: Counter[str] = Counter()
    async with aiohttp.ClientSession(base_url=base, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(f"/api/exchanges/{v}/{topology.DLX}/bindings/source") as response:
            bindings = await response.json() if response.status == 200 else []
        for queue in {b["destination"] for b in bindings if b["destination_type"] == "queue"}:
            body = {"count": PEEK_LIMIT, "ackmode": "ack_requeue_true", "encoding": "auto"}
            async with http.post(f"/api/queues/{v}/{quote(queue, safe='')}/get", json=body) as response:
                for message in await response.json() if response.status == 200 else []:
                    found[_explain(message)] += 1
    return found


def _explain(message: dict[str, Any]) -> str:
    headers = (message.get("properties") or {}).get("headers") or {}
    deaths = headers.get("x-death") or [{}]
    reason = deaths[0].get("reason", "?")  # "rejected": the consumer gave up (bus_max_attempts)
    queue = deaths[0].get("queue", message.get("routing_key", "?"))
    attempts = headers.get(topology.ATTEMPT_HEADER, 1)
    try:
        kind = json.loads(message.get("payload", "{}")).get("type", "?")
    except ValueError:
        kind = "unreadable"
    return f"{kind} from {queue}: {reason} after {attempts} attempt(s)"
