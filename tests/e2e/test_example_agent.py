"""The example agent (examples/agent) as a real bot process over HTTP, with the whole fleet: the
conversation side publishes the events, the integrations service signs and delivers them, the
agent answers through the bot API, and the visitor sees it on the gateway (docs/bots.md).

test_webhooks.py drives the integrations service against a stand-in chat_session and
test_agents.py drives chat_session through the bus commands; this is the one path through both."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pymongo import AsyncMongoClient

from parley_fleet import free_port
from tests.conftest import MONGO_URL
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture
from tests.e2e.webhook_receiver import Receiver
from tests.kit.fleet import ARTIFACTS
from tests.kit.waiting import eventually

world = world_fixture(
    "example-agent",
    {
        # The agent listens on http://127.0.0.1, which production refuses (docs/webhooks.md).
        "PARLEY_INTEGRATIONS_ALLOW_INSECURE_URLS": "true",
        "PARLEY_INTEGRATIONS_ALLOWED_HOSTS": '["127.0.0.1"]',
        "PARLEY_INTEGRATIONS_POLL_SECONDS": "0.1",
        # A bot that is down is given up on after two attempts half a second apart (not 8 over
        # two hours), so the dead letter and its redelivery fit a test.
        "PARLEY_INTEGRATIONS_MAX_ATTEMPTS": "2",
        "PARLEY_INTEGRATIONS_RETRY_BASE_SECONDS": "0.5",
    },
)


class RunningAgent:
    """The example agent's process on ``port``, registered as ``bot_id`` for ``channel_id``."""

    def __init__(self, world: ChatWorld, bot: dict, channel_id: str, port: int, operator: Person, env: dict) -> None:
        self.world = world
        self.bot_id: str = bot["id"]
        self.channel_id = channel_id
        self.port = port
        self.operator = operator  # the channel's one operator
        self.env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with (ARTIFACTS / f"example-agent-e2e-{self.port}.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "examples.agent", env=self.env, stdout=log, stderr=log
            )

        async def listening() -> bool:
            try:
                async with self.world.session.get(f"http://127.0.0.1:{self.port}/healthz") as answer:
                    return answer.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(listening, what="the example agent listening")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@contextlib.asynccontextmanager
async def running_agent(
    world: ChatWorld,
    channel_name: str,
    think_seconds: float = 0.0,
    word_seconds: float = 0.0,
    failure_policy: str = "handoff",
) -> AsyncIterator[RunningAgent]:
    """The example agent registered for a new channel (whose operator is online) and running."""
    operator = await world.operator("Olga")
    channel_id = await world.channel([operator], name=channel_name)
    port = free_port()
    spec = {
        "name": "Example",
        "webhook_url": f"http://127.0.0.1:{port}/parley",
        "channel_ids": [channel_id],
        "failure_policy": failure_policy,
    }
    headers = {"Authorization": f"Bearer {world.admin_token}"}
    async with world.session.post(
        f"{world.fleet.url('integrations')}/integrations/bots", json=spec, headers=headers
    ) as response:
        bot = await response.json()
        assert response.status == 201, bot
    env = {
        **os.environ,
        "AGENT_SECRET": bot["secret"],
        "AGENT_PORT": str(port),
        "AGENT_WORD_SECONDS": str(word_seconds),
        "AGENT_THINK_SECONDS": str(think_seconds),
        "PARLEY_BOT_API": world.fleet.url("integrations"),
    }
    agent = RunningAgent(world, bot, channel_id, port, operator, env)
    await agent.start()
    try:
        async with AsyncMongoClient(MONGO_URL) as mongo:
            channels = mongo[world.infra.mongo_db]["channels"]

            async def served() -> bool:
                found = await channels.find_one({"_id": channel_id})
                return bool(found and (found.get("agent") or {}).get("bot_id") == bot["id"])

            await eventually(served, what="chat_session knowing the channel's bot (BotChanged)")
        yield agent
    finally:
        await agent.stop()


@pytest.fixture(scope="module")
async def agent(world: ChatWorld) -> AsyncIterator[RunningAgent]:
    async with running_agent(world, "Plants") as running:
        yield running


