"""The sender: takes due deliveries from the outbox, sends each signed, records the outcome.

Every request goes through :func:`parley.outbound_urls.guarded_session` (public addresses only,
checked on the address connected to; redirects are not followed). One endpoint gets at most
``integrations_endpoint_concurrency`` requests at once and ``integrations_endpoint_rate`` per
second, and an endpoint that keeps failing opens its circuit (retries.Circuit): while it is open
its deliveries are not claimed at all, so they wait without spending attempts. Limits and
circuits are per replica.

A new delivery wakes the sender at once; retries come due by the poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiohttp
import orjson

from parley.bus import Bus
from parley.contracts.agents import BotFailed
from parley.logs import get_logger
from parley.outbound_urls import EndpointRefused, EndpointRule, guarded_session
from parley_integrations import metrics, signing
from parley_integrations.outbox import MAX_RESPONSE_EXCERPT, Attempt, DeliveryState, Outbox
from parley_integrations.registry import Registry
from parley_integrations.reply_tokens import ReplyTokens
from parley_integrations.retries import Circuit, TokenBucket, backoff, retry_after, verdict
from parley_integrations.settings import IntegrationsSettings

log = get_logger("parley.integrations.sender")
USER_AGENT = "Parley-Webhooks/1"


class Sender:
    def __init__(
        self,
        outbox: Outbox,
        registries: dict[str, Registry],
        rule: EndpointRule,
        settings: IntegrationsSettings,
        reply_tokens: ReplyTokens,
        bus: Bus,
    ) -> None:
        self.outbox = outbox
        self.reply_tokens = reply_tokens
        self.bus = bus
        self.registries = registries
        self.rule = rule
        self.settings = settings
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._per_endpoint: dict[str, int] = defaultdict(int)
        self._circuits: dict[str, Circuit] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._session: aiohttp.ClientSession | None = None

    def wake(self) -> None:
        self._wake.set()

    def _circuit(self, endpoint_id: str) -> Circuit:
        if endpoint_id not in self._circuits:
            self._circuits[endpoint_id] = Circuit(
                self.settings.integrations_breaker_failures, self.settings.integrations_breaker_open_seconds
            )
        return self._circuits[endpoint_id]

    def _bucket(self, endpoint_id: str) -> TokenBucket:
        if endpoint_id not in self._buckets:
            self._buckets[endpoint_id] = TokenBucket(self.settings.integrations_endpoint_rate)
        return self._buckets[endpoint_id]

    def busy_endpoints(self, now: float) -> list[str]:
        """Endpoints whose deliveries must not be claimed now: at their concurrency, out of rate,
        or behind an open circuit."""
        limit = self.settings.integrations_endpoint_concurrency
        busy = {endpoint for endpoint, count in self._per_endpoint.items() if count >= limit}
        busy |= {endpoint for endpoint, circuit in self._circuits.items() if not circuit.allows(now)}
        busy |= {endpoint for endpoint, bucket in self._buckets.items() if not bucket.ready(now)}
        return sorted(busy)

    async def run(self, stopping: asyncio.Event) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.integrations_delivery_timeout_seconds)
        self._session = guarded_session(self.rule, timeout=timeout)
        try:
            while not stopping.is_set():
                claimed = await self._claim_due()
                if claimed == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.integrations_poll_seconds)
        finally:
            await self.finish(self.settings.shutdown_timeout_seconds / 3)

    async def _claim_due(self) -> int:
        claimed = 0
        hold = timedelta(seconds=self.settings.integrations_claim_seconds)
        while len(self._in_flight) < self.settings.integrations_max_in_flight:
            document = await self.outbox.claim(datetime.now(UTC), hold, self.busy_endpoints(time.monotonic()))
            if document is None:
                break
            claimed += 1
            task = asyncio.create_task(self._attempt(document))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return claimed

    async def _attempt(self, document: dict[str, Any]) -> None:
        endpoint_id: str = document["endpoint_id"]
        kind: str = document["endpoint_kind"]
        self._per_endpoint[endpoint_id] += 1
        try:
            await self._send(document, kind, endpoint_id)
        except Exception:
            log.exception("integrations.attempt_failed", delivery=document["_id"])
        finally:
            self._per_endpoint[endpoint_id] -= 1
            if self._per_endpoint[endpoint_id] <= 0:
                del self._per_endpoint[endpoint_id]
            metrics.CIRCUITS_OPEN.set(sum(circuit.is_open for circuit in self._circuits.values()))
            self.wake()  # this endpoint may take the next one now

    async def _send(self, document: dict[str, Any], kind: str, endpoint_id: str) -> None:
        started_at = datetime.now(UTC)
        endpoint = await self.registries[kind].endpoint_of(kind, endpoint_id, started_at)
        if endpoint is None:
            metrics.FAILED.labels(kind, "gone").inc()
            await self._finish(
                document,
                kind,
                Attempt(at=started_at, status=None, error="the endpoint was deleted", duration_ms=0),
                "dead",
            )
            return
        now = time.monotonic()
        circuit = self._circuit(endpoint_id)
        if not circuit.allows(now) or not self._bucket(endpoint_id).take(now):
            # Another task of this endpoint opened its circuit or took the last token meanwhile.
            await self.outbox.postpone(document, started_at + timedelta(seconds=1))
            return
        circuit.started()
        body = self._body(document)
        headers = signing.headers(endpoint.secrets, document["_id"], int(started_at.timestamp()), body)
        headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
        status: int | None = None
        error = ""
        excerpt = ""
        retry_header: str | None = None
        refused = False
        assert self._session is not None
        try:
            async with self._session.post(endpoint.url, data=body, headers=headers, allow_redirects=False) as response:
                status = response.status
                retry_header = response.headers.get("Retry-After")
                excerpt = (await response.content.read(MAX_RESPONSE_EXCERPT)).decode(errors="replace")
            metrics.LATENCY.labels(kind).observe(time.monotonic() - now)
        except EndpointRefused as refusal:
            error, refused = str(refusal), True
            metrics.FAILED.labels(kind, "refused").inc()
        except TimeoutError:
            error = f"no answer within {self.settings.integrations_delivery_timeout_seconds} s"
            metrics.FAILED.labels(kind, "timeout").inc()
        except aiohttp.ClientError as failure:
            error = f"{type(failure).__name__}: {failure}"[:MAX_RESPONSE_EXCERPT]
            metrics.FAILED.labels(kind, "network").inc()
        # A URL that became private (a changed DNS record) is refused for good, not retried.
        outcome = "dead" if refused else verdict(status)
        if status is not None and outcome != "delivered":
            reason = "status_429" if status == 429 else "status_5xx" if status >= 500 else "status_4xx"
            metrics.FAILED.labels(kind, reason).inc()
            error = f"answered {status}"
        finished_at = datetime.now(UTC)
        attempt = Attempt(
            at=started_at,
            status=status,
            error=error,
            response=excerpt,
            duration_ms=int((finished_at - started_at).total_seconds() * 1000),
        )
        if outcome == "retry":
            was_open = circuit.is_open
            circuit.failed(time.monotonic())
            if circuit.is_open:
                # Its deliveries wait, unclaimed, until a trial succeeds: say so, with the reason.
                # A failure while it is open (the trial's, or one sent before it opened) starts the
                # wait again.
                log.warning(
                    "integrations.circuit_opened" if not was_open else "integrations.circuit_kept_open",
                    endpoint_id=endpoint_id,
                    consecutive_failures=circuit.failures,
                    status=status,
                    error=error[:200],
                    reopens_in_seconds=circuit.open_seconds,
                )
        else:
            if circuit.is_open:
                log.info("integrations.circuit_closed", endpoint_id=endpoint_id)
            circuit.succeeded()  # answered: the endpoint is up, even when it refused this one
        if outcome == "retry" and document["attempts"] + 1 < self.settings.integrations_max_attempts:
            wait = backoff(
                document["attempts"] + 1,
                self.settings.integrations_retry_base_seconds,
                self.settings.integrations_retry_max_seconds,
            )
            asked = retry_after(retry_header, finished_at, self.settings.integrations_retry_max_seconds)
            due = finished_at + timedelta(seconds=max(wait, asked or 0.0))
            await self.outbox.record(document, attempt, "pending", due)
            return
        await self._finish(document, kind, attempt, "delivered" if outcome == "delivered" else "dead")

    def _body(self, document: dict[str, Any]) -> bytes:
        """What this attempt sends: the stored body, and for a bot a fresh reply token of the
        conversation (an old attempt's token may have expired by a late retry)."""
        body: str = document["body"]
        conversation = document.get("conversation_id")
        if document["endpoint_kind"] != "bot" or not conversation:
            return body.encode()
        token = self.reply_tokens.mint(document["endpoint_id"], conversation)
        return orjson.dumps({**orjson.loads(body), "reply_token": token})

    async def _finish(self, document: dict[str, Any], kind: str, attempt: Attempt, state: DeliveryState) -> None:
        await self.outbox.record(document, attempt, state, None)
        if state == "delivered":
            metrics.SENT.labels(kind).inc()
            return
        metrics.DEAD.labels(kind).inc()
        if kind == "bot" and document.get("conversation_id"):
            # chat_session applies the bot's failure policy to the conversation.
            await self.bus.publish_event(
                BotFailed(
                    bot_id=document["endpoint_id"],
                    conversation_id=document["conversation_id"],
                    event_id=document["event_id"],
                    reason=_failure_reason(attempt),
                    detail=f"{document['attempts'] + 1} attempts; last: {attempt.error}"[:1000],
                    occurred_at=attempt.at,
                )
            )
        log.warning(
            "integrations.dead_lettered",
            delivery=document["_id"],
            endpoint=document["endpoint_id"],
            error=attempt.error,
        )

    async def finish(self, timeout: float) -> None:
        """Lets attempts in flight end (up to ``timeout``); one cut short stays claimed and comes
        due again after its claim, under the same id."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        if self._session is not None:
            await self._session.close()
            self._session = None


def _failure_reason(attempt: Attempt) -> Literal["unreachable", "timeout", "refused"]:
    if attempt.status is None:
        return "timeout" if attempt.error.startswith("no answer") else "unreachable"
    return "refused" if 400 <= attempt.status < 500 and attempt.status != 429 else "unreachable"
