"""Escalation, not floods: a live connection first, web push only for members without one.

A message for an offline member becomes an unread count (:mod:`pending_pushes`); when its
merge window ends the push is built, unless it went out of date meanwhile (read on another
device, older than the TTL, or the member is connected again). Pushes due together up to
MAX_DIRECT_PUSH devices are sent at once; a larger fan-out goes to the rate-limited queue,
where each job is checked for freshness again when its turn comes.
"""

from __future__ import annotations

import asyncio
import time

from parley.contracts.errors import ParleyError
from parley.contracts.events import MemberSeenEvent, MessageCreated
from parley.logs import get_logger
from parley_notification import metrics
from parley_notification.fanout import Fanout
from parley_notification.pending_pushes import PendingPushes, Unread
from parley_notification.push_payload import encode_notice, notice_for, preview_of
from parley_notification.push_queue import PushQueue
from parley_notification.push_sender import PushJob, PushSender
from parley_notification.subscriptions import Subscription, Subscriptions

log = get_logger("parley.notification")

# Due pushes are looked for this often: the merge window ends at most this late.
DUE_POLL_SECONDS = 0.25
# Due pushes claimed per poll; a larger backlog is taken over the next polls.
DUE_BATCH = 500
# The preview kept per unread conversation: the payload is cut to one push record anyway.
MAX_PREVIEW_CHARS = 4000


class Escalation:
    def __init__(
        self,
        pending: PendingPushes,
        subscriptions: Subscriptions,
        sender: PushSender,
        queue: PushQueue,
        fanout: Fanout,
        *,
        max_direct: int,
        ttl_seconds: int,
    ) -> None:
        self.pending = pending
        self.subscriptions = subscriptions
        self.sender = sender
        self.queue = queue
        self.fanout = fanout
        self.max_direct = max_direct
        self.ttl_seconds = ttl_seconds

    async def message_created(self, event: MessageCreated, reached: set[str]) -> None:
        """Count the message for every member it reached on no live connection."""
        message = event.message
        if message.kind == "notice":
            return  # "Olivia joined": not worth waking a phone for
        offline = [user for user in event.member_ids if user != message.author_id and user not in reached]
        if offline:
            preview = preview_of(message)[:MAX_PREVIEW_CHARS]
            await self.pending.add(offline, message.conversation_id, message.seq, message.author_name, preview)

    async def member_seen(self, event: MemberSeenEvent) -> None:
        if await self.pending.seen(event.user_id, event.conversation_id, event.seq):
            metrics.PUSH_SKIPPED.labels("seen").inc()

    async def dispatch_due(self) -> int:
        """Turn the pushes whose window ended into sends (or queue them); returns how many jobs."""
        unread = [item for item in await self.pending.claim_due(DUE_BATCH) if self._fresh(item.at_ms)]
        offline = await self._still_offline([item.user_id for item in unread])
        unread = [item for item in unread if item.user_id in offline]
        if not unread:
            return 0
        devices = await self.subscriptions.of_users([item.user_id for item in unread])
        jobs = _jobs_for(unread, devices)
        if len(jobs) <= self.max_direct:
            self.sender.spawn(jobs)
        else:
            await self.queue.put(jobs)
        return len(jobs)

    async def drain_queue(self) -> int:
        """Send one tick's worth of queued pushes that are still worth sending."""
        jobs = [job for job in await self.queue.take() if self._fresh(job.at_ms)]
        read = await self.pending.read_past([(job.subscription.user_id, job.conversation_id, job.seq) for job in jobs])
        metrics.PUSH_SKIPPED.labels("seen").inc(sum(read))
        jobs = [job for job, done in zip(jobs, read, strict=True) if not done]
        offline = await self._still_offline([job.subscription.user_id for job in jobs])
        self.sender.spawn([job for job in jobs if job.subscription.user_id in offline])
        return len(jobs)

    async def run_due(self, stopping: asyncio.Event) -> None:
        """Dispatch due pushes until the service stops (checked each round, not only by cancel)."""
        while not stopping.is_set():
            await self.dispatch_due()
            await asyncio.sleep(DUE_POLL_SECONDS)

    async def run_queue(self, stopping: asyncio.Event) -> None:
        """Drain the push queue at its rate until the service stops."""
        while not stopping.is_set():
            await self.drain_queue()
            await asyncio.sleep(self.queue.tick_seconds)

    def _fresh(self, at_ms: int) -> bool:
        if time.time() - at_ms / 1000 <= self.ttl_seconds:
            return True
        metrics.PUSH_SKIPPED.labels("stale").inc()
        return False

    async def _still_offline(self, user_ids: list[str]) -> set[str]:
        """Of these users, those with still no live connection (a connected one reads it there).

        If presence cannot say, every one counts as offline: a needless notice is better than
        a lost one."""
        try:
            connected = await self.fanout.connected(user_ids)
        except ParleyError as error:
            log.warning("push.presence_unknown", users=len(user_ids), error=error.message)
            return set(user_ids)
        metrics.PUSH_SKIPPED.labels("online").inc(sum(1 for user in user_ids if user in connected))
        return set(user_ids) - connected


def _jobs_for(unread: list[Unread], devices: list[Subscription]) -> list[PushJob]:
    """One job per device of each user with unread messages."""
    by_user: dict[str, list[Subscription]] = {}
    for device in devices:
        by_user.setdefault(device.user_id, []).append(device)
    jobs = []
    for item in unread:
        notice = notice_for(item.conversation_id, item.seq, item.count, item.author_name, item.preview)
        payload = encode_notice(notice).decode()
        jobs += [
            PushJob(device, item.conversation_id, item.seq, item.at_ms, payload)
            for device in by_user.get(item.user_id, [])
        ]
    return jobs