# Longer than a typing indicator lasts (20 s) and than the 30 s the issue names: a bot that takes
# this long is slow, not failed (the peers' 5 s webhook timeouts hand such conversations to humans).
SLOW_THINK_SECONDS = 31.0


@pytest.fixture(scope="module")
async def slow_agent(world: ChatWorld) -> AsyncIterator[RunningAgent]:
    async with running_agent(world, "Slow plants", think_seconds=SLOW_THINK_SECONDS) as running:
        yield running


# A pause between the words of an answer long enough to reconnect in the middle of one.
SLOW_WORD_SECONDS = 0.4


@pytest.fixture(scope="module")
async def wordy_agent(world: ChatWorld) -> AsyncIterator[RunningAgent]:
    async with running_agent(world, "Wordy plants", word_seconds=SLOW_WORD_SECONDS) as running:
        yield running


def _text(frame: dict) -> str:
    body = frame["data"]["message"]["body"]
    return body if isinstance(body, str) else str(body.get("text", ""))


async def test_the_agent_greets_streams_its_answer_hands_off_and_takes_back_what_the_operator_released(
    world: ChatWorld, agent: RunningAgent
) -> None:
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, agent.channel_id, "hello")
    member = f"agent_{agent.bot_id}"

    def from_agent(frame: dict) -> bool:
        return of_type("message.new", conversation_id=conversation_id)(frame) and (
            frame["data"]["message"]["author_id"] == member
        )

    greeting = await visitor.ws.wait_for(
        lambda f: from_agent(f) and _text(f) == "Hello! Ask me anything.", WAIT_SECONDS
    )
    assert greeting["data"]["message"]["author_role"] == "bot"
    # The answer to "hello", streamed: deltas in order, then one stored message replacing the draft.
    answer = await visitor.ws.wait_for(
        lambda f: from_agent(f) and _text(f).startswith("You wrote: hello."), WAIT_SECONDS
    )
    draft_id = answer["data"]["message"]["client_msg_id"]
    assert draft_id and draft_id.startswith("draft:")
    deltas = [f["data"] for f in visitor.ws.of_type("message.delta") if f["data"].get("draft_id") == draft_id]
    assert deltas, "the answer was streamed before it was stored"
    assert [d["offset"] for d in deltas] == sorted(d["offset"] for d in deltas), "deltas in order"
    streamed = "".join(d["text"] for d in deltas)
    assert _text(answer).startswith(streamed), "the deltas are the start of the stored text, in order"
    answers = [
        f
        for f in visitor.ws.of_type("message.new")
        if from_agent(f) and f["data"]["message"]["client_msg_id"] == draft_id
    ]
    assert len(answers) == 1, "one stored message per streamed answer"

    # Asking for a person: the agent hands off, routing assigns the channel's operator.
    sent = await world.send(visitor, conversation_id, "I want to talk to a person please")
    assert sent["type"] == "message.accepted", sent
    handed = await world.until(
        conversation_id, lambda doc: doc.get("controller") == "human", "the operator holding the conversation"
    )
    assert handed["operator_id"] == agent.operator.uid

    # The operator lets go: the agent hears of it (conversation.released), takes the conversation
    # back over the bot API and says so; the visitor's next message is the agent's again.
    assert (await world.send(agent.operator, conversation_id, "/leave"))["type"] == "message.accepted"
    await visitor.ws.wait_for(lambda f: from_agent(f) and _text(f) == "I'm back. Ask me anything.", WAIT_SECONDS)
    back = await world.until(conversation_id, lambda doc: doc.get("controller") == "bot", "the agent in control")
    assert back.get("operator_id") is None
    await world.send(visitor, conversation_id, "one more question")
    await visitor.ws.wait_for(lambda f: from_agent(f) and _text(f).startswith("You wrote: one more"), WAIT_SECONDS)


