"""The integrations outbox's claims: does a delivery cost the same whatever the delivered history?

The sender claims each due delivery (``Outbox.claim``: the most overdue pending one, held for
the claim's time) and records its outcome (``Outbox.record``). Delivered deliveries are kept a
week for the API. On MongoDB the claim is an index lookup; on FerretDB's SQLite backend a query
other than by ``_id`` scans the collection, so a claim among the deliveries costs what the
history weighs. This probe starts a private FerretDB, keeps ``--pending`` deliveries due beside
each history size of delivered ones (bodies and logs as the sender writes them), and times the
claim and the record of each pending one: wall time and FerretDB CPU per delivery.

``python -m bench.outboxclaims [--sizes 0,1000,5000] [--pending 100]`` prints one line per size,
then JSON. For an A/B, run it from a checkout of the other commit (`git worktree add`, then
``PYTHONPATH=<worktree>/services/integrations:<worktree>/libs/parley python -m bench.outboxclaims``
from the worktree): it uses only the outbox's ``add``, ``claim`` and ``record``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from pymongo import AsyncMongoClient

from bench.privatedb import PrivateFerretDB, ferretdb_binary
from parley.contracts.integrations import OutboundEvent
from parley_integrations.outbox import Attempt, Outbox, delivery_id, payload

HOLD = timedelta(seconds=30)


def event(n: int, prefix: str) -> OutboundEvent:
    """A message.created about the size of a real one (the whole message in ``data``)."""
    text = f"message {n}: " + "lorem ipsum dolor sit amet " * 8
    return OutboundEvent(
        event_id=f"ev_{prefix}_{n}",
        event_type="message.created",
        channel_id="ch_probe",
        conversation_id=f"c_{n % 50}",
        occurred_at=datetime.now(UTC),
        data={"seq": n, "sender_role": "visitor", "text": text, "message": {"seq": n, "body": text}},
    )


def delivered(n: int) -> dict[str, Any]:
    """A delivered delivery as the sender leaves it: body and one attempt in its log."""
    sent = event(n, "history")
    at = datetime.now(UTC) - timedelta(hours=1)
    return {
        "_id": delivery_id(sent.event_id, "webhook", "wh_probe"),
        "endpoint_kind": "webhook",
        "endpoint_id": "wh_probe",
        "event_id": sent.event_id,
        "event_type": sent.event_type,
        "channel_id": sent.channel_id,
        "conversation_id": sent.conversation_id,
        "body": payload(sent).decode(),
        "state": "delivered",
        "attempts": 1,
        "next_attempt_at": at,
        "created_at": at,
        "delivered_at": at,
        "log": [{"at": at, "status": 200, "error": "", "response": "ok", "duration_ms": 12}],
    }


async def measure(binary: str, sizes: list[int], pending: int) -> dict[str, Any]:
    server = PrivateFerretDB(binary, Path(tempfile.mkdtemp(prefix="parley-outboxclaims-")) / "ferretdb.log")
    await server.start()
    process = psutil.Process(server.pid)
    client: AsyncMongoClient = AsyncMongoClient(server.url, tz_aware=True)
    results: dict[str, Any] = {"binary": binary, "pending": pending, "sizes": {}}
    try:
        for size in sizes:
            outbox = Outbox(client[f"outboxclaims_{size}"])
            await outbox.create_indexes()
            if size:
                await outbox.collection.insert_many([delivered(n) for n in range(size)])
            for n in range(pending):
                await outbox.add(event(n, f"due{size}"), [("webhook", "wh_probe")])
            claim_s = record_s = 0.0
            cpu_before = sum(process.cpu_times()[:2])
            for _ in range(pending):
                started = time.perf_counter()
                document = await outbox.claim(datetime.now(UTC), HOLD, [])
                claimed = time.perf_counter()
                assert document is not None, "a pending delivery was not claimed"
                attempt = Attempt(at=datetime.now(UTC), status=200, response="ok", duration_ms=12)
                await outbox.record(document, attempt, "delivered", None)
                claim_s += claimed - started
                record_s += time.perf_counter() - claimed
            cpu = sum(process.cpu_times()[:2]) - cpu_before
            figures = {
                "claim_ms": round(claim_s / pending * 1000, 2),
                "record_ms": round(record_s / pending * 1000, 2),
                "server_cpu_ms": round(cpu / pending * 1000, 2),
            }
            results["sizes"][size] = figures
            print(
                f"{size:>7} delivered  claim {figures['claim_ms']:8.2f} ms  record {figures['record_ms']:8.2f} ms  "
                f"{figures['server_cpu_ms']:8.2f} ms server CPU per delivery",
                flush=True,
            )
    finally:
        await client.close()
        await server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=None, help="the ferretdb binary (default: the one make infra uses)")
    parser.add_argument("--sizes", default="0,1000,5000", help="delivered deliveries kept, comma-separated")
    parser.add_argument("--pending", type=int, default=100, help="pending deliveries claimed and recorded per size")
    args = parser.parse_args()
    binary = args.binary or ferretdb_binary()
    if binary is None:
        raise SystemExit("no ferretdb binary: run `make infra` first, or pass --binary")
    sizes = [int(size) for size in args.sizes.split(",")]
    print(json.dumps(asyncio.run(measure(binary, sizes, args.pending)), indent=2))


if __name__ == "__main__":
    main()
