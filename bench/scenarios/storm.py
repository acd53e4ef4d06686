"""Scenario 4, reconnect storm: every connection drops at once and comes back by itself.

Runs on the crowd the idle scenario left open. Some of those visitors have a live
conversation, into which operators (held by the coordinator, not dropped) keep posting
throughout the storm. Each link waits the client's 2 s plus jitter, reconnects, authenticates
again with its token and, where it has a conversation, sends ``resume`` from the last seq it
saw. Reported: time until every link is back, and which posted messages each visitor never got
(resume available) or missed while away (resume not available).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bench.environment import ParleyUnderTest
from bench.load.agent import connect_patiently
from bench.load.links import new_link
from bench.procstats import CpuSpan, DescriptorSampler, Watch, sample_descriptors
from bench.scenarios import profile
from bench.scenarios.targets import shares
from bench.settings import Sizes
from bench.stats import latency_ms, spread_s
from bench.workers import WorkerPool
from tests.kit.client import PARLEY, Frame, WsClient

# An operator posts at most this many messages/s: half the gateway's per-connection frame limit
# (10/s), so the publisher itself is never rate-limited.
OPERATOR_RATE = 5.0
# Conversations per operator: a channel's default operator capacity (beyond it visitors queue).
OPERATOR_CAPACITY = 4
# Messages still in flight when the publisher stops get this long to arrive.
TAIL_SECONDS = 3.0
# The gateway is sampled (py-spy) over the storm's first seconds: the reconnect wave itself.
PROFILE_SECONDS = 15


class Publisher:
    """Operators on the coordinator's side, posting round-robin into their conversations."""

    def __init__(self, parley: ParleyUnderTest) -> None:
        self.parley = parley
        self.links: list[WsClient] = []
        self.conversations: dict[str, WsClient] = {}
        self.accepted: dict[str, set[int]] = defaultdict(set)
        self.errors: Counter[str] = Counter()
        self._session = aiohttp.ClientSession()
        self._posts: set[asyncio.Task[None]] = set()

    async def connect(self, operators: list[dict[str, str]]) -> None:
        for operator in operators:
            login = await self.parley.login(username=operator["username"], password=operator["password"])
            link = new_link(PARLEY, self._on_push, login["token"])
            await connect_patiently(link, self._session, self.parley.ws_url)
            self.links.append(link)

    def _on_push(self, link: WsClient, frame: Frame) -> None:
        if frame.get("type") in ("conversation.updated", "message.new"):
            self.conversations.setdefault(frame["data"]["conversation_id"], link)

    async def wait_for(self, conversation_ids: list[str], timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not set(conversation_ids) <= self.conversations.keys():
            await asyncio.sleep(0.1)
        return len(set(conversation_ids) & self.conversations.keys())

    async def run(self, rate: float, conversation_ids: list[str]) -> None:
        """Post at ``rate`` messages/s until cancelled (bounded by the storm's own deadline)."""
        mine = [c for c in conversation_ids if c in self.conversations]
        for n in itertools.count():
            conversation_id = mine[n % len(mine)]
            task = asyncio.create_task(self._post(conversation_id, n))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)
            await asyncio.sleep(1.0 / rate)

    async def _post(self, conversation_id: str, n: int) -> None:
        data = {"conversation_id": conversation_id, "client_msg_id": f"storm-{n}", "kind": "text", "body": f"S|{n}"}
        try:
            reply = await self.conversations[conversation_id].request("message.send", data)
        except (TimeoutError, ConnectionError) as error:
            self.errors[type(error).__name__] += 1
            return
        if reply.get("type") == "message.accepted":
            self.accepted[conversation_id].add(int(reply["data"]["message"]["seq"]))
        else:
            self.errors[str(reply.get("data", {}).get("code"))] += 1

    async def close(self) -> None:
        await asyncio.gather(*(link.close() for link in self.links), return_exceptions=True)
        await self._session.close()


