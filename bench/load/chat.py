"""Chat traffic in one worker: visitor+operator conversations exchanging messages at a rate.

Sending is open-loop: message k of a step goes out at start + k/rate whether or not earlier
ones were answered, so a slow server shows up as latency and backlog instead of quietly
lowering the offered load. Each body carries its send time; the *other* member's link
computes the end-to-end latency when the ``message.new`` arrives. Both members of every
conversation live in this worker (it has its own channel and operators), so the same clock
stamps both ends and the worker alone knows what was accepted and what arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load.agent import Agent, bounded, connect_patiently, request_patiently
from bench.load.links import dial, new_link
from tests.kit.client import Frame, WsClient

# A sender that stops getting answers stops adding load beyond this many unanswered sends
# (per worker), so a saturated fleet is reported as such instead of buried for minutes.
MAX_UNANSWERED = 3000


@dataclass
class Pair:
    conversation_id: str
    visitor: WsClient
    operator: WsClient | None = None


@dataclass
class Step:
    label: str
    started: float = 0.0
    ends: float = 0.0
    sent: int = 0
    held_back: int = 0
    accepted: set[tuple[str, int]] = field(default_factory=set)
    received: set[tuple[str, int]] = field(default_factory=set)
    received_in_window: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    accept_latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0


class ChatAgent(Agent):
    def __init__(self, url: str, auth_url: str, **init: Any) -> None:
        super().__init__(**init)
        self.url = url
        self.auth_url = auth_url
        self.operators: dict[str, WsClient] = {}
        self.pairs: list[Pair] = []
        self.steps: dict[str, Step] = {}
        self._operator_of: dict[str, str] = {}
        self._unanswered: dict[str, tuple[Step, float]] = {}

    async def setup(
        self,
        channel_id: str,
        operators: list[dict[str, str]],
        conversations: int,
        device_prefix: str,
        login_concurrency: int = 1,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        for operator in operators:
            login = await self.login_one(
                self.auth_url, {"username": operator["username"], "password": operator["password"]}
            )
            link = new_link(self.dialect, self._on_push, login["token"])
            await connect_patiently(link, self.session, self.url)
            self.operators[link.uid] = link
        await asyncio.sleep(1.0)  # presence learns of the operators from a bus event
        devices = [f"{device_prefix}-w{self.index}-{n}" for n in range(conversations)]
        logins, _ = await self.login_visitors(self.auth_url, devices, login_concurrency)
        visitors = [new_link(self.dialect, self._on_push, login["token"]) for login in logins if login is not None]
        await bounded(32, (lambda link=link: dial(link, self.session, self.url) for link in visitors))
        # A few at a time: the least-busy operator choice sees the previous conversations.
        opened = await bounded(4, (lambda link=link: self._open(link, channel_id) for link in visitors if link.is_open))
        self.pairs = [pair for pair in opened if isinstance(pair, Pair)]
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and len(self._operator_of) < len(self.pairs):
            await asyncio.sleep(0.1)
        for pair in self.pairs:
            pair.operator = self.operators.get(self._operator_of.get(pair.conversation_id, ""))
        failures = Counter(f"{type(p).__name__}: {str(p)[:120]}" for p in opened if not isinstance(p, Pair))
        return {
            "conversations": len(self.pairs),
            "with_operator": sum(pair.operator is not None for pair in self.pairs),
            "operators": len(self.operators),
            "failures": dict(failures),
            "seconds": time.perf_counter() - started,
        }

    async def _open(self, link: WsClient, channel_id: str) -> Pair:
        opened = await request_patiently(link, "session.open", {"channel_id": channel_id}, "session.opened")
        conversation_id = opened["data"]["conversation_id"]
        data = {
            "conversation_id": conversation_id,
            "client_msg_id": f"hello-{link.uid}",
            "kind": "text",
            "body": "hello",
        }
        await request_patiently(link, "message.send", data, "message.accepted")
        return Pair(conversation_id, link)

    def _on_push(self, link: WsClient, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "message.new":
            self._on_message(link, frame["data"])
        elif kind == "message.accepted" or kind == "error":
            pending = self._unanswered.pop(str(frame.get("id")), None)
            if pending is None:
                return
            step, sent = pending
            step.in_flight -= 1
            if kind == "error":
                step.errors[str(frame["data"].get("code"))] += 1
                return
            message = frame["data"]["message"]
            step.accepted.add((message["conversation_id"], int(message["seq"])))
            step.accept_latencies.append(time.time() - sent)
        elif kind == "conversation.updated":
            data = frame["data"]
            if data.get("operator_id"):
                self._operator_of[data["conversation_id"]] = data["operator_id"]
            else:
                others = [m for m in data.get("member_ids", []) if m in self.operators]
                if others:
                    self._operator_of[data["conversation_id"]] = others[0]

    def _on_message(self, link: WsClient, data: dict[str, Any]) -> None:
        message = data["message"]
        body = message.get("body")
        if message.get("author_id") == link.uid or not isinstance(body, str) or not body.startswith("L|"):
            return  # our own echo, or set-up traffic
        now = time.time()
        _, label, sent, _ = body.split("|", 3)
        step = self.steps.get(label)
        if step is None:
            return
        key = (data["conversation_id"], int(data["seq"]))
        if key in step.received:
            step.duplicates += 1
            return
        step.received.add(key)
        step.latencies.append(now - float(sent))
        if now <= step.ends:
            step.received_in_window += 1

    async def run_step(
        self, label: str, rate: float, seconds: float, drain_seconds: float, body_chars: int
    ) -> dict[str, Any]:
        """Offer ``rate`` messages/s for ``seconds``, then wait (bounded) for the stragglers."""
        step = self.steps[label] = Step(label)
        pairs = [pair for pair in self.pairs if pair.operator is not None]
        loop = asyncio.get_running_loop()
        start = loop.time()
        step.started = time.time()
        step.ends = step.started + seconds
        n = 0
        while pairs and rate > 0 and (elapsed := loop.time() - start) < seconds:
            due = int(elapsed * rate) + 1
            while n < due:
                pair = pairs[n % len(pairs)]
                # Turns alternate: a round of visitor messages, then a round of operator answers.
                author = pair.visitor if (n // len(pairs)) % 2 == 0 else pair.operator
                n += 1
                if len(self._unanswered) >= MAX_UNANSWERED:
                    step.held_back += 1
                    continue
                assert author is not None
                await self._send(step, pair.conversation_id, author, f"{label}.w{self.index}.{n}", body_chars)
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        deadline = loop.time() + drain_seconds
        while loop.time() < deadline and (step.in_flight or len(step.accepted) > len(step.received & step.accepted)):
            await asyncio.sleep(0.2)
        return self._finish(step, rate, seconds)

    async def _send(self, step: Step, conversation_id: str, author: WsClient, frame_id: str, body_chars: int) -> None:
        sent = time.time()
        body = f"L|{step.label}|{sent:.6f}|".ljust(body_chars, "x")
        data = {"conversation_id": conversation_id, "client_msg_id": frame_id, "kind": "text", "body": body}
        self._unanswered[frame_id] = (step, sent)
        step.sent += 1
        step.in_flight += 1
        try:
            await author.send("message.send", data, frame_id=frame_id)
        except ConnectionError:
            self._unanswered.pop(frame_id, None)
            step.in_flight -= 1
            step.errors["socket closed"] += 1

    def _finish(self, step: Step, rate: float, seconds: float) -> dict[str, Any]:
        """The step's figures; its bookkeeping is dropped so the next step starts clean."""
        self.steps.pop(step.label, None)
        self._unanswered = {key: value for key, value in self._unanswered.items() if value[0] is not step}
        return {
            "label": step.label,
            "rate": rate,
            "seconds": seconds,
            "sent": step.sent,
            "held_back": step.held_back,
            "accepted": len(step.accepted),
            "received": len(step.received),
            "received_in_window": step.received_in_window,
            "lost": len(step.accepted - step.received),
            "unanswered": step.in_flight,
            "duplicates": step.duplicates,
            "errors": dict(step.errors),
            "latencies": step.latencies,
            "accept_latencies": step.accept_latencies,
        }

    async def close(self) -> None:
        links = [pair.visitor for pair in self.pairs] + list(self.operators.values())
        await asyncio.gather(*(link.close() for link in links), return_exceptions=True)
        await super().close()
