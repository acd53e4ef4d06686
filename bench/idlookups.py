"""Lookups by ``_id`` on the MongoDB-wire server: do they stay constant as a collection grows?

Every message costs chat_session a read and an update of its conversation by ``_id``. On
MongoDB both are index lookups. FerretDB v1.24.2's SQLite backend compares a JSON expression
its ``_id`` index is not built on, so each was a table scan (the update two); `make infra`
builds FerretDB with deploy/infra/ferretdb-sqlite-id-index.patch, which fixes that. This probe
starts a private FerretDB of the given binary, fills collections of conversation-shaped
documents and times ``find_one`` and ``update_one`` by random ``_id``: time and FerretDB CPU per
operation, per collection size.

``python -m bench.idlookups [--binary PATH] [--sizes 100,1000,5000] [--operations 200]``
prints one line per size and operation, then JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from pymongo import AsyncMongoClient

from bench.privatedb import PrivateFerretDB, ferretdb_binary


def conversation(conversation_id: str) -> dict[str, Any]:
    """A document about the size and shape of a live conversation."""
    stamp = datetime.now(UTC)
    return {
        "_id": conversation_id,
        "channel_id": "ch_probe",
        "status": "open",
        "member_ids": ["v_1", "o_1"],
        "members": {
            user: {"role": role, "name": role.title(), "last_seen_seq": 0}
            for user, role in (("v_1", "visitor"), ("o_1", "operator"))
        },
        "history": [{"event": "created", "user_id": "v_1", "at": stamp}],
        "last_seq": 0,
        "last_activity_at": stamp,
        "created_at": stamp,
    }


async def per_operation(
    process: psutil.Process, count: int, operation: Callable[[int], Awaitable[Any]]
) -> dict[str, float]:
    cpu_before, started = sum(process.cpu_times()[:2]), time.perf_counter()
    for n in range(count):
        await operation(n)
    wall, cpu = time.perf_counter() - started, sum(process.cpu_times()[:2]) - cpu_before
    return {"ms": round(wall / count * 1000, 3), "server_cpu_ms": round(cpu / count * 1000, 3)}


async def measure(binary: str, sizes: list[int], operations: int) -> dict[str, Any]:
    server = PrivateFerretDB(binary, Path(tempfile.mkdtemp(prefix="parley-idlookups-")) / "ferretdb.log")
    await server.start()
    process = psutil.Process(server.pid)
    client: AsyncMongoClient = AsyncMongoClient(server.url)
    results: dict[str, Any] = {"binary": binary, "sizes": {}}
    try:
        for size in sizes:
            collection = client["idlookups"][f"conversations_{size}"]
            ids = [f"c_{size}_{n:07d}" for n in range(size)]
            await collection.insert_many([conversation(conversation_id) for conversation_id in ids])
            picks = [random.choice(ids) for _ in range(operations)]
            find = await per_operation(
                process,
                operations,
                lambda n, collection=collection, picks=picks: collection.find_one({"_id": picks[n]}),
            )
            update = await per_operation(
                process,
                operations,
                lambda n, collection=collection, picks=picks: collection.update_one(
                    {"_id": picks[n]}, {"$max": {"last_seq": n + 1}}
                ),
            )
            results["sizes"][size] = {"find_one": find, "update_one": update}
            for name, figures in (("find_one", find), ("update_one", update)):
                print(
                    f"{size:>7} documents  {name:<10} {figures['ms']:8.2f} ms  "
                    f"{figures['server_cpu_ms']:8.2f} ms server CPU",
                    flush=True,
                )
    finally:
        await client.close()
        await server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=None, help="the ferretdb binary (default: the one make infra uses)")
    parser.add_argument("--sizes", default="100,1000,5000", help="collection sizes, comma-separated")
    parser.add_argument("--operations", type=int, default=200, help="lookups and updates timed per size")
    args = parser.parse_args()
    binary = args.binary or ferretdb_binary()
    if binary is None:
        raise SystemExit("no ferretdb binary: run `make infra` first, or pass --binary")
    sizes = [int(size) for size in args.sizes.split(",")]
    print(json.dumps(asyncio.run(measure(binary, sizes, args.operations)), indent=2))


if __name__ == "__main__":
    main()
