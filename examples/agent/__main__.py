"""An example agent: what an external bot of yours does with Parley (docs/bots.md).

It is deliberately self-contained (aiohttp and the standard library; nothing of Parley's code), as
a bot written elsewhere would be:

- every webhook's Standard Webhooks signature is verified before anything is read (401 otherwise);
- the webhook is answered 204 at once, and the reply goes through the bot API later, with the
  event's ``reply_token`` and an ``Idempotency-Key`` derived from the event (a retried webhook
  makes the same calls, which Parley answers once);
- a conversation that starts is greeted, with a mood;
- a visitor's message is answered **streamed**: typing, a draft, one delta per word, finish;
- a slow model is no failure: while it thinks (``AGENT_THINK_SECONDS``), the agent keeps the
  visitor's typing indicator alive (each lasts 20 s) and answers when it is done;
- a visitor who asks where the nearest shop is gets a program action (``getLocation``, bm-aichat
  ``M``); the client's ``program.result`` is answered with the place, or a question if refused;
- a visitor who asks for a person is handed off (reason and summary); when the operator lets go
  of the conversation (``conversation.released``), the agent takes it back and says so.

Run: ``AGENT_SECRET=whsec_... PARLEY_BOT_API=http://127.0.0.1:8087 python -m examples.agent``
(``AGENT_PORT``, default 8095; ``AGENT_WORD_SECONDS``, the pause between words, default 0.15;
``AGENT_THINK_SECONDS``, how long the "model" takes before it answers, default 0).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

log = logging.getLogger("example-agent")
TOLERANCE_SECONDS = 300
TYPING_TTL_SECONDS = 20
# A typing indicator is sent again this often while the agent thinks, before the last one ends.
TYPING_REFRESH_SECONDS = 15
ASKS_FOR_A_PERSON = re.compile(r"\b(person|human|agent|operator|someone real)\b", re.IGNORECASE)
ASKS_WHERE = re.compile(r"\b(nearest|near me|where am i)\b", re.IGNORECASE)


def verified(secret: str, headers: Any, body: bytes, now: float) -> bool:
    """Standard Webhooks: HMAC-SHA256 over ``id.timestamp.body`` with the key after ``whsec_``;
    any of the space-separated signatures may match (two during a secret rotation)."""
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, offered) for offered in headers.get("webhook-signature", "").split(" "))


def answer_to(text: str) -> str:
    """The 'model': a canned answer, long enough to be worth streaming."""
    return f"You wrote: {text.strip()[:200]}. I am an example agent, so I answer word by word."


class Agent:
    def __init__(self, secret: str, api: str, word_seconds: float, think_seconds: float = 0.0) -> None:
        self.secret = secret
        self.api = api.rstrip("/")
        self.word_seconds = word_seconds
        self.think_seconds = think_seconds
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verified(self.secret, request.headers, body, time.time()):
            return web.Response(status=401, text="bad signature")
        event = await request.json()
        task = asyncio.create_task(self.handle(request.headers["webhook-id"], event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response(status=204)

    async def call(self, token: str, conversation: str, path: str, key: str, body: dict[str, Any] | None) -> Any:
        assert self.session is not None
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        url = f"{self.api}/bot/v1/conversations/{conversation}{path}"
        async with self.session.post(url, json=body, headers=headers) as response:
            text = await response.text()
            if response.status >= 400:
                log.warning("bot API %s answered %s: %s", path, response.status, text)
                response.raise_for_status()
            return await response.json() if text else None

    async def handle(self, delivery: str, event: dict[str, Any]) -> None:
        data, token = event.get("data", {}), event.get("reply_token")
        conversation = data.get("conversation_id")
        if not token or not conversation:
            return
        key = delivery.removeprefix("msg_")[:40]  # the same on a retried webhook: Parley answers once
        try:
            if event["type"] == "conversation.started":
                await self.greet(token, conversation, key)
            elif event["type"] == "message.created" and data.get("sender_role") == "visitor":
                text = str(data.get("text", ""))
                if ASKS_FOR_A_PERSON.search(text):
                    handoff = {"reason": "asked for a person", "summary": f"The visitor wrote: {text[:300]}"}
                    await self.call(token, conversation, "/handoff", f"{key}-handoff", handoff)
                elif ASKS_WHERE.search(text):
                    # A program action (bm-aichat M): the visitor's client locates them and answers
                    # with a program.result event, which the branch below replies to.
                    action = {"meaning": "getLocation", "params": {"precision": "city"}}
                    await self.call(token, conversation, "/actions", f"{key}-locate", action)
                else:
                    await self.stream(token, conversation, key, answer_to(text))
            elif event["type"] == "program.result":
                await self.located(token, conversation, key, data)
            elif event["type"] == "conversation.released":
                await self.take_back(token, conversation, key)
        except aiohttp.ClientError:
            log.exception("answering %s failed", delivery)

    async def greet(self, token: str, conversation: str, key: str) -> None:
        mood = {"content": {"kind": "mood", "class": "greeting", "mood": "happy"}}
        await self.call(token, conversation, "/messages", f"{key}-mood", mood)
        greeting = {"content": {"kind": "text", "class": "greeting", "text": "Hello! Ask me anything."}}
        await self.call(token, conversation, "/messages", f"{key}-hello", greeting)

    async def located(self, token: str, conversation: str, key: str, data: dict[str, Any]) -> None:
        """The client's answer to getLocation: where the visitor is, or that they said no."""
        result = data.get("result") or {}
        if data.get("status") == "done" and "latitude" in result and "longitude" in result:
            place = f"{float(result['latitude']):.2f}, {float(result['longitude']):.2f}"
            text = f"Thanks! Our nearest shop to {place} is open until 7 pm."
        else:
            text = "No problem: tell me your city and I will find the nearest shop."
        reply = {"content": {"kind": "text", "class": "answer", "text": text}}
        await self.call(token, conversation, "/messages", f"{key}-located", reply)

    async def take_back(self, token: str, conversation: str, key: str) -> None:
        """The human let go: answer again, unless another operator took it meanwhile (409)."""
        try:
            await self.call(token, conversation, "/take-back", f"{key}-back", None)
        except aiohttp.ClientResponseError as refused:
            if refused.status == 409:
                return  # held by a human again, or closed: nothing to do
            raise
        back = {"content": {"kind": "text", "class": "greeting", "text": "I'm back. Ask me anything."}}
        await self.call(token, conversation, "/messages", f"{key}-back-hello", back)

    async def think(self, token: str, conversation: str, key: str) -> None:
        """The model's time: the visitor sees the bot typing all along, however long it takes."""
        thought = 0.0
        rounds = 0
        while thought < self.think_seconds:
            typing = {"ttl_seconds": TYPING_TTL_SECONDS}
            await self.call(token, conversation, "/typing", f"{key}-typing{rounds}", typing)
            pause = min(TYPING_REFRESH_SECONDS, self.think_seconds - thought)
            await asyncio.sleep(pause)
            thought += pause
            rounds += 1

    async def stream(self, token: str, conversation: str, key: str, answer: str) -> None:
        await self.think(token, conversation, key)
        await self.call(token, conversation, "/typing", f"{key}-typing", {"ttl_seconds": TYPING_TTL_SECONDS})
        draft = await self.call(token, conversation, "/drafts", f"{key}-open", {"message_class": "answer"})
        words = answer.split(" ")
        for index, word in enumerate(words):
            delta = {"index": index, "delta": word if index == len(words) - 1 else word + " "}
            await self.call(token, conversation, f"/drafts/{draft['draft_id']}/deltas", f"{key}-d{index}", delta)
            await asyncio.sleep(self.word_seconds)
        await self.call(token, conversation, f"/drafts/{draft['draft_id']}/finish", f"{key}-done", None)

    async def start(self, app: web.Application) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self, app: web.Application) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.session is not None:
            await self.session.close()


def application(agent: Agent) -> web.Application:
    app = web.Application()
    app.router.add_post("/parley", agent.webhook)
    app.router.add_get("/healthz", lambda _request: web.Response(text="ok"))
    app.on_startup.append(agent.start)
    app.on_cleanup.append(agent.stop)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    agent = Agent(
        os.environ["AGENT_SECRET"],
        os.environ.get("PARLEY_BOT_API", "http://127.0.0.1:8087"),
        float(os.environ.get("AGENT_WORD_SECONDS", "0.15")),
        float(os.environ.get("AGENT_THINK_SECONDS", "0")),
    )
    web.run_app(application(agent), host="127.0.0.1", port=int(os.environ.get("AGENT_PORT", "8095")))


if __name__ == "__main__":
    main()
