"""The push queue: pushes above MAX_DIRECT_PUSH wait in a Redis list, drained at a fixed rate.

A Redis list rather than a RabbitMQ queue: every replica pops from it (LPOP is atomic, so a
job goes to one replica), its length is one command away, and a job is small JSON. A job taken
by a replica that then crashes is lost: a notice, never a message (the conversation has it).
"""

from __future__ import annotations

import redis.asyncio as redis

from parley.stores import timed
from parley_notification import metrics
from parley_notification.push_sender import PushJob

# The drain loop wakes at most this often; at higher rates it takes several jobs per wake-up.
MIN_TICK_SECONDS = 0.1


class PushQueue:
    def __init__(self, client: redis.Redis, prefix: str, rate_per_second: float) -> None:
        self.redis = client
        self.key = f"{prefix}notification:push_queue"
        self.batch = max(1, round(rate_per_second * MIN_TICK_SECONDS))
        self.tick_seconds = self.batch / rate_per_second

    async def put(self, jobs: list[PushJob]) -> None:
        if not jobs:
            return
        with timed("redis", "push_queue_put"):
            length = await self.redis.rpush(self.key, *(job.to_json() for job in jobs))
        metrics.PUSH_QUEUED.inc(len(jobs))
        metrics.PUSH_QUEUE_LENGTH.set(length)

    async def take(self) -> list[PushJob]:
        """The next batch of the rate (one tick's worth)."""
        with timed("redis", "push_queue_take"):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpop(self.key, self.batch)
                pipe.llen(self.key)
                popped, length = await pipe.execute()
        metrics.PUSH_QUEUE_LENGTH.set(length)
        return [PushJob.from_json(text) for text in popped or []]
