"""Helpers, no tests: the chatbot engine as real processes on real servers, and a stand-in for
chat_session and notification on the same bus.

:class:`ChatDouble` answers ``chat_session.send_message`` (storing the bot's posts with a seq,
idempotent on ``client_msg_id`` like chat_session) and ``chat_session.request_operator`` (with a
status the test chooses), publishes the visitor's ``message.created`` events, and records the
``client.frame`` and ``chatbot.contact_collected`` events the engine publishes.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import AsyncMongoClient

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.bot import ContactCollected
from parley.contracts.commands import MessageAccepted, OperatorRequestResult, RequestOperator, SendMessage
from parley.contracts.events import ClientFrameEvent, ConversationCreated, MessageCreated
from parley.contracts.frames import conversation_of
from parley.contracts.messages import Message
from parley.settings import ServiceSettings
from parley_chatbot_engine.script_checks import parse_script
from parley_chatbot_engine.script_store import ScriptStore
from parley_fleet import create_vhost, delete_vhost, free_port
from parley_fleet.processes import ServiceProcess
from tests.conftest import MANAGEMENT_URL, MONGO_URL, REDIS_URL, Infra
from tests.kit.waiting import eventually

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
# Generous: other test runs share this 2-core machine.
WAIT_SECONDS = 20.0
CHANNEL = "ch_bot"
# A script with every step type, branching and a triggering answer; the engine and gateway tests walk it.
FLOW_STEPS: list[dict[str, Any]] = [
    {"id": "hello", "type": "text", "text": "Hello!", "class": "greeting"},
    {
        "id": "topic",
        "type": "question_selection",
        "text": "Topic?",
        "answers": [
            {"id": "billing", "label": "Billing"},
            {"id": "bug", "label": "Bug", "then": "jump", "jump_to": "describe"},
            {"id": "human", "label": "Human", "then": "operator"},
        ],
    },
    {"id": "billing_note", "type": "text", "text": "Billing it is.", "triggering_answers": ["topic.billing"]},
    {"id": "email", "type": "question_email", "text": "Email?"},
    {"id": "phone", "type": "question_phone", "text": "Phone?"},
    {"id": "describe", "type": "free_input_multi", "text": "Describe."},
    {"id": "order", "type": "free_input_single", "text": "Order?"},
    {"id": "forward", "type": "forward_operator", "text": "Forwarding."},
    {"id": "nobody", "type": "text", "text": "Nobody free."},
    {"id": "end", "type": "end", "text": "Bye."},
]


class Slice:
    """A vhost, key prefix, database and node names of one test module. The database is the
    module's own: an engine sweeps every stale outbox in its database, so on the run's shared one it
    would carry out effects another module's engines left (their frames landing in this module's
    bus and assertions)."""

    def __init__(self, infra: Infra, name: str) -> None:
        self.name = name
        self.vhost = f"{infra.vhost}-{name}"
        self.amqp_url = infra.amqp_url.rsplit("/", 1)[0] + "/" + self.vhost
        self.mongo_db = f"{infra.mongo_db}_{name}"
        self.redis_prefix = f"{infra.redis_prefix}{name}:"
        self.log_dir = ARTIFACTS / f"{name}-{infra.run_id}-{uuid.uuid4().hex[:4]}"
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def settings(self, service: str) -> ServiceSettings:
        return ServiceSettings(
            amqp_url=self.amqp_url, node_id=f"{service}-{uuid.uuid4().hex[:6]}", bus_request_timeout_seconds=10.0
        )

    def engine(self, label: str, env: dict[str, str]) -> ServiceProcess:
        port = free_port()
        full = {
            **os.environ,
            "PARLEY_AMQP_URL": self.amqp_url,
            "PARLEY_REDIS_URL": REDIS_URL,
            "PARLEY_REDIS_KEY_PREFIX": self.redis_prefix,
            "PARLEY_MONGO_URL": MONGO_URL,
            "PARLEY_MONGO_DB": self.mongo_db,
            "PARLEY_HTTP_PORT": str(port),
            "PARLEY_NODE_ID": f"{self.name}-engine-{label}",
            "PARLEY_LOG_FORMAT": "json",
            "PARLEY_SHUTDOWN_TIMEOUT_SECONDS": "10",
            **env,
        }
        return ServiceProcess("chatbot_engine", port, full, self.log_dir / f"chatbot_engine-{label}.log")


async def open_slice(infra: Infra, name: str) -> Slice:
    slice_ = Slice(infra, name)
    await create_vhost(MANAGEMENT_URL, slice_.vhost)
    return slice_


async def close_slice(slice_: Slice) -> None:
    await delete_vhost(MANAGEMENT_URL, slice_.vhost)
    client = AsyncMongoClient(MONGO_URL)
    try:
        await client.drop_database(slice_.mongo_db)
    finally:
        await client.close()


async def store_scripts(slice_: Slice, *documents: dict[str, Any]) -> None:
    client = AsyncMongoClient(MONGO_URL, tz_aware=True)
    try:
        store = ScriptStore(client[slice_.mongo_db])
        for document in documents:
            await store.put(parse_script(document))
    finally:
        await client.close()


async def start_ready(process: ServiceProcess, timeout: float = 60.0) -> ServiceProcess:
    """Start a service process and wait until its /readyz says ready."""
    await process.start()
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if process.process is not None and process.process.returncode is not None:
                raise RuntimeError(f"{process.name} exited with {process.process.returncode}; see {process.log_path}")
            try:
                async with session.get(f"{process.url}/readyz") as response:
                    if response.status == 200:
                        return process
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{process.name} was not ready in {timeout:g}s; see {process.log_path}")


class ChatDouble:
    """chat_session and notification, as far as the engine can tell, over the real bus."""

    def __init__(self, slice_: Slice) -> None:
        self.chat = Bus(slice_.settings("chat_session"), "chat_session")
        self.watch = Bus(slice_.settings("notification"), "notification")
        self.posts: dict[str, list[Message]] = defaultdict(list)
        self.frames: list[ClientFrameEvent] = []
        self.contacts: list[ContactCollected] = []
        self.operator_requests: list[str] = []
        self.operator_status: dict[str, str] = {}
        self._seq: dict[str, int] = defaultdict(int)
        self._stored: dict[tuple[str, str], Message] = {}
        self.chat.on_command(SendMessage, self._send_message)
        self.chat.on_command(RequestOperator, self._request_operator)
        self.watch.on_event(ClientFrameEvent, self._frame)
        self.watch.on_event(ContactCollected, self._contact)

    async def start(self) -> None:
        for bus in (self.chat, self.watch):
            await bus.connect()
            await bus.start_consuming()

    async def stop(self) -> None:
        for bus in (self.chat, self.watch):
            await bus.stop_consuming(timeout=2)
            await bus.close()

    async def _send_message(self, command: SendMessage, _envelope: Envelope) -> MessageAccepted:
        key = (command.caller.user_id, command.client_msg_id)
        if key in self._stored:
            return MessageAccepted(message=self._stored[key], duplicate=True)
        message = self._message(command.conversation_id, command.caller.user_id, "bot", command.kind, command.body)
        message = message.model_copy(
            update={"client_msg_id": command.client_msg_id, "author_name": command.caller.name}
        )
        self._stored[key] = message
        self.posts[command.conversation_id].append(message)
        return MessageAccepted(message=message)

    async def _request_operator(self, command: RequestOperator, _envelope: Envelope) -> OperatorRequestResult:
        self.operator_requests.append(command.conversation_id)
        status = self.operator_status.get(command.conversation_id, "unavailable")
        return OperatorRequestResult(status=status, operator_id="op_1" if status == "assigned" else None)  # type: ignore[arg-type]

    async def _frame(self, event: ClientFrameEvent, _envelope: Envelope) -> None:
        self.frames.append(event)

    async def _contact(self, event: ContactCollected, _envelope: Envelope) -> None:
        self.contacts.append(event)

    def _message(self, conversation_id: str, author: str, role: str, kind: str, body: Any) -> Message:
        self._seq[conversation_id] += 1
        seq = self._seq[conversation_id]
        return Message(
            id=f"m_{conversation_id}_{seq}",
            conversation_id=conversation_id,
            seq=seq,
            author_id=author,
            author_role=role,
            kind=kind,
            body=body,
            created_at=datetime.now(UTC),  # type: ignore[arg-type]
        )

    # ---- what the test does ----------------------------------------------------------------------

    async def open(self, conversation_id: str, visitor: str, bot_id: str) -> None:
        event = ConversationCreated(conversation_id=conversation_id, channel_id=CHANNEL, member_ids=[visitor, bot_id])
        await self.chat.publish_event(event)

    async def visitor_says(self, conversation_id: str, visitor: str, bot_id: str, text: str) -> Message:
        message = self._message(conversation_id, visitor, "visitor", "text", text)
        await self.chat.publish_event(MessageCreated(message=message, member_ids=[visitor, bot_id]))
        return message

    def texts(self, conversation_id: str) -> list[str]:
        return [
            getattr(message.body, "text", getattr(message.body, "kind", "")) for message in self.posts[conversation_id]
        ]

    def bodies(self, conversation_id: str) -> list[Any]:
        return [message.body for message in self.posts[conversation_id]]

    def frames_of(self, conversation_id: str, frame_type: str) -> list[dict[str, Any]]:
        return [
            event.frame.data.model_dump(mode="json")
            for event in self.frames
            if event.frame.type == frame_type and conversation_of(event.frame) == conversation_id
        ]

    async def said(self, conversation_id: str, count: int, timeout: float = WAIT_SECONDS) -> list[str]:
        """Wait until the bot has posted ``count`` messages in the conversation; returns their texts."""
        await eventually(lambda: len(self.posts[conversation_id]) >= count, timeout=timeout, what=f"{count} bot posts")
        return self.texts(conversation_id)
