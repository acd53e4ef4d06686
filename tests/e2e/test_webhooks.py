"""Webhooks, external bots' deliveries and the bot API end to end (issue 20): the integrations service as a
real process (with auth for tokens), OutboundEvents published on the real broker as chat_session
publishes them, and a real receiver (tests/e2e/webhook_receiver.py) that checks every signature
and keeps a ledger by ``webhook-id``. Only auth and integrations run: nothing else is needed to
publish an event and receive its delivery."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from parley.bus import Bus, topology
from parley.contracts.agents import (
    AgentAppendDraft,
    AgentFinishDraft,
    AgentHandoff,
    AgentOpenDraft,
    AgentPosted,
    AgentPostMessage,
    AgentTakeBack,
    AgentTyping,
    BotFailed,
    ControlState,
    DraftState,
)
from parley.contracts.base import Envelope
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import MESSAGES_STREAM, BotChanged, OutboundEvent
from parley.contracts.messages import Message
from parley.settings import ServiceSettings
from parley_fleet import Fleet, free_port
from parley_fleet.rabbitmq import _split
from parley_integrations import signing
from parley_integrations.api import ENDPOINTS
from parley_integrations.outbox import delivery_id
from parley_integrations.reply_tokens import ReplyTokens
from tests.conftest import MANAGEMENT_URL, Infra
from tests.e2e.presence_harness import Probe
from tests.e2e.webhook_receiver import Receiver
from tests.kit.client import login
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME, ARTIFACTS, fleet_for
from tests.kit.waiting import eventually

MAX_ATTEMPTS = 4
REPLY_TOKEN_KEY = "e2e-reply-token-key-" + uuid.uuid4().hex
RUNNING = ("auth", "integrations")
SETTINGS = {
    "PARLEY_INTEGRATIONS_ALLOW_INSECURE_URLS": "true",
    "PARLEY_INTEGRATIONS_ALLOWED_HOSTS": '["127.0.0.1"]',
    "PARLEY_INTEGRATIONS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    # Retries 0.1-0.2 s, 0.2-0.4 s, 0.4-0.5 s apart: a dead letter within about a second.
    "PARLEY_INTEGRATIONS_RETRY_BASE_SECONDS": "0.2",
    "PARLEY_INTEGRATIONS_RETRY_MAX_SECONDS": "0.5",
    "PARLEY_INTEGRATIONS_POLL_SECONDS": "0.1",
    # A delivery claimed by a killed process comes back this soon (its attempt times out first).
    "PARLEY_INTEGRATIONS_CLAIM_SECONDS": "3",
    "PARLEY_INTEGRATIONS_DELIVERY_TIMEOUT_SECONDS": "2",
    # Failing receivers are the point here; the circuit is unit-tested (tests/unit/test_integrations_deliveries.py).
    "PARLEY_INTEGRATIONS_BREAKER_FAILURES": "1000",
    "PARLEY_INTEGRATIONS_REPLY_TOKEN_KEY": REPLY_TOKEN_KEY,
}


class World:
    def __init__(self, fleet: Fleet, session: aiohttp.ClientSession, admin: str, probe: Probe) -> None:
        self.fleet = fleet
        self.session = session
        self.admin = admin
        self.probe = probe

    async def call(
        self, method: str, path: str, *, token: str | None = "admin", status: int = 200, **kwargs: Any
    ) -> Any:
        bearer = self.admin if token == "admin" else token
        headers = kwargs.pop("headers", {}) | ({"Authorization": f"Bearer {bearer}"} if bearer else {})
        async with self.session.request(
            method, self.fleet.url("integrations") + path, headers=headers, **kwargs
        ) as response:
            text = await response.text()
            assert response.status == status, f"{method} {path}: {response.status} {text}"
            return json.loads(text) if text else None

    async def subscribe(self, receiver: Receiver, event_types: list[str], channel_ids: list[str]) -> dict[str, Any]:
        spec = {"event_types": event_types, "channel_ids": channel_ids}
        return await receiver.subscribe(self.session, self.fleet.url("integrations"), self.admin, spec)

    async def publish(self, event_type: str, channel_id: str, *, event_id: str = "", **fields: Any) -> OutboundEvent:
        event = OutboundEvent(
            event_id=event_id or f"ev-{uuid.uuid4().hex}",
            event_type=event_type,  # type: ignore[arg-type]
            channel_id=channel_id,
            conversation_id=fields.pop("conversation_id", f"c-{uuid.uuid4().hex[:8]}"),
            occurred_at=datetime.now(UTC),
            data=fields.pop("data", {"text": "hello"}),
            **fields,
        )
        await self.probe.bus.publish_event(event)
        return event

    async def delivery(self, delivery: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.call("GET", f"/integrations/deliveries/{delivery}")
        return answer


@pytest.fixture(scope="module")
async def world(infra: Infra) -> AsyncIterator[World]:
    async with (
        fleet_for(infra, "webhooks", services=RUNNING, **SETTINGS) as fleet,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        probe = Probe(fleet, BotChanged, BotFailed)
        await probe.start()
        try:
            admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
            yield World(fleet, session, admin["token"], probe)
        finally:
            await probe.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()
    assert running.problems == [], "a request without a valid signature arrived"


async def test_every_event_arrives_once_signed_although_the_first_attempts_fail(
    world: World, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    channel, other = f"ch-{uuid.uuid4().hex[:8]}", f"ch-{uuid.uuid4().hex[:8]}"
    webhook = await world.subscribe(receiver, ["message.created"], [channel])
    wanted = [await world.publish("message.created", channel) for _ in range(8)]
    for event in wanted[:3]:  # published again (a publisher's retry): the same deliveries
        await world.publish("message.created", channel, event_id=event.event_id)
    await world.publish("message.created", other)  # another channel
    await world.publish("rating.created", channel, data={"score": 5})  # a type not subscribed

    await eventually(lambda: len(receiver.processed_events()) >= len(wanted), what="every event processed")
    assert receiver.processed_events() == {event.event_id: 1 for event in wanted}
    for event in wanted:
        delivery = delivery_id(event.event_id, "webhook", webhook["id"])
        assert receiver.attempts[delivery] == 3, "two failed attempts and the one that succeeded, under one id"
        record = await world.delivery(delivery)
        assert record["state"] == "delivered"
        assert [attempt["status"] for attempt in record["log"]] == [503, 503, 200]
    first = receiver.processed[delivery_id(wanted[0].event_id, "webhook", webhook["id"])][0]
    assert first.body["type"] == "message.created"
    assert first.body["data"]["channel_id"] == channel
    assert first.body["data"]["text"] == "hello"


async def test_a_subscription_without_channels_gets_every_channel(world: World, receiver: Receiver) -> None:
    webhook = await world.subscribe(receiver, ["bot.handoff"], [])
    events = [await world.publish("bot.handoff", f"ch-{uuid.uuid4().hex[:8]}") for _ in range(2)]
    ids = [delivery_id(event.event_id, "webhook", webhook["id"]) for event in events]
    await eventually(lambda: all(receiver.processed.get(found) for found in ids), what="both channels' events")
    await world.call("PATCH", f"/integrations/webhooks/{webhook['id']}", json={"active": False})
    silenced = await world.publish("bot.handoff", "ch-any")
    await world.call("DELETE", f"/integrations/webhooks/{webhook['id']}", status=204)
    listed = await world.call("GET", f"/integrations/deliveries?endpoint_id={webhook['id']}")
    assert silenced.event_id not in {entry["event_id"] for entry in listed["deliveries"]}


async def test_a_dead_letter_is_listed_with_its_attempts_and_redelivered_under_its_id(
    world: World, receiver: Receiver
) -> None:
    receiver.always = 500
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    webhook = await world.subscribe(receiver, ["conversation.closed"], [channel])
    events = [await world.publish("conversation.closed", channel) for _ in range(3)]
    query = f"/integrations/deliveries?state=dead&endpoint_id={webhook['id']}"

    async def dead() -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = (await world.call("GET", query))["deliveries"]
        return listed if len(listed) == len(events) else []

    listed = await eventually(dead, what="three dead letters")
    for record in listed:
        assert record["attempts"] == MAX_ATTEMPTS
        assert [attempt["status"] for attempt in record["log"]] == [500] * MAX_ATTEMPTS
        assert all(attempt["response"] == "failing on purpose (500)" for attempt in record["log"])
    assert receiver.processed_events() == {}

    receiver.always = None  # the receiver is back
    first = delivery_id(events[0].event_id, "webhook", webhook["id"])
    redelivered = await world.call("POST", f"/integrations/deliveries/{first}/redeliver")
    assert redelivered["state"] == "pending"
    await eventually(lambda: receiver.processed.get(first), what="the redelivery")
    assert receiver.attempts[first] == MAX_ATTEMPTS + 1, "the same id as every failed attempt"
    bulk = await world.call("POST", "/integrations/deliveries/redeliver", json={"endpoint_id": webhook["id"]})
    assert bulk == {"count": 2}
    await eventually(lambda: len(receiver.processed_events()) == 3, what="the bulk redelivery")
    assert receiver.processed_events() == {event.event_id: 1 for event in events}
    assert (await world.delivery(first))["state"] == "delivered"
    await world.call("POST", f"/integrations/deliveries/{first}/redeliver")  # a delivered one may be sent again
    await eventually(lambda: len(receiver.processed[first]) == 2, what="the second send of a delivered one")


async def test_a_refusal_4xx_is_not_retried(world: World, receiver: Receiver) -> None:
    receiver.always = 422
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    webhook = await world.subscribe(receiver, ["visitor.identified"], [channel])
    event = await world.publish("visitor.identified", channel)
    delivery = delivery_id(event.event_id, "webhook", webhook["id"])

    async def dead() -> dict[str, Any] | None:
        record = await world.call("GET", f"/integrations/deliveries?endpoint_id={webhook['id']}")
        found = [entry for entry in record["deliveries"] if entry["id"] == delivery and entry["state"] == "dead"]
        return found[0] if found else None

    record = await eventually(dead, what="the refused delivery dead-lettered")
    assert record["attempts"] == 1
    assert receiver.attempts[delivery] == 1


async def test_a_rotated_secret_signs_beside_the_previous_one(world: World, receiver: Receiver) -> None:
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    webhook = await world.subscribe(receiver, ["message.created"], [channel])
    old = receiver.secrets[0]  # the receiver keeps only the old secret: it must still verify
    new = (await world.call("POST", f"/integrations/webhooks/{webhook['id']}/secret"))["secret"]
    assert new.startswith("whsec_") and new != old
    event = await world.publish("message.created", channel)
    delivery = delivery_id(event.event_id, "webhook", webhook["id"])
    await eventually(lambda: receiver.processed.get(delivery), what="the delivery after the rotation")
    received = receiver.processed[delivery][0]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert signing.verify(new, received.headers, received.raw, time.time())
    assert signing.verify(old, received.headers, received.raw, time.time())
    assert not signing.verify(signing.new_secret(), received.headers, received.raw, time.time())
    view = await world.call("GET", f"/integrations/webhooks/{webhook['id']}")
    assert "secret" not in view and view["previous_secret_valid_until"] is not None


async def test_a_bot_gets_the_events_of_its_conversations_and_its_changes_are_announced(
    world: World, receiver: Receiver
) -> None:
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    bot = await world.call(
        "POST",
        "/integrations/bots",
        status=201,
        json={"name": "Ada", "webhook_url": receiver.url, "channel_ids": [channel], "failure_policy": "apologise"},
    )
    receiver.secrets.append(bot["secret"])
    assert bot["account_id"] == f"agent_{bot['id']}"
    announced = await world.probe.wait_for(BotChanged, lambda event: event.bot_id == bot["id"])
    assert announced.channel_ids == [channel] and announced.active and announced.failure_policy == "apologise"

    started = await world.publish("conversation.started", channel, bot_id=bot["id"])
    await world.publish("conversation.started", channel)  # no bot named: a bot-only event goes nowhere
    delivery = delivery_id(started.event_id, "bot", bot["id"])
    await eventually(lambda: receiver.processed.get(delivery), what="the bot's event")
    assert receiver.processed[delivery][0].body["data"]["bot_id"] == bot["id"]
    assert len(receiver.arrived) == 1

    await world.call("PATCH", f"/integrations/bots/{bot['id']}", json={"channel_ids": []})
    await world.probe.wait_for(BotChanged, lambda event: event.bot_id == bot["id"] and event.channel_ids == [])
    await world.call("DELETE", f"/integrations/bots/{bot['id']}", status=204)
    await world.probe.wait_for(BotChanged, lambda event: event.bot_id == bot["id"] and not event.active)
    await world.call("GET", f"/integrations/bots/{bot['id']}", status=404)


async def test_a_delivery_in_flight_when_the_service_dies_is_sent_after_its_restart(
    world: World, receiver: Receiver
) -> None:
    receiver.hold = asyncio.Event()
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    webhook = await world.subscribe(receiver, ["conversation.assigned"], [channel])
    event = await world.publish("conversation.assigned", channel)
    delivery = delivery_id(event.event_id, "webhook", webhook["id"])
    await eventually(lambda: receiver.attempts[delivery] == 1, what="the first attempt in flight")
    service = world.fleet.services["integrations"]
    service.kill()
    assert service.process is not None
    await service.process.wait()
    receiver.hold.set()
    await service.start()
    await world.fleet.wait_ready(names=("integrations",))

    async def delivered() -> bool:
        return bool((await world.delivery(delivery))["state"] == "delivered")

    await eventually(delivered, what="the delivery sent again by the restarted service")
    assert receiver.attempts[delivery] >= 2, "attempted again, under the same id"
    assert set(receiver.attempts) == {delivery}


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",  # private
        "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://127.0.0.2/hook",  # loopback, and not the test's allowed host
        "https://2130706433/hook",  # 127.0.0.1 spelt as one number: still not an allowed host name
        "https://intranet/hook",  # a name without a dot
        "https://user:pw@hooks.example.com/x",
        "ftp://hooks.example.com/x",
    ],
)
async def test_a_url_parley_must_not_call_is_refused_when_registered(world: World, url: str) -> None:
    refused = await world.call(
        "POST", "/integrations/webhooks", status=400, json={"url": url, "event_types": ["message.created"]}
    )
    assert refused["error"]["code"] in (9301, 9105), refused  # 9105: not even an http(s) URL
    bot = {"name": "Eve", "webhook_url": url}
    assert (await world.call("POST", "/integrations/bots", status=400, json=bot))["error"]["code"] in (9301, 9105)


async def test_the_admin_api_refuses_what_it_does_not_serve_with_documented_codes(world: World) -> None:
    async with world.session.post(
        world.fleet.url("auth") + "/auth/users",
        json={"username": f"op-{uuid.uuid4().hex[:8]}", "password": "operator-password-1", "role": "operator"},
        headers={"Authorization": f"Bearer {world.admin}"},
    ) as response:
        assert response.status == 201, await response.text()
        username = (await response.json())["username"]
    operator = await login(world.session, world.fleet.url("auth"), username=username, password="operator-password-1")
    body = {"url": "https://hooks.example.com/x", "event_types": ["message.created"]}
    assert (await world.call("POST", "/integrations/webhooks", token=None, status=401, json=body))["error"][
        "code"
    ] == 9004
    forbidden = await world.call("POST", "/integrations/webhooks", token=operator["token"], status=403, json=body)
    assert forbidden["error"]["code"] == 9101
    await world.call("GET", "/integrations/deliveries", token=operator["token"], status=403)
    for bad in (
        {**body, "channel_ids": ["$where"]},  # an operator-laden id
        {**body, "channel_ids": ["a.b", {"$ne": 1}]},
        {**body, "event_types": ["conversation.started"]},  # bot-only: not subscribable
        {**body, "event_types": []},
        {**body, "channel_ids": [f"c{n}" for n in range(101)]},
        {**body, "url": "https://hooks.example.com/" + "x" * 2000},
        {**body, "extra": 1},
    ):
        assert (await world.call("POST", "/integrations/webhooks", status=400, json=bad))["error"]["code"] == 9105
    too_long = {"name": "n" * 101, "webhook_url": "https://bots.example.com/x"}
    assert (await world.call("POST", "/integrations/bots", status=400, json=too_long))["error"]["code"] == 9105
    assert (await world.call("GET", "/integrations/bots/bot_nothere", status=404))["error"]["code"] == 9302
    assert (await world.call("PATCH", "/integrations/webhooks/wh_nothere", status=404, json={}))["error"][
        "code"
    ] == 9303
    assert (await world.call("GET", "/integrations/deliveries/msg_nothere", status=404))["error"]["code"] == 9304
    await world.call("GET", "/integrations/deliveries?limit=0", status=400)
    await world.call("GET", "/integrations/deliveries?endpoint_id[$ne]=1", status=400)
    await world.call("GET", "/integrations/deliveries?state=lost", status=400)
    # A public host: stored; its deliveries would go out over https only.
    created = await world.call("POST", "/integrations/webhooks", status=201, json=body)
    await world.call("DELETE", f"/integrations/webhooks/{created['id']}", status=204)
    await world.call("DELETE", f"/integrations/webhooks/{created['id']}", status=404)


async def test_every_endpoint_refuses_the_wrong_callers_with_documented_codes(world: World) -> None:
    """What the security tier derives from the table (tests/security), on this module's small fleet:
    no token, a visitor's, an operator's, a logged-out token; each endpoint with the codes its
    access says."""
    auth = world.fleet.url("auth")
    visitor = (await login(world.session, auth, device_id=f"device-{uuid.uuid4().hex}"))["token"]
    username = f"op-{uuid.uuid4().hex[:8]}"
    async with world.session.post(
        auth + "/auth/users",
        json={"username": username, "password": "operator-password-1", "role": "operator"},
        headers={"Authorization": f"Bearer {world.admin}"},
    ) as response:
        assert response.status == 201, await response.text()
    operator = (await login(world.session, auth, username=username, password="operator-password-1"))["token"]
    revoked = (await login(world.session, auth, device_id=f"device-{uuid.uuid4().hex}"))["token"]
    async with world.session.post(
        auth + "/auth/logout", json={}, headers={"Authorization": f"Bearer {revoked}"}
    ) as response:
        assert response.status == 204, await response.text()
    for endpoint in ENDPOINTS:
        path = re.sub(r"{(\w+)}", "0123456789abcdef", endpoint.documented_path)
        for token, expected in (
            (None, (401, 9004)),
            (visitor, (403, 9101)),
            (operator, (403, 9101)),
            (revoked, (401, 7001)),
        ):
            answer = await world.call(endpoint.method, path, token=token, status=expected[0], json={})
            assert answer["error"]["code"] == expected[1], (endpoint.path, token is None, answer)


async def test_a_delivery_still_pending_is_not_redelivered(world: World) -> None:
    holding = Receiver(hold=asyncio.Event())
    await holding.start()
    try:
        channel = f"ch-{uuid.uuid4().hex[:8]}"
        webhook = await world.subscribe(holding, ["message.created"], [channel])
        event = await world.publish("message.created", channel)
        delivery = delivery_id(event.event_id, "webhook", webhook["id"])
        await eventually(lambda: holding.attempts[delivery] == 1, what="the attempt in flight")
        refused = await world.call("POST", f"/integrations/deliveries/{delivery}/redeliver", status=409)
        assert refused["error"]["code"] == 9305
    finally:
        assert holding.hold is not None
        holding.hold.set()
        await holding.stop()


class StandInChatSession:
    """Answers the agents commands on the real broker as chat_session will (its handlers are the
    bots branch's, not merged yet): records each command and answers with a fixed state."""

    def __init__(self, amqp_url: str) -> None:
        self.bus = Bus(ServiceSettings(amqp_url=amqp_url, node_id=uuid.uuid4().hex[:8]), "chat_session")
        self.commands: list[Any] = []
        self.bus.on_command(AgentOpenDraft, self.open_draft)
        self.bus.on_command(AgentTyping, self.typing)
        self.bus.on_command(AgentHandoff, self.handoff)
        self.bus.on_command(AgentTakeBack, self.take_back)
        self.bus.on_command(AgentPostMessage, self.post)
        self.bus.on_command(AgentAppendDraft, self.append)
        self.bus.on_command(AgentFinishDraft, self.finish)
        self.drafts: dict[str, str] = {}

    def _message(self, command: Any, body: Any) -> AgentPosted:
        message = Message(
            id=uuid.uuid4().hex,
            conversation_id=command.conversation_id,
            seq=len(self.commands),
            author_id=f"agent_{command.bot_id}",
            author_role="bot",
            kind="bot" if not isinstance(body, str) else "text",
            body=body,
            created_at=datetime.now(UTC),
        )
        return AgentPosted(message=message)

    async def post(self, command: AgentPostMessage, _envelope: Envelope) -> AgentPosted:
        self.commands.append(command)
        return self._message(command, command.content)

    async def append(self, command: AgentAppendDraft, _envelope: Envelope) -> DraftState:
        self.commands.append(command)
        text = self.drafts.get(command.draft_id, "") + command.delta
        self.drafts[command.draft_id] = text
        return DraftState(
            draft_id=command.draft_id,
            conversation_id=command.conversation_id,
            length=len(text),
            next_index=command.index + 1,
        )

    async def finish(self, command: AgentFinishDraft, _envelope: Envelope) -> AgentPosted:
        self.commands.append(command)
        return self._message(command, self.drafts[command.draft_id])

    async def open_draft(self, command: AgentOpenDraft, _envelope: Envelope) -> DraftState:
        self.commands.append(command)
        return DraftState(draft_id="draft:0a1b", conversation_id=command.conversation_id, length=0, next_index=0)

    async def typing(self, command: AgentTyping, _envelope: Envelope) -> None:
        self.commands.append(command)

    async def handoff(self, command: AgentHandoff, _envelope: Envelope) -> ControlState:
        self.commands.append(command)
        return ControlState(conversation_id=command.conversation_id, controller="queued", queue_position=1)

    async def take_back(self, command: AgentTakeBack, _envelope: Envelope) -> ControlState:
        self.commands.append(command)
        raise ParleyError(ErrorCode.HELD_BY_HUMAN, "an operator holds the conversation")


async def test_a_bot_calls_the_api_with_the_reply_token_of_its_webhook(world: World, receiver: Receiver) -> None:
    chat_session = StandInChatSession(world.fleet.env["PARLEY_AMQP_URL"])
    await chat_session.bus.connect()
    await chat_session.bus.start_consuming()
    try:
        await _bot_api_calls(world, receiver, chat_session)
    finally:
        await chat_session.bus.stop_consuming(timeout=5)
        await chat_session.bus.close()


async def _bot_api_calls(world: World, receiver: Receiver, chat_session: StandInChatSession) -> None:
    channel, conversation = f"ch-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    bot = await world.call(
        "POST",
        "/integrations/bots",
        status=201,
        json={"name": "Ada", "webhook_url": receiver.url, "channel_ids": [channel]},
    )
    receiver.secrets.append(bot["secret"])
    event = await world.publish("visitor.status", channel, bot_id=bot["id"], conversation_id=conversation)
    delivery = delivery_id(event.event_id, "bot", bot["id"])
    await eventually(lambda: receiver.processed.get(delivery), what="the bot's webhook")
    token = receiver.processed[delivery][0].body["reply_token"]
    base = f"/bot/v1/conversations/{conversation}"

    def key(name: str) -> dict[str, str]:
        return {"Idempotency-Key": f"{name}-{uuid.uuid4().hex[:8]}"}

    opened = await world.call("POST", base + "/drafts", token=token, json={"text": "Hel"}, headers=key("open"))
    assert opened["draft_id"] == "draft:0a1b"
    command = chat_session.commands[-1]
    assert isinstance(command, AgentOpenDraft)
    assert (command.bot_id, command.conversation_id, command.text) == (bot["id"], conversation, "Hel")
    await world.call("POST", base + "/typing", token=token, status=204, json={"ttl_seconds": 20})
    assert isinstance(chat_session.commands[-1], AgentTyping) and chat_session.commands[-1].ttl_seconds == 20
    handed = await world.call(
        "POST", base + "/handoff", token=token, json={"reason": "asked for a person"}, headers=key("handoff")
    )
    assert handed["controller"] == "queued"
    held = await world.call("POST", base + "/take-back", token=token, status=409, headers=key("back"))
    assert held["error"]["code"] == ErrorCode.HELD_BY_HUMAN

    def code(answer: dict[str, Any]) -> int:
        return int(answer["error"]["code"])

    assert code(await world.call("POST", base + "/drafts", token=token, status=400, json={})) == 9105, "no key"
    bad_key = {"Idempotency-Key": "a b"}
    assert code(await world.call("POST", base + "/drafts", token=token, status=400, json={}, headers=bad_key)) == 9105
    path = base + "/drafts/not-a-draft/finish"
    assert code(await world.call("POST", path, token=token, status=400, headers=key("finish"))) == 9105
    other = f"/bot/v1/conversations/c-{uuid.uuid4().hex[:8]}/drafts"
    assert code(await world.call("POST", other, token=token, status=403, json={}, headers=key("x"))) == 9101
    assert code(await world.call("POST", base + "/drafts", token=None, status=401, json={})) == 9004
    assert code(await world.call("POST", base + "/drafts", status=403, json={}, headers=key("x"))) == 9101, "admin"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert code(await world.call("POST", base + "/drafts", token=tampered, status=401, json={})) == 7001
    expired = ReplyTokens(REPLY_TOKEN_KEY, 60).mint(bot["id"], conversation, now=time.time() - 120)
    assert code(await world.call("POST", base + "/drafts", token=expired, status=401, json={})) == 7001
    forged = ReplyTokens("another key", 60).mint(bot["id"], conversation)
    assert code(await world.call("POST", base + "/drafts", token=forged, status=401, json={})) == 7001
    assert code(await world.call("GET", "/integrations/bots", token=token, status=403)) == 9101, "a bot is no admin"
    await world.call("PATCH", f"/integrations/bots/{bot['id']}", json={"active": False})
    assert code(await world.call("POST", base + "/drafts", token=token, status=403, json={}, headers=key("x"))) == 9101
    assert len(chat_session.commands) == 4, "no refused call reached chat_session"


