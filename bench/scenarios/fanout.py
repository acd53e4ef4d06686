"""Scenario 3, fan-out: one message to a conversation watched by M connections.

Parley: M connections of one operator (the same login, as an operator console open in many
tabs), the operator serving one visitor's conversation; the visitor posts, and the time until
the last of the M sockets has the ``message.new`` is measured. The aiohttp floor broadcasts to
M sockets; Centrifugo publishes (server API) to a channel M clients subscribe to.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp

from bench.baselines.servers import FANOUT_CHANNEL, Centrifugo
from bench.environment import ParleyUnderTest
from bench.load.dialects import FloorDialect
from bench.load.links import dial, new_link
from bench.procstats import CpuSpan, Watch
from bench.scenarios.targets import Target, shares
from bench.settings import Sizes
from bench.stats import latency_ms
from bench.workers import WorkerPool
from tests.kit.client import PARLEY, Data, WsClient

# Between probes: each one lands on a quiet system, as a single announcement would.
PROBE_INTERVAL_SECONDS = 1.0
# How long the last recipients of a probe may take before they count as missing.
PROBE_TIMEOUT_SECONDS = 10.0


class Driver:
    """Sends the probes to one kind of server (a visitor's post, a broadcast, an API publish)."""

    def __init__(self) -> None:
        self.session = aiohttp.ClientSession()
        self.link: WsClient | None = None

    async def credentials(self, count: int) -> list[str]:
        return ["floor"] * count

    async def ready(self, pool: WorkerPool) -> None:
        return None

    async def send(self, body: str) -> None:
        assert self.link is not None
        await self.link.send("broadcast", {"body": body})

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()
        await self.session.close()


class FloorDriver(Driver):
    def __init__(self, ws_url: str) -> None:
        super().__init__()
        self.ws_url = ws_url

    async def ready(self, pool: WorkerPool) -> None:
        self.link = new_link(FloorDialect(), lambda *_: None, "floor")
        await dial(self.link, self.session, self.ws_url)


class CentrifugoDriver(Driver):
    def __init__(self, server: Centrifugo) -> None:
        super().__init__()
        self.server = server

    async def credentials(self, count: int) -> list[str]:
        return [self.server.token(f"watcher-{n}") for n in range(count)]

    async def ready(self, pool: WorkerPool) -> None:
        await pool.call_all("subscribe", channel=FANOUT_CHANNEL)

    async def send(self, body: str) -> None:
        await self.server.publish(self.session, {"body": body})


class ParleyDriver(Driver):
    def __init__(self, parley: ParleyUnderTest) -> None:
        super().__init__()
        self.parley = parley
        self.conversation_id = ""

    async def credentials(self, count: int) -> list[str]:
        operator = (await self.parley.create_operators(1, f"fanout-{uuid.uuid4().hex[:6]}"))[0]
        self.channel_id = await self.parley.create_channel("fanout", [operator["uid"]])
        login = await self.parley.login(username=operator["username"], password=operator["password"])
        return [login["token"]] * count

    async def ready(self, pool: WorkerPool) -> None:
        await asyncio.sleep(2.0)  # presence learns of the operator's connections from bus events
        visitor = await self.parley.login(device_id=f"fanout-visitor-{uuid.uuid4().hex}")
        self.link = new_link(PARLEY, lambda *_: None, visitor["token"])
        await dial(self.link, self.session, self.parley.ws_url)
        opened = await self.link.request("session.open", {"channel_id": self.channel_id})
        self.conversation_id = opened["data"]["conversation_id"]
        await self.link.request("message.send", self._message("hello"))

    def _message(self, body: str) -> Data:
        return {
            "conversation_id": self.conversation_id,
            "client_msg_id": uuid.uuid4().hex,
            "kind": "text",
            "body": body,
        }

    async def send(self, body: str) -> None:
        assert self.link is not None
        await self.link.send("message.send", self._message(body))


async def run_fanout(target: Target, driver: Driver, sizes: Sizes) -> dict[str, Any]:
    watchers = sizes.fanout_watchers
    pool = WorkerPool("bench.load.crowd:CrowdAgent", sizes.workers, url=target.ws_url, dialect=target.dialect)
    await pool.start()
    try:
        credentials = await driver.credentials(watchers)
        counts = shares(watchers, sizes.workers)
        offsets = [sum(counts[:i]) for i in range(len(counts))]
        await pool.call_all(
            "add_links", [{"credentials": credentials[o : o + n]} for o, n in zip(offsets, counts, strict=True)]
        )
        started = time.perf_counter()
        connects = await pool.call_all("connect")
        connect_seconds = time.perf_counter() - started
        connected = sum(c["connected"] for c in connects)
        await driver.ready(pool)
        watch = Watch({target.process: target.pid, **target.companions})
        span = CpuSpan(watch).start()
        sent_at: dict[str, float] = {}
        for n in range(sizes.fanout_probes):
            probe = f"{n}"
            sent_at[probe] = time.time()
            await driver.send(f"P|{probe}|{sent_at[probe]:.6f}")
            await asyncio.sleep(PROBE_INTERVAL_SECONDS)
        receipts = await _collect(pool, sent_at, connected)
        span.stop()
    finally:
        await driver.close()
        await pool.stop()
    last = [max(times) - sent_at[p] for p, times in receipts.items() if times]
    first = [min(times) - sent_at[p] for p, times in receipts.items() if times]
    delivered = sum(len(times) for times in receipts.values())
    return {
        "target": target.name,
        "watchers": connected,
        "requested": watchers,
        "connect_seconds": round(connect_seconds, 2),
        "connect_errors": dict(sum((Counter(c["errors"]) for c in connects), Counter())),
        "probes": len(sent_at),
        "last_recipient_ms": latency_ms(last),
        "first_recipient_ms": latency_ms(first),
        # first to last recipient: the fan-out itself, without the path to the first socket
        "spread_ms": latency_ms([end - start for end, start in zip(last, first, strict=True)]),
        "deliveries": delivered,
        "deliveries_expected": len(sent_at) * connected,
        "cpu_seconds_per_probe": {name: round(used / max(1, len(sent_at)), 4) for name, used in span.used.items()},
    }


async def _collect(pool: WorkerPool, sent_at: dict[str, float], watchers: int) -> dict[str, list[float]]:
    """Every recipient's receipt times per probe, once all arrived or the timeout ran out."""
    deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
    while True:
        merged: dict[str, list[float]] = {probe: [] for probe in sent_at}
        for worker in await pool.call_all("probe_receipts"):
            for probe, times in worker.items():
                merged.setdefault(probe, []).extend(times)
        if all(len(merged[p]) >= watchers for p in sent_at) or time.monotonic() > deadline:
            return {p: merged[p] for p in sent_at}
        await asyncio.sleep(0.5)
