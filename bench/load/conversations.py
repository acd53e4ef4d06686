"""A visitor's conversation followed across reconnects: which seqs arrived, and whether the
gateway's ``resume`` filled the gap left while the link was down (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from bench.load.agent import request_patiently
from tests.kit.client import Frame, FrameId, WsClient

# How long a resume may take to answer (replay + resume.done) before it counts as failed.
RESUME_TIMEOUT_SECONDS = 15.0
# A resume refused with 9500/9503 (or unanswered) is tried again, like a client would.
RESUME_ATTEMPTS = 3
RESUME_RETRY_SECONDS = 2.0


class Tracked:
    def __init__(self, link: WsClient) -> None:
        self.link = link
        self.conversation_id = ""
        self.seqs: set[int] = set()
        self.duplicates = 0
        self.replayed = 0
        self.outcomes: Counter[str] = Counter()
        self._resume_id: FrameId | None = None
        self._resumed = asyncio.Event()
        self._outcome = ""

    async def start(self, channel_id: str) -> str:
        """Open a session and post the first message, which stores the conversation."""
        opened = await request_patiently(self.link, "session.open", {"channel_id": channel_id}, "session.opened")
        conversation_id = opened["data"]["conversation_id"]
        self.conversation_id = conversation_id
        data = {"conversation_id": conversation_id, "client_msg_id": f"hi-{uuid.uuid4().hex[:12]}", "body": "hello"}
        await request_patiently(self.link, "message.send", {**data, "kind": "text"}, "message.accepted")
        return conversation_id

    def contiguous(self) -> int:
        """The highest seq n such that 1..n have all arrived."""
        n = 0
        while n + 1 in self.seqs:
            n += 1
        return n

    def on_frame(self, frame: Frame) -> None:
        kind = frame.get("type")
        data = frame.get("data") or {}
        if kind == "message.new" and data.get("conversation_id") == self.conversation_id:
            seq = int(data["seq"])
            if seq in self.seqs:
                self.duplicates += 1
            self.seqs.add(seq)
            if self._resume_id is not None and not self._resumed.is_set():
                self.replayed += 1
        elif self._resume_id is not None and frame.get("id") == self._resume_id:
            if kind == "resume.done":
                self._finish("done")
            elif kind == "error":
                self._finish(f"error {data.get('code')}: {str(data.get('message'))[:60]}")

    def _finish(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self._outcome = outcome
        self._resumed.set()

    async def resume(self) -> None:
        """Ask for everything after the last contiguous seq and wait (bounded) for resume.done;
        retried like a client does when the answer is 9500/9503 or none (each try is counted)."""
        if not self.conversation_id:
            return
        for attempt in range(1, RESUME_ATTEMPTS + 1):
            outcome = await self._resume_once()
            if outcome == "done" or not outcome.startswith(("no answer", "error 9500", "error 9503")):
                return
            if attempt < RESUME_ATTEMPTS:
                await asyncio.sleep(RESUME_RETRY_SECONDS)

    async def _resume_once(self) -> str:
        self._resumed.clear()
        self._resume_id = self.link.next_id()
        self._outcome = ""
        data = {"conversation_id": self.conversation_id, "after_seq": self.contiguous()}
        try:
            await self.link.send("resume", data, frame_id=self._resume_id)
            await asyncio.wait_for(self._resumed.wait(), RESUME_TIMEOUT_SECONDS)
        except (TimeoutError, ConnectionError) as error:
            self._finish(f"no answer ({type(error).__name__})")
        return self._outcome

    def report(self) -> dict[str, Any]:
        return {
            "seqs": sorted(self.seqs),
            "duplicates": self.duplicates,
            "replayed": self.replayed,
            "resume": dict(self.outcomes),
        }
