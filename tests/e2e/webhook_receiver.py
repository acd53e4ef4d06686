"""Helpers, no tests: a real webhook receiver for the integrations end-to-end tests.

:class:`Receiver` is a local HTTP server standing for an outside system: it checks every request's
Standard Webhooks signature against the secrets it was given (a request none verifies is recorded
as a problem, never processed), keeps a ledger of what it processed by ``webhook-id`` (an
idempotent receiver: a second success of the same id would be a duplicate), and answers as the
test tells it: fail each id's first attempts, answer one status always, or hold a request.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from parley_fleet import free_port
from parley_integrations import signing

# At most this many first-attempt failures of `fail_one_in` answered in a row (see Receiver).
ONE_IN_FAILURES_IN_A_ROW = 2


@dataclass
class Received:
    delivery_id: str
    raw: bytes
    body: dict[str, Any]
    headers: dict[str, str]
    answered: int


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    # Every id's first `fail_first` attempts are answered `fail_status`.
    fail_first: int = 0
    fail_status: int = 503
    # Also the first attempt of one id in this many (by a hash of the id; 0: none) is answered
    # `fail_status`: some retries under steady traffic, without doubling every request. Never more
    # than ONE_IN_FAILURES_IN_A_ROW of those answers in a row: hashes do fall five in a row now and
    # then, which opens the sender's circuit (5 consecutive failures) and, whenever a half-open
    # trial meets another such id, keeps it open 30 s more; a healthy endpoint's retries are what
    # this tests; the circuit has its own (tests/unit/test_integrations_deliveries.py).
    fail_one_in: int = 0
    # When set, every request is answered this (after the first failures).
    always: int | None = None
    # Requests wait for this event before they are answered (None: answered at once).
    hold: asyncio.Event | None = None
    port: int = field(default_factory=free_port)
    attempts: Counter[str] = field(default_factory=Counter)
    processed: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)
    arrived: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _one_in_failures_in_a_row: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def subscribe(
        self, http: aiohttp.ClientSession, integrations_url: str, admin_token: str, spec: dict[str, Any]
    ) -> dict[str, Any]:
        """Registers this receiver (``spec``: event_types, channel_ids...) through the admin API
        and keeps the secret it answers, so every request can be verified."""
        async with http.post(
            f"{integrations_url}/integrations/webhooks",
            json={"url": self.url, **spec},
            headers={"Authorization": f"Bearer {admin_token}"},
        ) as response:
            created = await response.json()
            assert response.status == 201, created
        self.secrets.append(created["secret"])
        return created

    async def _serve(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        delivery_id = headers.get("webhook-id", "")
        if not any(signing.verify(secret, headers, body, time.time()) for secret in self.secrets):
            self.problems.append(f"unverified request {delivery_id!r}: {headers.get('webhook-signature')!r}")
            return web.Response(status=401)
        self.attempts[delivery_id] += 1
        if self.hold is not None:
            await self.hold.wait()
        status = 200
        if self.attempts[delivery_id] <= self.fail_first:
            status = self.fail_status
        elif self._fails_once(delivery_id):
            status = self.fail_status
            self._one_in_failures_in_a_row += 1
        elif self.always is not None:
            status = self.always
        if 200 <= status < 300:
            self._one_in_failures_in_a_row = 0
        received = Received(delivery_id, body, orjson.loads(body), headers, status)
        self.arrived.append(received)
        if 200 <= status < 300:
            self.processed[delivery_id].append(received)
        return web.Response(status=status, text="ok" if status < 300 else f"failing on purpose ({status})")

    def _fails_once(self, delivery_id: str) -> bool:
        one_of_them = self.fail_one_in and zlib.crc32(delivery_id.encode()) % self.fail_one_in == 0
        room = self._one_in_failures_in_a_row < ONE_IN_FAILURES_IN_A_ROW
        return bool(one_of_them) and self.attempts[delivery_id] == 1 and room

    def processed_events(self) -> Counter[str]:
        """How many times each event id was processed (an idempotent receiver: once each)."""
        return Counter(entry.body["data"]["event_id"] for entries in self.processed.values() for entry in entries)