async def run_storm(
    parley: ParleyUnderTest, pool: WorkerPool, sizes: Sizes, watch: Watch, profile_to: Path | None = None
) -> dict[str, Any]:
    count = max(
        1, math.ceil(sizes.storm_publish_rate / OPERATOR_RATE), math.ceil(sizes.storm_conversations / OPERATOR_CAPACITY)
    )
    operators = await parley.create_operators(count, f"storm-{uuid.uuid4().hex[:6]}")
    channel_id = await parley.create_channel("storm", [operator["uid"] for operator in operators])
    publisher = Publisher(parley)
    try:
        await publisher.connect(operators)
        await asyncio.sleep(1.0)  # presence learns of the operators from a bus event
        counts = shares(sizes.storm_conversations, pool.count)
        opened = await pool.call_all("open_conversations", [{"channel_id": channel_id, "count": n} for n in counts])
        conversation_ids = [c for worker in opened for c in worker]
        followed = await publisher.wait_for(conversation_ids)
        posting = asyncio.create_task(publisher.run(sizes.storm_publish_rate, conversation_ids)) if followed else None
        await asyncio.sleep(2.0)
        span = CpuSpan(watch).start()
        sampler = DescriptorSampler(parley.pids()["gateway"])
        sampling = asyncio.create_task(sample_descriptors(sampler))
        spy = (
            await profile.record(sampler.process.pid, PROFILE_SECONDS, profile_to, pause=False) if profile_to else None
        )
        drops = await pool.call_all("drop")
        dropped_at = min(d["at"] for d in drops)
        back = await pool.call_all(
            "reconnect",
            delay=sizes.reconnect_delay_seconds,
            jitter=sizes.reconnect_jitter_seconds,
            deadline_seconds=sizes.storm_deadline_seconds,
        )
        span.stop()
        sampling.cancel()
        storm_profile = await _profile_result(spy, profile_to)
        await asyncio.sleep(2.0)  # posting goes on a little after everyone is back
        if posting is not None:
            posting.cancel()
        await asyncio.sleep(TAIL_SECONDS)
        reports = await pool.call_all("conversation_report")
    finally:
        await publisher.close()
    recovered = [moment for worker in back for moment in worker["recovered_at"]]
    return {
        "dropped": sum(d["dropped"] for d in drops),
        "down_before_the_storm": sum(d["down_before"] for d in drops),
        "recovered": len(recovered),
        "not_recovered": sum(w["closed"] for w in back) - len(recovered),
        "recovery_seconds": spread_s(recovered, dropped_at),
        "handshake_ms_during_storm": latency_ms([took for worker in back for took in worker["handshake_seconds"]]),
        "attempts": _merge(w["attempts"] for w in back),
        "reconnects_cut_off": sum(w["stuck"] for w in back),
        "reconnect_delay_seconds": sizes.reconnect_delay_seconds,
        "reconnect_jitter_seconds": sizes.reconnect_jitter_seconds,
        "cpu_seconds": {name: round(used, 2) for name, used in span.used.items()},
        "gateway_descriptors": sampler.report(),
        "gateway_profile": storm_profile,
        "publisher_close_codes": dict(Counter(str(link.close_code) for link in publisher.links if not link.is_open)),
        "conversations": len(conversation_ids),
        "conversations_followed_by_operators": followed,
        **_messages(publisher, reports),
    }


async def _profile_result(spy: asyncio.subprocess.Process | None, output: Path | None) -> dict[str, Any] | None:
    """The gateway's profile over the storm's first seconds (py-spy), when one was recorded."""
    if spy is None or output is None:
        return None
    ok, log = await profile.finish(spy, PROFILE_SECONDS)
    if not ok or not output.exists():
        return {"error": log}
    return {"file": str(output), "seconds": PROFILE_SECONDS, "summary": profile.summarise(output)}


def _messages(publisher: Publisher, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Posted messages each visitor never got, and what resume answered."""
    received = {conversation: report for worker in reports for conversation, report in worker.items()}
    posted = missed = duplicates = replayed = 0
    outcomes: Counter[str] = Counter()
    for conversation_id, report in received.items():
        expected = {1} | publisher.accepted.get(conversation_id, set())
        posted += len(expected)
        missed += len(expected - set(report["seqs"]))
        duplicates += report["duplicates"]
        replayed += report["replayed"]
        outcomes.update(report["resume"])
    available = any(outcome == "done" for outcome in outcomes)
    return {
        "messages_posted": posted,
        "messages_missed": missed,
        "duplicates": duplicates,
        "replayed_by_resume": replayed,
        "resume_outcomes": dict(outcomes),
        "resume_available": available,
        "post_errors": dict(publisher.errors),
    }


def _merge(counts: Any) -> dict[str, int]:
    merged: Counter[str] = Counter()
    for count in counts:
        merged.update({str(key): value for key, value in count.items()})
    return dict(merged)