async def test_a_bot_that_is_down_gets_its_event_dead_lettered_and_its_failure_announced(
    world: World, receiver: Receiver
) -> None:
    receiver.always = 503
    channel, conversation = f"ch-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    bot = await world.call(
        "POST",
        "/integrations/bots",
        status=201,
        json={"name": "Bob", "webhook_url": receiver.url, "channel_ids": [channel]},
    )
    receiver.secrets.append(bot["secret"])
    event = await world.publish("message.created", channel, bot_id=bot["id"], conversation_id=conversation)
    failed = await world.probe.wait_for(BotFailed, lambda found: found.bot_id == bot["id"])
    assert (failed.conversation_id, failed.event_id, failed.reason) == (conversation, event.event_id, "unreachable")
    delivery = delivery_id(event.event_id, "bot", bot["id"])
    assert receiver.attempts[delivery] == MAX_ATTEMPTS
    receiver.always = None  # back up: redelivered under the same id, with a fresh reply token
    await world.call("POST", f"/integrations/deliveries/{delivery}/redeliver")
    await eventually(lambda: receiver.processed.get(delivery), what="the redelivery to the bot")
    assert receiver.processed[delivery][0].body["reply_token"].startswith("pbt1.")


async def test_the_example_agent_greets_streams_its_answer_word_by_word_and_hands_off(world: World) -> None:
    chat_session = StandInChatSession(world.fleet.env["PARLEY_AMQP_URL"])
    await chat_session.bus.connect()
    await chat_session.bus.start_consuming()
    port = free_port()
    channel, conversation = f"ch-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    bot = await world.call(
        "POST",
        "/integrations/bots",
        status=201,
        json={"name": "Example", "webhook_url": f"http://127.0.0.1:{port}/parley", "channel_ids": [channel]},
    )
    env = {
        **os.environ,
        "AGENT_SECRET": bot["secret"],
        "AGENT_PORT": str(port),
        "AGENT_WORD_SECONDS": "0",
        "PARLEY_BOT_API": world.fleet.url("integrations"),
    }
    log = (ARTIFACTS / f"example-agent-{port}.log").open("ab")
    agent = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "examples.agent", env=env, stdout=log, stderr=log
    )
    try:

        async def up() -> bool:
            try:
                async with world.session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(up, what="the example agent listening")
        await world.publish("conversation.started", channel, bot_id=bot["id"], conversation_id=conversation)

        def posted() -> list[Any]:
            return [c for c in chat_session.commands if isinstance(c, AgentPostMessage)]

        await eventually(lambda: len(posted()) == 2, what="the greeting and its mood")
        assert [c.content.kind for c in posted()] == ["mood", "text"]

        data = {"sender_role": "visitor", "text": "where is my order"}
        await world.publish("message.created", channel, bot_id=bot["id"], conversation_id=conversation, data=data)
        finished = await eventually(
            lambda: [c for c in chat_session.commands if isinstance(c, AgentFinishDraft)], what="the streamed answer"
        )
        deltas = [c for c in chat_session.commands if isinstance(c, AgentAppendDraft)]
        assert [c.index for c in deltas] == list(range(len(deltas))) and len(deltas) > 5, "one delta per word, in order"
        assert chat_session.drafts[finished[0].draft_id].startswith("You wrote: where is my order.")
        assert any(isinstance(c, AgentTyping) for c in chat_session.commands)

        data = {"sender_role": "visitor", "text": "I want to talk to a person please"}
        await world.publish("message.created", channel, bot_id=bot["id"], conversation_id=conversation, data=data)
        handoff = await eventually(
            lambda: [c for c in chat_session.commands if isinstance(c, AgentHandoff)], what="the hand-off"
        )
        assert handoff[0].reason == "asked for a person" and "talk to a person" in handoff[0].summary
        assert {c.bot_id for c in chat_session.commands} == {bot["id"]}
        assert {c.conversation_id for c in chat_session.commands} == {conversation}

        # A webhook not signed with the bot's secret is refused by the agent.
        async with world.session.post(
            f"http://127.0.0.1:{port}/parley",
            data=b"{}",
            headers={"webhook-id": "msg_x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"},
        ) as response:
            assert response.status == 401
    finally:
        agent.terminate()
        await agent.wait()
        log.close()
        await chat_session.bus.stop_consuming(timeout=5)
        await chat_session.bus.close()