async def test_a_bot_that_answers_after_31_s_still_answers_and_keeps_the_conversation(
    world: ChatWorld, slow_agent: RunningAgent
) -> None:
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, slow_agent.channel_id, "hello")
    member = f"agent_{slow_agent.bot_id}"
    asked_at = time.monotonic()

    def from_agent(frame: dict) -> bool:
        return of_type("message.new", conversation_id=conversation_id)(frame) and (
            frame["data"]["message"]["author_id"] == member
        )

    answer = await visitor.ws.wait_for(
        lambda f: from_agent(f) and _text(f).startswith("You wrote: hello."), SLOW_THINK_SECONDS + WAIT_SECONDS
    )
    waited = time.monotonic() - asked_at
    assert waited >= SLOW_THINK_SECONDS - 1, f"answered after {waited:.1f} s: the agent did not think as long"
    typing = [f for f in visitor.ws.of_type("typing") if f["data"].get("user_id") == member and f["data"].get("active")]
    assert len(typing) >= 2, "the visitor saw the bot typing all along (the indicator renewed while it thought)"
    view = await world.conversation(conversation_id)
    assert (view["controller"], view.get("operator_id")) == ("bot", None), "nobody took the slow bot's place"
    assert view["status"] != "closed"
    assert answer["data"]["message"]["author_role"] == "bot"


async def test_a_visitor_who_reconnects_mid_stream_gets_the_draft_so_far_and_the_rest(
    world: ChatWorld, wordy_agent: RunningAgent
) -> None:
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, wordy_agent.channel_id, "hello")
    member = f"agent_{wordy_agent.bot_id}"
    hello = await visitor.ws.wait_for(
        lambda f: (
            of_type("message.new", conversation_id=conversation_id)(f)
            and f["data"]["message"]["author_id"] == member
            and (f["data"]["message"]["client_msg_id"] or "").startswith("draft:")
        ),
        WAIT_SECONDS * 2,
    )  # the answer to "hello" is done: the next draft is the one to cut into
    sent = await world.send(visitor, conversation_id, "tell me about ferns")
    last_seq = sent["data"]["message"]["seq"]
    first = await visitor.ws.wait_for(
        lambda f: (
            of_type("message.delta", conversation_id=conversation_id)(f)
            and f["data"]["draft_id"] != hello["data"]["message"]["client_msg_id"]
        ),
        WAIT_SECONDS * 2,
    )
    draft_id = first["data"]["draft_id"]
    await visitor.ws.close()  # the visitor's network drops a word or two into the answer

    again = await world.connect(visitor.token)
    await again.request("resume", {"conversation_id": conversation_id, "after_seq": last_seq}, timeout=WAIT_SECONDS)
    final = await again.wait_for(
        lambda f: (
            of_type("message.new", conversation_id=conversation_id)(f)
            and f["data"]["message"]["client_msg_id"] == draft_id
        ),
        WAIT_SECONDS * 2,
    )
    whole = _text(final)
    assert whole.startswith("You wrote: tell me about ferns."), whole
    # The new socket's deltas: the draft so far at offset 0 (the replay), then the rest in order.
    deltas = [f["data"] for f in again.of_type("message.delta") if f["data"]["draft_id"] == draft_id]
    assert deltas and deltas[0]["offset"] == 0 and deltas[0]["text"], deltas
    assert len(deltas) > 1, "the answer went on after the reconnect"
    text = ""
    for delta in deltas:
        assert delta["offset"] <= len(text), "a delta arrived before the one it follows"
        text = text[: delta["offset"]] + delta["text"]
    assert text == whole, "the replayed draft and the rest are the whole answer"


@pytest.fixture(scope="module")
async def waiting_agent(world: ChatWorld) -> AsyncIterator[RunningAgent]:
    async with running_agent(world, "Patient plants", failure_policy="wait") as running:
        yield running


