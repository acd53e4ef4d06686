"""Helpers, no tests: an admin who sets chatbots up over HTTP, a visitor who talks to them over
the gateway's WebSocket as a widget would. (The fleet itself: ``tests.kit.fleet.fleet_for``.)
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import yaml

from parley_fleet import Fleet
from tests.kit.client import Frame, WsClient, login
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.kit.seeding import Seeder

# Generous: other test runs share this 2-core machine.
WAIT_SECONDS = 20.0


class Admin:
    """The bootstrap admin, over the HTTP APIs of auth, chat_session and chatbot_engine."""

    def __init__(self, session: aiohttp.ClientSession, running: Fleet, token: str) -> None:
        self.session = session
        self.fleet = running
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seed = Seeder(session, running, token)

    @classmethod
    async def login(cls, session: aiohttp.ClientSession, running: Fleet) -> Admin:
        answer = await login(session, running.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        return cls(session, running, answer["token"])

    async def call(self, method: str, service: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        url = f"{self.fleet.url(service)}{path}"
        async with self.session.request(
            method, url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        ) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            return response.status, body

    async def put_script(self, document: dict[str, Any]) -> None:
        status, body = await self.call(
            "POST",
            "chatbot_engine",
            "/chatbot/scripts",
            data=yaml.safe_dump(document),
            headers={"Content-Type": "application/yaml"},
        )
        assert status in (200, 201), body

    async def operator(self) -> tuple[str, str, str]:
        staff = await self.seed.staff(name="Olivia")
        return staff.uid, staff.username, staff.password

    async def channel(self, script_id: str, operator_ids: list[str] | None = None) -> str:
        return await self.seed.channel(operator_ids or [], name=f"Bot {script_id}", chatbot_script_id=script_id)

    async def faq(self, channel_id: str, question: str, answer: str, **extra: Any) -> None:
        status, body = await self.call(
            "POST",
            "chatbot_engine",
            f"/chatbot/channels/{channel_id}/faq",
            json={"question": question, "answer": answer, **extra},
        )
        assert status == 201, body


class Visitor:
    """A widget: a visitor's login, WebSocket and conversation with a channel's bot."""

    def __init__(self, ws: WsClient, uid: str, conversation_id: str) -> None:
        self.ws = ws
        self.uid = uid
        self.conversation_id = conversation_id
        self._sent = 0

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, running: Fleet, channel_id: str) -> Visitor:
        answer = await login(session, running.url("auth"), device_id=f"device-{uuid.uuid4().hex}")
        ws_url = running.url("gateway").replace("http://", "ws://") + "/ws"
        ws, _ = await WsClient.connect(session, ws_url, answer["token"])
        opened = await ws.request("session.open", {"channel_id": channel_id})
        assert opened["type"] == "session.opened", opened
        return cls(ws, answer["uid"], opened["data"]["conversation_id"])

    async def say(self, text: str) -> Frame:
        self._sent += 1
        data = {
            "conversation_id": self.conversation_id,
            "client_msg_id": f"w-{self._sent}",
            "kind": "text",
            "body": text,
        }
        accepted = await self.ws.request("message.send", data, timeout=WAIT_SECONDS)
        assert accepted["type"] == "message.accepted", accepted
        return accepted

    async def click(self, step_id: str, answer_id: str) -> Frame:
        data = {"conversation_id": self.conversation_id, "step_id": step_id, "answer_id": answer_id}
        return await self.ws.request("chatbot.answer", data, timeout=WAIT_SECONDS)

    async def frame(self, frame_type: str, data: dict[str, Any]) -> Frame:
        return await self.ws.request(
            frame_type, {"conversation_id": self.conversation_id, **data}, timeout=WAIT_SECONDS
        )

    def bot_messages(self) -> list[dict[str, Any]]:
        """The bot's messages of this conversation as received, in seq order, each seq once."""
        seen: dict[int, dict[str, Any]] = {}
        for frame in self.ws.of_type("message.new"):
            data = frame["data"]
            if data["conversation_id"] == self.conversation_id and data["message"]["author_role"] == "bot":
                seen.setdefault(data["seq"], data["message"])
        return [seen[seq] for seq in sorted(seen)]

    def texts(self) -> list[str]:
        return [message["body"].get("text", message["body"]["kind"]) for message in self.bot_messages()]

    def classes(self) -> list[str]:
        return [message["body"]["class"] for message in self.bot_messages()]

    async def bot_said(self, count: int, timeout: float = WAIT_SECONDS) -> list[str]:
        """Wait until the bot has said ``count`` things here; returns the texts (or kinds)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.bot_messages()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the bot said {self.texts()} in {timeout:g}s, not {count} messages")
            await asyncio.sleep(0.05)
        return self.texts()

    async def bot_is_member(self, bot_id: str) -> None:
        """The conversation was created with the channel's bot among its members (chat_session's part)."""
        created = await self.pushed("conversation.updated")
        assert bot_id in created["data"]["member_ids"], (
            f"chat_session created the conversation with members {created['data']['member_ids']}: it must add the "
            f"channel's chatbot ({bot_id}) as a member when it creates a conversation, or the engine never hears of it"
        )

    async def pushed(self, frame_type: str, predicate: Any = None, timeout: float = WAIT_SECONDS) -> Frame:
        def matches(frame: Frame) -> bool:
            return (
                frame.get("type") == frame_type
                and frame["data"].get("conversation_id") == self.conversation_id
                and (predicate is None or predicate(frame["data"]))
            )

        return await self.ws.wait_for(matches, timeout)
