"""Sending one web push (RFC 8030) with VAPID (RFC 8292), encrypted per RFC 8291 by pywebpush.

pywebpush 2.x has an asyncio API (``webpush_async`` over aiohttp), used here with one shared
session. A push answered 429 or 5xx, or lost on the network, is tried again with backoff
(honouring Retry-After); 404/410 mean the browser dropped the subscription, which is deleted;
any other refusal is logged and counted, not retried.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from dataclasses import asdict, dataclass

import aiohttp
import orjson
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from parley.logs import get_logger
from parley.outbound_urls import EndpointRefused, guarded_session
from parley_notification import metrics
from parley_notification.subscriptions import Subscription, Subscriptions

log = get_logger("parley.notification")

# Waits before the 2nd, 3rd, ... attempt: a push service that is briefly overloaded recovers
# within seconds; beyond ~15 s in total the notice is going stale anyway.
RETRY_BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0)
# A Retry-After longer than this is not waited for: the notice would be out of date.
MAX_RETRY_AFTER_SECONDS = 30.0
# Pushes in flight at once per replica: push services answer in ~100 ms, so this allows far
# more than the queue rate while bounding sockets and memory in a burst.
MAX_CONCURRENT_PUSHES = 100


@dataclass(frozen=True)
class PushJob:
    """One notice for one device (serialisable, for the queue)."""

    subscription: Subscription
    conversation_id: str
    seq: int
    at_ms: int
    payload: str

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str) -> PushJob:
        data = orjson.loads(text)
        return cls(**{**data, "subscription": Subscription(**data["subscription"])})


class PushSender:
    def __init__(
        self,
        vapid: Vapid02,
        subject: str,
        subscriptions: Subscriptions,
        *,
        ttl_seconds: int,
        max_attempts: int,
        timeout: float,
    ) -> None:
        self.vapid = vapid
        self.subject = subject
        self.subscriptions = subscriptions
        self.ttl_seconds = ttl_seconds
        self.max_attempts = max_attempts
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_PUSHES)
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, jobs: list[PushJob]) -> None:
        """Send in the background (retries must not hold up the next batch)."""
        for job in jobs:
            task = asyncio.create_task(self.send(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self, timeout: float) -> None:
        """Let pushes in flight finish (bounded), then close the HTTP session."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in self._tasks:
                task.cancel()
        if self._session is not None:
            await self._session.close()

    async def send(self, job: PushJob) -> None:
        """Deliver one push, retrying while the push service says "later"; never raises."""
        async with self._slots:
            try:
                for attempt in range(1, self.max_attempts + 1):
                    delay = await self._attempt(job)
                    if delay is None:
                        return
                    if attempt < self.max_attempts:
                        await asyncio.sleep(
                            delay or RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS)) - 1]
                        )
            except Exception:  # a background send must log, not vanish
                log.exception("push.failed", subscription=job.subscription.id)
        metrics.PUSH_FAILED.labels("exhausted").inc()
        log.warning("push.gave_up", subscription=job.subscription.id, attempts=self.max_attempts)

    async def _attempt(self, job: PushJob) -> float | None:
        """One try: None when done (sent or given up for good), else seconds to wait (0: backoff)."""
        if self._session is None:
            # The endpoint was checked when stored; checked again here, on every request (a
            # redirect's too) and on the addresses its name resolves to, which are the ones connected to.
            self._session = guarded_session(self.subscriptions.endpoint_rule)
        remaining = self.ttl_seconds - int(time.time() - job.at_ms / 1000)
        try:
            await webpush_async(
                job.subscription.info(),
                data=job.payload,
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},
                ttl=max(remaining, 1),
                headers={"Topic": _topic(job.conversation_id), "Urgency": "high"},
                timeout=self.timeout,
                aiohttp_session=self._session,
            )
        except WebPushException as error:
            return await self._refused(job, error)
        except EndpointRefused as error:
            # Not a push service (a stored endpoint from before the check, a DNS record changed
            # since, a redirect inwards): never retried, and forgotten, so it is not tried again.
            await self.subscriptions.forget(job.subscription)
            metrics.PUSH_FAILED.labels("refused").inc()
            log.warning("push.endpoint_refused", subscription=job.subscription.id, reason=str(error))
            return None
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("push.network_error", subscription=job.subscription.id, error=repr(error))
            return 0.0
        metrics.PUSH_SENT.inc()
        return None

    async def _refused(self, job: PushJob, error: WebPushException) -> float | None:
        status = error.status_code or 0
        if status in (404, 410):
            await self.subscriptions.forget(job.subscription)
            metrics.PUSH_FAILED.labels("gone").inc()
            log.info("push.subscription_gone", subscription=job.subscription.id, status=status)
            return None
        if status == 429 or status >= 500:
            return _retry_after(error.retry_after)
        metrics.PUSH_FAILED.labels("rejected").inc()
        log.warning("push.rejected", subscription=job.subscription.id, status=status, reason=str(error)[:300])
        return None


def _topic(conversation_id: str) -> str:
    """RFC 8030 Topic (≤ 32 base64url characters): a newer push of the conversation replaces an
    undelivered older one at the push service, so a device coming back gets one notice, not a burst."""
    return base64.urlsafe_b64encode(hashlib.sha256(conversation_id.encode()).digest()[:24]).decode()


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 0), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:  # an HTTP date: fall back to our own backoff
        return 0.0
