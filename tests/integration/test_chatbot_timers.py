"""Traffic-light timers, the greeting hold and the debounce, fired from Redis by two engine
replicas on the real servers: each timer fires once, at its time, and survives a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from parley.contracts.bot import bot_user_id
from parley.contracts.commands import Caller, ControlTimers
from parley.contracts.events import ClientStatusChanged
from parley_chatbot_engine.timer_store import TimerStore
from parley_fleet.processes import ServiceProcess
from tests.conftest import REDIS_URL, Infra
from tests.integration.chatbot_harness import (
    ChatDouble,
    Slice,
    close_slice,
    open_slice,
    start_ready,
    store_scripts,
)
from tests.kit.waiting import eventually

HOLD = 3.0
ENGINE_ENV = {
    "PARLEY_CHATBOT_GREETING_HOLD_SECONDS": str(HOLD),
    "PARLEY_CHATBOT_TIMER_POLL_SECONDS": "0.1",
    "PARLEY_CHATBOT_TIMER_LEASE_SECONDS": "3",
}
NEVER = 600


def script(script_id: str, steps: list[dict], **timers: float) -> dict:
    defaults = {"both_silent_seconds": NEVER, "user_silent_seconds": NEVER, "unresponsive_seconds": NEVER}
    return {"id": script_id, "name": script_id, "timers": {**defaults, **timers}, "steps": steps}


WELCOME = [{"id": "hi", "type": "text", "text": "Welcome."}]
TELL_ME = [*WELCOME, {"id": "more", "type": "free_input_single", "text": "Tell me more."}, {"id": "end", "type": "end"}]
QUESTION = [{"id": "pick", "type": "question_selection", "text": "Pick?", "answers": [{"id": "a", "label": "A"}]}]
SCRIPTS = [
    script("quiet", TELL_ME, both_silent_seconds=2),
    script("asker", QUESTION, unresponsive_seconds=1.5),
    script("away", WELCOME, user_silent_seconds=1.5),
]


class Cluster:
    def __init__(self, slice_: Slice, chat: ChatDouble, engines: list[ServiceProcess]) -> None:
        self.slice = slice_
        self.chat = chat
        self.engines = engines

    async def start(self, script_id: str) -> tuple[str, str, str]:
        """A conversation with the script's bot, started by the visitor's first message."""
        cid, visitor, bot = f"c_{uuid.uuid4().hex[:12]}", f"v_{uuid.uuid4().hex[:8]}", bot_user_id(script_id)
        await self.chat.open(cid, visitor, bot)
        await self.chat.visitor_says(cid, visitor, bot, "hello")
        await self.chat.said(cid, 1)
        return cid, visitor, bot

    def classes(self, cid: str) -> list[str]:
        return [body.message_class for body in self.chat.bodies(cid)]

    async def user_online(self, cid: str, visitor: str) -> None:
        event = ClientStatusChanged(
            connection_id="k1", node="g1", user_id=visitor, status="online", conversation_id=cid
        )
        await self.chat.chat.publish_event(event)

    async def control(self, cid: str, visitor: str, action: str) -> None:
        caller = Caller(user_id=visitor, role="visitor")
        await self.chat.chat.request(ControlTimers(caller=caller, conversation_id=cid, action=action))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def cluster(infra: Infra) -> AsyncIterator[Cluster]:
    slice_ = await open_slice(infra, f"cbtimers{uuid.uuid4().hex[:4]}")
    await store_scripts(slice_, *SCRIPTS)
    chat = ChatDouble(slice_)
    await chat.start()
    engines = [slice_.engine(label, ENGINE_ENV) for label in ("a", "b")]
    await asyncio.gather(*(start_ready(engine) for engine in engines))
    try:
        yield Cluster(slice_, chat, engines)
    finally:
        for engine in engines:
            await engine.stop()
        await chat.stop()
        await close_slice(slice_)


async def test_both_silent_makes_the_bot_speak_first_once(cluster: Cluster) -> None:
    cid, _, _ = await cluster.start("quiet")
    started = time.monotonic()
    await cluster.chat.said(cid, 3)
    assert time.monotonic() - started >= 1.5
    assert cluster.classes(cid) == ["answer", "question", "proactive"]
    await asyncio.sleep(2)  # a proactive message re-arms nothing: no second one
    assert len(cluster.chat.posts[cid]) == 3


async def test_a_user_message_resets_the_timers(cluster: Cluster) -> None:
    cid, visitor, bot = await cluster.start("quiet")
    await asyncio.sleep(1.2)
    spoke = time.monotonic()
    await cluster.chat.visitor_says(cid, visitor, bot, "just looking")  # answers "Tell me more."
    await cluster.chat.said(cid, 3, timeout=20)
    assert cluster.classes(cid)[-1] == "proactive"
    assert time.monotonic() - spoke >= 1.8, "fired at the deadline the user's message had pushed back"


async def test_an_unanswered_question_gets_one_nudge(cluster: Cluster) -> None:
    cid, _, _ = await cluster.start("asker")
    await cluster.chat.said(cid, 2)
    assert cluster.classes(cid) == ["question", "nudge"]
    await asyncio.sleep(2.5)
    assert len(cluster.chat.posts[cid]) == 2


async def test_user_silent_marks_away_then_user_online_is_held_until_the_hold_is_up(cluster: Cluster) -> None:
    chat = cluster.chat
    cid, visitor, _ = await cluster.start("away")

    def statuses() -> list[int]:
        return [frame["status"] for frame in chat.frames_of(cid, "robot.status")]

    await eventually(lambda: statuses()[-1:] == [2], what="the bot going offline")
    offline_at = time.monotonic()
    await cluster.user_online(cid, visitor)  # too soon: held, not dropped
    await eventually(lambda: len(statuses()) >= 3, what="the status answer to user online")
    assert statuses()[-1] == 2 and len(chat.posts[cid]) == 1
    await chat.said(cid, 2)
    assert time.monotonic() - offline_at >= HOLD - 1.0
    assert cluster.classes(cid) == ["answer", "greeting"]
    await eventually(lambda: statuses()[-1] == 1, what="the bot online again")

    await eventually(lambda: statuses()[-1] == 2, what="the bot offline again (user silent again)")
    await asyncio.sleep(HOLD + 0.5)
    before = time.monotonic()
    await cluster.user_online(cid, visitor)  # after the hold: greeted at once
    await chat.said(cid, 3)
    assert time.monotonic() - before < HOLD
    await cluster.user_online(cid, visitor)  # already online: no second greeting
    await asyncio.sleep(1)
    assert cluster.classes(cid) == ["answer", "greeting", "greeting"]


async def test_pause_resume_and_stop(cluster: Cluster, infra: Infra) -> None:
    cid, visitor, _ = await cluster.start("quiet")
    await cluster.control(cid, visitor, "pause")
    await asyncio.sleep(2.5)
    assert len(cluster.chat.posts[cid]) == 2, "a paused timer fired"
    await cluster.control(cid, visitor, "resume")
    await cluster.chat.said(cid, 3)
    other, other_visitor, _ = await cluster.start("quiet")
    await cluster.control(other, other_visitor, "stop")
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    assert await TimerStore(client, cluster.slice.redis_prefix).deadlines(other) == {}
    await client.aclose()
    await asyncio.sleep(2.5)
    assert len(cluster.chat.posts[other]) == 2


async def test_two_replicas_fire_each_timer_exactly_once(cluster: Cluster) -> None:
    started = await asyncio.gather(*(cluster.start("quiet") for _ in range(8)))
    asked = await asyncio.gather(*(cluster.start("asker") for _ in range(8)))
    for cid, _, _ in started:
        await cluster.chat.said(cid, 3)
    for cid, _, _ in asked:
        await cluster.chat.said(cid, 2)
    await asyncio.sleep(2)  # time for a duplicate to show up, if a timer fired twice
    assert all(cluster.classes(cid) == ["answer", "question", "proactive"] for cid, _, _ in started)
    assert all(cluster.classes(cid) == ["question", "nudge"] for cid, _, _ in asked)


async def test_timers_survive_an_engine_restart(cluster: Cluster) -> None:
    for engine in cluster.engines:
        await engine.stop()
    try:
        await start_ready(cluster.engines[0])
        cid, _, _ = await cluster.start("quiet")
        await cluster.engines[0].stop()  # the deadline is in Redis while no engine runs
        await asyncio.sleep(2.5)
        await start_ready(cluster.engines[0])
        await cluster.chat.said(cid, 3)
        assert cluster.classes(cid) == ["answer", "question", "proactive"]
    finally:
        await start_ready(cluster.engines[1])


async def test_timers_come_back_after_redis_loses_its_data(cluster: Cluster) -> None:
    cid, _, _ = await cluster.start("quiet")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        store = TimerStore(client, cluster.slice.redis_prefix)

        async def scheduled() -> bool:  # the engine stores the timer after its greeting: it may lag
            return "both_silent" in await store.deadlines(cid)

        await eventually(scheduled, what="the conversation's silence timer in Redis")
        # What a Redis restarted without persistence looks like to this slice: no timer keys at all.
        lost = [key async for key in client.scan_iter(match=f"{cluster.slice.redis_prefix}{{chatbot:timers}}:*")]
        assert lost and await client.delete(*lost) == len(lost)
        assert await store.deadlines(cid) == {}
        await cluster.chat.said(cid, 3, timeout=15)  # re-indexed from MongoDB within ~5 s, then fired
        assert cluster.classes(cid) == ["answer", "question", "proactive"]
    finally:
        await client.aclose()
