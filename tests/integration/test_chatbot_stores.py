"""The engine's stores against the real servers: timer claims in Redis, bot states in MongoDB."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from pymongo import AsyncMongoClient

from parley_chatbot_engine.conversation_locks import ConversationLocks
from parley_chatbot_engine.load_script import example_script_files, load_script_files
from parley_chatbot_engine.script_store import ScriptStore, load_file
from parley_chatbot_engine.settings import ChatbotEngineSettings
from parley_chatbot_engine.states import BotState, BotStates
from parley_chatbot_engine.timer_store import TimerStore
from tests.conftest import REDIS_URL, Infra


@pytest.fixture
async def timers(infra: Infra) -> AsyncIterator[tuple[TimerStore, TimerStore]]:
    """Two replicas' views of one timer set (one prefix per test)."""
    prefix = f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:"
    clients = [redis.Redis.from_url(REDIS_URL, decode_responses=True) for _ in range(2)]
    yield TimerStore(clients[0], prefix), TimerStore(clients[1], prefix)
    for client in clients:
        await client.aclose()


@pytest.fixture
async def states(infra: Infra, mongo: AsyncMongoClient) -> BotStates:
    store = BotStates(mongo[infra.mongo_db])
    await store.create_indexes()
    return store


async def test_a_due_timer_is_claimed_by_exactly_one_replica(timers: tuple[TimerStore, TimerStore]) -> None:
    one, _ = timers
    conversations = [f"c_{n}" for n in range(200)]
    for conversation_id in conversations:
        await one.apply(conversation_id, {"both_silent": 100.0, "user_silent": 500.0}, [])
    claimed = await asyncio.gather(*(replica.claim_due(200.0, 30, batch=7) for _ in range(30) for replica in timers))
    fired = [(timer.conversation_id, timer.kind) for batch in claimed for timer in batch]
    assert sorted(fired) == sorted((c, "both_silent") for c in conversations)
    assert {timer.deadline for batch in claimed for timer in batch} == {100.0}
    assert await one.deadlines("c_0") == {"user_silent": 500.0}


async def test_a_rearmed_timer_is_not_due_and_a_cleared_one_is_gone(timers: tuple[TimerStore, TimerStore]) -> None:
    one, _ = timers
    await one.apply("c1", {"both_silent": 100.0, "unresponsive": 100.0}, [])
    await one.apply("c1", {"both_silent": 300.0}, ["unresponsive"])
    assert await one.claim_due(200.0, 30) == []
    assert await one.deadlines("c1") == {"both_silent": 300.0}


async def test_an_unreleased_lease_runs_out_and_the_timer_is_claimed_again(
    timers: tuple[TimerStore, TimerStore],
) -> None:
    one, two = timers
    await one.apply("c1", {"greet": 100.0}, [])
    [first] = await one.claim_due(100.0, lease_seconds=5)
    assert await two.claim_due(104.0, lease_seconds=5) == []  # still leased to the first replica
    [again] = await two.claim_due(106.0, lease_seconds=5)  # the first one died without releasing
    assert (again.conversation_id, again.kind, again.deadline) == ("c1", "greet", 100.0)
    await two.release(again)
    assert await one.claim_due(1000.0, lease_seconds=5) == []
    await one.release(first)  # a late release of a lease already taken back changes nothing


async def test_a_lease_running_out_does_not_undo_a_rearm(timers: tuple[TimerStore, TimerStore]) -> None:
    one, _ = timers
    await one.apply("c1", {"both_silent": 100.0}, [])
    await one.claim_due(100.0, lease_seconds=5)
    await one.apply("c1", {"both_silent": 400.0}, [])  # the user spoke while the timer was being fired
    assert await one.claim_due(110.0, lease_seconds=5) == []
    assert await one.deadlines("c1") == {"both_silent": 400.0}


async def test_replicas_updating_one_conversation_under_its_lock_lose_nothing(infra: Infra, states: BotStates) -> None:
    conversation_id = f"c_{uuid.uuid4().hex[:8]}"
    assert await states.insert(BotState(conversation_id=conversation_id, script_id="s", bot_id="bot_s"))
    assert not await states.insert(BotState(conversation_id=conversation_id, script_id="s", bot_id="bot_s"))
    clients = [redis.Redis.from_url(REDIS_URL, decode_responses=True) for _ in range(3)]
    replicas = [ConversationLocks(client, infra.redis_prefix) for client in clients]
    inside: list[int] = []

    async def add(replica: ConversationLocks, key: str) -> None:
        async with replica.hold(conversation_id):
            inside.append(1)
            assert len(inside) == 1, "two replicas held the conversation at once"
            await states.update(
                conversation_id, lambda state: state.model_copy(update={"handled": state.remember(key)})
            )
            inside.pop()

    await asyncio.gather(*(add(replicas[n % 3], f"k{n}") for n in range(12)))
    stored = await states.get(conversation_id)
    assert stored is not None and sorted(stored.handled) == sorted(f"k{n}" for n in range(12))
    assert stored.version == 13
    for client in clients:
        await client.aclose()


async def test_outboxes_left_behind_are_found(states: BotStates) -> None:
    waiting, settled = f"c_{uuid.uuid4().hex[:8]}", f"c_{uuid.uuid4().hex[:8]}"
    await states.insert(BotState(conversation_id=waiting, script_id="s", bot_id="bot_s", outbox_since=10.0))
    await states.insert(BotState(conversation_id=settled, script_id="s", bot_id="bot_s"))
    found = await states.with_stale_outbox(older_than=20.0, limit=1000)
    assert waiting in found and settled not in found
    assert waiting not in await states.with_stale_outbox(older_than=5.0, limit=1000)


async def test_scripts_are_stored_and_replaced(infra: Infra, mongo: AsyncMongoClient) -> None:
    store = ScriptStore(mongo[infra.mongo_db])
    script = load_file(example_script_files()[0])
    await store.put(script)
    await store.put(script.model_copy(update={"name": "Renamed"}))
    stored = await store.get(script.id)
    assert stored is not None and stored.name == "Renamed" and stored.steps == script.steps
    assert [entry["id"] for entry in await store.list() if entry["id"] == script.id] == [script.id]


async def test_the_loader_stores_every_example_script(infra: Infra, mongo: AsyncMongoClient) -> None:
    settings = ChatbotEngineSettings(mongo_db=infra.mongo_db)
    loaded = await load_script_files(example_script_files(), settings)
    store = ScriptStore(mongo[infra.mongo_db])
    for script in loaded:
        assert await store.get(script.id) == script
