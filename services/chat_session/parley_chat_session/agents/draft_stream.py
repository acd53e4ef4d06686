"""Sending a draft's deltas to the members as batched ``message.delta`` frames (delta_batching.py).

Each replica batches the deltas it applied; a frame's ``offset`` says where its text goes, so
frames of two replicas interleave safely (a client ignores what it has and reads history for
what it misses). Timers are tasks of this process: a stop cancels them, and the finished
message, stored before any frame is owed, carries the whole text anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from parley.contracts.frames import MessageDelta
from parley.logs import get_logger
from parley_chat_session.agents.delta_batching import DraftBuffer, Piece
from parley_chat_session.agents.drafts import DRAFT_IDLE_SECONDS
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.metrics import DELTA_FRAMES

log = get_logger("parley.chat_session")


@dataclass
class _Target:
    doc: Conversation
    author_id: str
    author_name: str
    buffer: DraftBuffer


class DeltaStream:
    def __init__(self, announcer: Announcer, clock: Callable[[], float] = time.monotonic) -> None:
        self._announce = announcer
        self._clock = clock
        self._drafts: dict[str, _Target] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    async def add(
        self, doc: Conversation, draft_id: str, author_id: str, author_name: str, offset: int, text: str
    ) -> None:
        """Send ``text`` (at ``offset`` of the draft) now, or with the next batch of the draft."""
        self._forget_idle()
        target = self._drafts.setdefault(draft_id, _Target(doc, author_id, author_name, DraftBuffer()))
        target.doc = doc  # the members as last read
        wait = target.buffer.add(Piece(offset, text), self._clock())
        if wait <= 0:
            await self._flush(draft_id)
        elif draft_id not in self._timers:
            self._timers[draft_id] = asyncio.create_task(self._flush_after(draft_id, wait))

    async def end(self, draft_id: str) -> None:
        """The draft is finished: what waits goes now, before its message."""
        timer = self._timers.pop(draft_id, None)
        if timer is not None:
            timer.cancel()
        await self._flush(draft_id)
        self._drafts.pop(draft_id, None)

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def _flush_after(self, draft_id: str, wait: float) -> None:
        await asyncio.sleep(wait)
        self._timers.pop(draft_id, None)
        try:
            await self._flush(draft_id)
        except Exception:  # the finished message still carries the text
            log.exception("chat_session.delta_flush_failed", draft_id=draft_id)

    async def _flush(self, draft_id: str) -> None:
        target = self._drafts.get(draft_id)
        if target is None:
            return
        for piece in target.buffer.take(self._clock()):
            delta = MessageDelta(
                conversation_id=target.doc.id,
                draft_id=draft_id,
                author_id=target.author_id,
                author_name=target.author_name,
                offset=piece.offset,
                text=piece.text,
            )
            await self._announce.delta(target.doc, delta)
            DELTA_FRAMES.inc()

    def _forget_idle(self) -> None:
        """Drafts whose bot went quiet (expired in Redis too) are dropped from memory."""
        horizon = self._clock() - DRAFT_IDLE_SECONDS
        idle = [
            draft_id
            for draft_id, target in self._drafts.items()
            if not target.buffer.pending
            and (target.buffer.last_sent_at or 0) < horizon
            and draft_id not in self._timers
        ]
        for draft_id in idle:
            del self._drafts[draft_id]