async def _messages_stream_bound(infra: Infra) -> bool:
    """Whether integrations' events queue takes the stream of every chat message (bindings.py)."""
    base, headers = _split(MANAGEMENT_URL)
    path = f"/api/queues/{quote(infra.vhost, safe='')}/{quote(topology.events_queue('integrations'), safe='')}/bindings"
    async with aiohttp.ClientSession(base_url=base, headers=headers) as http, http.get(path) as response:
        assert response.status == 200, await response.text()
        keys = {binding["routing_key"] for binding in await response.json()}
    assert "integrations.outbound" in keys, keys  # every other event is always taken
    return f"integrations.outbound.{MESSAGES_STREAM}" in keys


async def _drop_message_subscriptions(world: World) -> None:
    """The other tests' message.created subscriptions (this module's fleet is shared)."""
    for webhook in (await world.call("GET", "/integrations/webhooks"))["webhooks"]:
        if "message.created" in webhook["event_types"]:
            await world.call("DELETE", f"/integrations/webhooks/{webhook['id']}", status=204)


async def test_the_stream_of_chat_messages_is_taken_exactly_while_a_webhook_wants_it(
    world: World, receiver: Receiver, infra: Infra
) -> None:
    await _drop_message_subscriptions(world)
    assert not await _messages_stream_bound(infra)
    channel = f"ch-{uuid.uuid4().hex[:8]}"
    closed = await world.subscribe(receiver, ["conversation.closed"], [channel])
    unwanted = await world.publish("message.created", channel)  # nobody subscribes: not even taken
    ended = await world.publish("conversation.closed", channel)
    await eventually(lambda: receiver.processed.get(delivery_id(ended.event_id, "webhook", closed["id"])))

    # Bound before the API answered: the very next message is delivered.
    messages = await world.subscribe(receiver, ["message.created"], [channel])
    assert await _messages_stream_bound(infra)
    wanted = await world.publish("message.created", channel)
    await eventually(lambda: receiver.processed.get(delivery_id(wanted.event_id, "webhook", messages["id"])))
    assert unwanted.event_id not in receiver.processed_events()

    # Deactivated: no longer taken; active again: taken again; deleted: gone.
    await world.call("PATCH", f"/integrations/webhooks/{messages['id']}", json={"active": False})
    assert not await _messages_stream_bound(infra)
    await world.call("PATCH", f"/integrations/webhooks/{messages['id']}", json={"active": True})
    assert await _messages_stream_bound(infra)
    await world.call("DELETE", f"/integrations/webhooks/{messages['id']}", status=204)
    assert not await _messages_stream_bound(infra)

    # Creations and deletions racing each other on the admin API: after each round the binding
    # is what the registry says (the lock orders every decision after the write it follows).
    for _ in range(5):
        kept = await world.subscribe(receiver, ["message.created"], [channel])
        spare = await world.subscribe(receiver, ["message.created"], [channel])
        await asyncio.gather(
            world.call("DELETE", f"/integrations/webhooks/{spare['id']}", status=204),
            world.subscribe(receiver, ["message.created"], [channel]),
            world.call("DELETE", f"/integrations/webhooks/{kept['id']}", status=204),
        )
        assert await _messages_stream_bound(infra)  # the one created in the race is left
        await _drop_message_subscriptions(world)
        assert not await _messages_stream_bound(infra)
    await world.call("DELETE", f"/integrations/webhooks/{closed['id']}", status=204)
