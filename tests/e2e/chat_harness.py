"""Helpers, no tests: what the chat_session end-to-end modules share.

:class:`ChatWorld` is one module's fleet (started with chat settings short enough for tests)
with an admin signed in, and the steps the tests repeat: staff accounts, channels, visitors and
operators connected over WebSocket, HTTP calls with a token, and a bus connection of its own for the commands
no client frame sends (``chat_session.request_operator``) or to drive many sends at once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from parley.bus import Bus
from parley.settings import ServiceSettings
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.kit.client import Frame, WsClient, login
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME, fleet_for
from tests.kit.seeding import Seeder

# Generous: other test runs share this 2-core machine.
WAIT_SECONDS = 15.0

# Settings every chat module runs with: queues swept and deadlines polled often (tests wait on
# them), and login rate limits out of the way of a test that signs in dozens of users.
CHAT_ENV = {
    "PARLEY_AUTH_LOGIN_ADDRESS_BURST": "100000",
    "PARLEY_AUTH_LOGIN_ADDRESS_PER_MINUTE": "100000",
    "PARLEY_CHAT_QUEUE_SWEEP_SECONDS": "1",
    "PARLEY_CHAT_TIMER_POLL_SECONDS": "0.2",
    # The MongoDB-wire server is shared with every other test run on this machine and its writes
    # stall for a second at times; a request waiting 15 s instead of 5 keeps that from failing a test.
    "PARLEY_BUS_REQUEST_TIMEOUT_SECONDS": "15",
}


@dataclass
class Person:
    uid: str
    token: str
    name: str
    ws: WsClient


def of_type(frame_type: str, **data: Any):
    """A predicate for WsClient.wait_for: a frame of this type whose data has these values."""
    return lambda frame: frame.get("type") == frame_type and all(frame["data"].get(k) == v for k, v in data.items())


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws"


class ChatWorld:
    def __init__(self, infra: Infra, fleet: Fleet, session: aiohttp.ClientSession, admin_token: str, bus: Bus) -> None:
        self.infra = infra
        self.fleet = fleet
        self.session = session
        self.admin_token = admin_token
        self.bus = bus  # the test's own connection to the fleet's bus, to send commands as a service would
        self.seed = Seeder(session, fleet, admin_token)
        self._sockets: list[WsClient] = []

    @classmethod
    async def of(cls, infra: Infra, fleet: Fleet) -> ChatWorld:
        """The world of a running fleet: the admin signed in, a bus connection of the test's own."""
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        bus = Bus(
            ServiceSettings(amqp_url=infra.amqp_url, node_id=uuid.uuid4().hex[:8], bus_request_timeout_seconds=10.0),
            "chat-tests",
        )
        await bus.connect()
        return cls(infra, fleet, session, admin["token"], bus)

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        await self.bus.close()
        await self.session.close()

    @property
    def chat_url(self) -> str:
        return self.fleet.url("chat_session")

    async def call(self, method: str, path: str, token: str | None = None, *, status: int = 200, **kwargs: Any) -> Any:
        """An HTTP call on chat_session; asserts the status and returns the JSON (or text) body."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.chat_url + path, headers=headers, **kwargs) as response:
            body = await response.text()
            assert response.status == status, f"{method} {path}: {response.status} {body}"
            if response.content_type == "application/json":
                return await response.json()
            return body

    async def admin(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        return await self.call(method, path, self.admin_token, status=status, **kwargs)

    async def connect(self, token: str) -> WsClient:
        ws, _ = await WsClient.connect(self.session, ws_url(self.fleet.url("gateway")), token)
        self._sockets.append(ws)
        return ws

    async def operator(self, name: str) -> Person:
        staff = await self.seed.staff(name=name)
        signed_in = await login(self.session, self.fleet.url("auth"), username=staff.username, password=staff.password)
        return Person(signed_in["uid"], signed_in["token"], name, await self.connect(signed_in["token"]))

    async def visitor(self) -> Person:
        signed_in = await login(self.session, self.fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}")
        return Person(signed_in["uid"], signed_in["token"], signed_in["uname"], await self.connect(signed_in["token"]))

    async def channel(self, operators: list[Person], **fields: Any) -> str:
        channel_id = await self.seed.channel(
            [op.uid for op in operators], **{"welcome": "Hi! How can we help?", **fields}
        )
        for op in operators:  # their display names, for notices and /transfer
            await self.admin("PUT", f"/channels/{channel_id}/operators/{op.uid}", json={"name": op.name})
        return channel_id

    async def wait_available(self, channel_id: str, *operators: Person, available: bool = True) -> None:
        """Until the channel sees these operators as available (presence learns of sockets by events)."""
        deadline = time.monotonic() + WAIT_SECONDS
        wanted = {op.uid for op in operators}
        while True:
            listed = await self.admin("GET", f"/channels/{channel_id}/operators")
            if {op["user_id"] for op in listed["operators"] if op["available"] == available} >= wanted:
                return
            assert time.monotonic() < deadline, f"operators not {'available' if available else 'busy'}: {listed}"
            await asyncio.sleep(0.1)

    async def send(self, person: Person, conversation_id: str, text: str, client_msg_id: str | None = None) -> Frame:
        data = {
            "conversation_id": conversation_id,
            "client_msg_id": client_msg_id or uuid.uuid4().hex,
            "kind": "text",
            "body": text,
        }
        return await person.ws.request("message.send", data, timeout=WAIT_SECONDS)

    async def start_conversation(self, visitor: Person, channel_id: str, text: str = "Hello") -> str:
        """The visitor opens the widget and writes: the conversation exists from then on."""
        opened = await visitor.ws.request("session.open", {"channel_id": channel_id}, timeout=WAIT_SECONDS)
        assert opened["type"] == "session.opened", opened
        conversation_id = opened["data"]["conversation_id"]
        sent = await self.send(visitor, conversation_id, text)
        assert sent["type"] == "message.accepted", sent
        return conversation_id

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        return await self.admin("GET", f"/conversations/{conversation_id}")

    async def until(self, conversation_id: str, predicate, what: str) -> dict[str, Any]:
        """Poll the conversation (as admin) until ``predicate`` holds."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            doc = await self.conversation(conversation_id)
            if predicate(doc):
                return doc
            assert time.monotonic() < deadline, f"never {what}: {doc}"
            await asyncio.sleep(0.1)


