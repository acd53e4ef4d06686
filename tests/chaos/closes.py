"""Closes in flight: while a phase runs, visitors of their own open a conversation, say one thing
and close it, again and again, so faults hit closes as well as messages.

A close is a state change with consequences beyond the stored document: a notice in the
conversation, ``conversation.updated`` (closed) to every member, ``conversation.closed`` for the
chatbot, notification and the webhooks, the operator's slot given back. Its verdict mirrors a
message's: every close the server acknowledged (``ok``) is stored as closed, and reached every
member who followed the conversation, within the settle time. A close unanswered or refused with
a retryable code is asked again with the same frame, as a client does; closing a closed
conversation is answered ``ok`` (docs/protocol.md), so a retry whose first attempt went through is
acknowledged too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.members import Member
from tests.chaos.traffic import ANSWER_TIMEOUT_SECONDS, RETRY_PAUSE_SECONDS, RETRYABLE

# Between a conversation's first message and its close: a visitor spends most of its time with a
# close about to go, so a fault usually finds closes to hit (opening needs Redis and the broker:
# during their outage no new conversation is ready to close).
PAUSE_SECONDS = 1.5
# How long an acknowledged close gets to reach every member after the phase (a resume after a
# reconnect, or the gateway's state re-sent after its link came back, takes a few seconds).
TOLD_WITHIN_SECONDS = 20.0


@dataclass
class Close:
    phase: str
    conversation_id: str
    visitor: Member
    acknowledged: bool = False
    attempts: int = 0


@dataclass
class CloseRow:
    asked: int = 0
    retried: int = 0  # closes asked more than once: in flight when the fault hit
    acknowledged: int = 0
    stored: int = 0
    told: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.lost == 0


class Closes:
    def __init__(self, visitors: list[Member], channel_id: str) -> None:
        self.visitors = visitors
        self.channel_id = channel_id
        self.closes: list[Close] = []
        self.phase = "setup"
        self._running = False
        self._give_up_at = 0.0
        self._cyclers: list[asyncio.Task[None]] = []

    def start(self, phase: str) -> None:
        self.phase, self._running = phase, True
        self._cyclers = [asyncio.create_task(self._cycle(visitor)) for visitor in self.visitors]

    async def stop(self, grace: float) -> None:
        """No new conversations; a close (or the steps before it) still unanswered is asked again
        for up to ``grace`` seconds."""
        self._running = False
        self._give_up_at = time.monotonic() + grace
        await asyncio.gather(*self._cyclers)

    def of_phase(self, phase: str) -> list[Close]:
        return [close for close in self.closes if close.phase == phase]

    async def _cycle(self, visitor: Member) -> None:
        while self._running:
            opened = await self._ask(visitor, "session.open", {"channel_id": self.channel_id}, "session.opened")
            if opened is None:
                continue
            conversation_id = opened["data"]["conversation_id"]
            visitor.follow(conversation_id)
            said = {
                "conversation_id": conversation_id,
                "client_msg_id": f"close.{uuid.uuid4().hex[:12]}",
                "kind": "text",
                "body": "a question, then goodbye",
            }
            if await self._ask(visitor, "message.send", said, "message.accepted") is None:
                continue
            await asyncio.sleep(PAUSE_SECONDS)
            close = Close(self.phase, conversation_id, visitor)
            self.closes.append(close)
            answer = await self._ask(
                visitor, "conversation.close", {"conversation_id": conversation_id}, "ok", close=close
            )
            close.acknowledged = answer is not None

    async def _ask(
        self, member: Member, frame_type: str, data: dict[str, Any], answer_type: str, close: Close | None = None
    ) -> dict | None:
        """The answer of type ``answer_type``, asked again while unanswered or refused with a
        retryable code; None when refused for good or when the phase's grace ran out. A close's
        attempts are counted on it (more than one: the fault hit it)."""
        while self._running or time.monotonic() < self._give_up_at:
            if close is not None:
                close.attempts += 1
            try:
                answer = await member.request(frame_type, data, timeout=ANSWER_TIMEOUT_SECONDS)
            except (ConnectionError, TimeoutError):
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            if answer["type"] == answer_type:
                return answer
            if answer["data"].get("code") not in RETRYABLE:
                return None
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
        return None


def check_closes(closes: list[Close], stored: dict[str, dict[str, Any]], members: dict[str, Member]) -> CloseRow:
    """``stored``: each conversation's document (status, member_ids); ``members``: the clients by
    user id. A close counts as told to a member who followed its conversation on a socket
    (its messages, or its state), as docs/delivery.md promises; a member assigned while its
    socket was away and never told of the conversation is not (the console's reads cover it)."""
    row = CloseRow()
    for close in closes:
        row.asked += 1
        row.retried += close.attempts > 1
        if not close.acknowledged:
            continue
        row.acknowledged += 1
        doc = stored.get(close.conversation_id)
        status = None if doc is None else doc.get("status")
        lost = False
        if status != "closed":
            row.problems.append(f"close lost: {close.conversation_id} acknowledged but stored as {status}")
            lost = True
        else:
            row.stored += 1
        for user_id in [] if doc is None else doc.get("member_ids", []):
            member = members.get(user_id)
            if member is None or close.conversation_id not in member.followed:
                continue
            if close.conversation_id not in member.closed:
                row.problems.append(f"close lost: {close.conversation_id} closed, never told to member {user_id}")
                lost = True
        row.lost += lost
        row.told += not lost
    return row