async def test_a_bot_that_is_down_gets_its_event_retried_dead_lettered_and_redelivered_when_back(
    world: ChatWorld, waiting_agent: RunningAgent
) -> None:
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, waiting_agent.channel_id, "hello")
    member = f"agent_{waiting_agent.bot_id}"

    def answer_to(words: str):
        return lambda f: (
            of_type("message.new", conversation_id=conversation_id)(f)
            and f["data"]["message"]["author_id"] == member
            and _text(f).startswith(f"You wrote: {words}.")
        )

    await visitor.ws.wait_for(answer_to("hello"), WAIT_SECONDS)
    await waiting_agent.stop()  # the bot goes down
    sent = await world.send(visitor, conversation_id, "are you there")
    assert sent["type"] == "message.accepted", sent
    integrations = world.fleet.url("integrations")
    headers = {"Authorization": f"Bearer {world.admin_token}"}

    async def dead_letters() -> list[dict]:
        query = f"{integrations}/integrations/deliveries?state=dead&endpoint_id={waiting_agent.bot_id}"
        async with world.session.get(query, headers=headers) as response:
            return (await response.json())["deliveries"]

    [dead] = await eventually(dead_letters, what="the visitor's event dead-lettered after its attempts")
    assert dead["event_type"] == "message.created" and dead["attempts"] == 2
    assert all(attempt["status"] is None for attempt in dead["log"]), dead["log"]  # nobody answered
    view = await world.conversation(conversation_id)
    assert view["controller"] == "bot", "the bot's policy is to wait: no hand-off"

    # The bot is back: the admin sends the dead letters again, same webhook-id, and it answers.
    await waiting_agent.start()
    body = {"endpoint_id": waiting_agent.bot_id}
    async with world.session.post(f"{integrations}/integrations/deliveries/redeliver", json=body, headers=headers) as r:
        assert r.status == 200 and (await r.json())["count"] == 1
    await visitor.ws.wait_for(answer_to("are you there"), WAIT_SECONDS)
    assert await dead_letters() == []


async def test_a_program_action_round_trip_with_the_agent(world: ChatWorld, agent: RunningAgent) -> None:
    """The agent asks the visitor's client to locate them (getLocation); the client's answer reaches
    the agent as a program.result event, and the agent replies with what it learnt."""
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, agent.channel_id, "hello")
    member = f"agent_{agent.bot_id}"
    sent = await world.send(visitor, conversation_id, "Where is the nearest shop?")
    assert sent["type"] == "message.accepted", sent
    action = await visitor.ws.wait_for(
        lambda f: (
            of_type("message.new", conversation_id=conversation_id)(f)
            and f["data"]["message"]["author_id"] == member
            and f["data"]["message"]["kind"] == "action"
        ),
        WAIT_SECONDS,
    )
    assert action["data"]["message"]["body"]["meaning"] == "getLocation"
    located = {"latitude": 45.7640, "longitude": 4.8357, "city": "Lyon"}
    data = {"conversation_id": conversation_id, "seq": action["data"]["message"]["seq"], "result": located}
    answered = await visitor.ws.request("program.result", data, timeout=WAIT_SECONDS)
    assert answered["type"] == "ok", answered
    reply = await visitor.ws.wait_for(
        lambda f: (
            of_type("message.new", conversation_id=conversation_id)(f)
            and f["data"]["message"]["author_id"] == member
            and _text(f).startswith("Thanks! Our nearest shop to 45.76, 4.84")
        ),
        WAIT_SECONDS,
    )
    assert reply["data"]["message"]["author_role"] == "bot"
    # The same action answered twice is refused: the agent hears of it once.
    again = await visitor.ws.request("program.result", data, timeout=WAIT_SECONDS)
    assert again["type"] == "error" and again["data"]["code"] == 9210, again


async def test_a_webhook_gets_only_what_was_stored(world: ChatWorld) -> None:
    """A message chat_session refused (a sensitive word, 8001) was never written, so no event is
    sent for it; the next one, stored, is. The whole fleet, one subscription, signatures checked."""
    operator = await world.operator("Olga")
    channel_id = await world.channel([operator], sensitive_words=["forbidden"])
    await world.wait_available(channel_id, operator)
    receiver = await Receiver().start()
    try:
        spec = {"event_types": ["message.created"], "channel_ids": [channel_id]}
        await receiver.subscribe(world.session, world.fleet.url("integrations"), world.admin_token, spec)
        visitor = await world.visitor()
        conversation_id = await world.start_conversation(visitor, channel_id, "first words")
        refused = await world.send(visitor, conversation_id, "a forbidden word")
        assert refused["type"] == "error" and refused["data"]["code"] == 8001, refused
        stored = await world.send(visitor, conversation_id, "last words")
        assert stored["type"] == "message.accepted", stored

        def texts() -> list[str]:
            return [e.body["data"]["text"] for entries in receiver.processed.values() for e in entries]

        await eventually(lambda: "last words" in texts(), what="the stored message's event")
        assert sorted(texts()) == ["first words", "last words"], texts()
        assert receiver.problems == []
    finally:
        await receiver.stop()