def world_fixture(name: str, env: dict[str, str] | None = None, *, uses: tuple[str, ...] = ()):
    """A module-scoped ``world`` fixture: a fleet of its own with ``env``; stopped cleanly at the end.

    ``uses`` names fixtures whose values ``env`` needs: ``env`` may then be a function of them.
    """

    @pytest.fixture(scope="module")
    async def world(infra: Infra, request: pytest.FixtureRequest):
        extra = env(*(request.getfixturevalue(fixture) for fixture in uses)) if callable(env) else env
        async with fleet_for(infra, name, **CHAT_ENV, **(extra or {})) as fleet:
            running = await ChatWorld.of(infra, fleet)
            try:
                yield running
            finally:
                await running.close()

    return world


# Attachments (docs/attachments.md): an upload of the raw body, and a message carrying uploads.
async def upload(
    world: ChatWorld,
    token: str | None,
    conversation_id: str,
    name: str,
    body: Any,
    *,
    status: int = 201,
    base: str = "",
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = (base or world.chat_url) + f"/files/{conversation_id}"
    async with world.session.post(url, params={"name": name}, data=body, headers=headers) as response:
        answer = await response.json()
        assert response.status == status, answer
        return answer


async def send_files(world: ChatWorld, person: Person, conversation_id: str, file_ids: list[str], key: str) -> Any:
    data = {
        "conversation_id": conversation_id,
        "client_msg_id": key,
        "kind": "file",
        "body": {"file_ids": file_ids, "text": "see attached"},
    }
    return await person.ws.request("message.send", data, timeout=WAIT_SECONDS)
