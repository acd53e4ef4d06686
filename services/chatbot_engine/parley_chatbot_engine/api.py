"""The engine's admin HTTP API: scripts (JSON or YAML), their validation, FAQ entries, and a
conversation's bot state. docs/chatbot-openapi.yaml is generated from :data:`ENDPOINTS`
(:mod:`parley_chatbot_engine.openapi`).

Everything needs an admin's bearer token, except reading a conversation's bot state, which an
operator of the conversation's channel may do too (asked of chat_session: conversation_readers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json
from parley.tokens import Claims, JwksVerifier, bearer_claims
from parley_chatbot_engine import robot as robots
from parley_chatbot_engine.conversation_readers import ConversationReaders
from parley_chatbot_engine.faq import FaqEntry, FaqEntrySpec, FaqStore
from parley_chatbot_engine.machine import StoredAnswer
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.script_checks import Problem, ScriptInvalid
from parley_chatbot_engine.script_store import FileFormat, ScriptStore, dump_script, parse_text
from parley_chatbot_engine.states import BotState, BotStates

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
ADMIN = ("admin",)
# The verified claims of the request's bearer, for handlers whose rule goes beyond the role.
CALLER = web.RequestKey("caller", Claims)


class ScriptSummary(Model):
    id: str
    name: str
    steps: int
    updated_at: datetime


class ScriptList(Model):
    scripts: list[ScriptSummary]


class Validation(Model):
    """The answer of the validation endpoint (and the body of a 422 when a script is refused)."""

    valid: bool
    problems: list[Problem]


class FaqList(Model):
    entries: list[FaqEntry]


class RobotView(Model):
    status: int
    offline_seconds: int | None


class ConversationBot(Model):
    """Where a conversation is in its script, the answers stored with each step, the robot status."""

    conversation_id: str
    script_id: str
    bot_id: str
    channel_id: str | None
    step_id: str | None
    waiting_for: str | None
    finished: bool
    handed_over: bool
    answers: list[StoredAnswer]
    contact: dict[str, str]
    robot: RobotView


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: str
    summary: str
    roles: tuple[str, ...] = ADMIN
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    yaml_body: bool = False
    refusals: tuple[tuple[int, str], ...] = ()  # documented beyond 400/401/403 (or explaining them)


ENDPOINTS = [
    Endpoint("GET", "/chatbot/scripts", "list_scripts", "List the scripts", response=ScriptList),
    Endpoint("POST", "/chatbot/scripts", "put_script", "Store a script (JSON, or YAML with a YAML content type)",
             body=Script, response=Script, status=201, yaml_body=True),
    Endpoint("POST", "/chatbot/scripts/validate", "validate_script", "Check a script; 422 lists every problem",
             body=Script, response=Validation, yaml_body=True),
    Endpoint("GET", "/chatbot/scripts/{script_id}", "get_script", "Read a script (?format=yaml|json: as a file)", response=Script),
    Endpoint("PUT", "/chatbot/scripts/{script_id}", "put_script", "Replace a script (its id must be the path's)",
             body=Script, response=Script, yaml_body=True),
    Endpoint("DELETE", "/chatbot/scripts/{script_id}", "delete_script", "Delete a script", status=204),
    Endpoint("GET", "/chatbot/channels/{channel_id}/faq", "list_faq", "A channel's FAQ entries", response=FaqList),
    Endpoint("POST", "/chatbot/channels/{channel_id}/faq", "add_faq", "Add a FAQ entry", body=FaqEntrySpec,
             response=FaqEntry, status=201),
    Endpoint("DELETE", "/chatbot/channels/{channel_id}/faq/{entry_id}", "delete_faq", "Remove a FAQ entry", status=204),
    Endpoint("GET", "/chatbot/conversations/{conversation_id}", "conversation_bot",
             "A conversation's bot state (admins, and operators of the conversation's channel)",
             roles=("admin", "operator"), response=ConversationBot,
             refusals=((403, "not an admin, nor an operator of the conversation's channel (code 9101)"),
                       (404, "no such conversation, or it has no bot state (code 9102)"))),
]


def invalid_response(error: ScriptInvalid) -> web.Response:
    body = Validation(valid=False, problems=error.problems).model_dump(mode="json")
    body["error"] = {"code": int(ErrorCode.BAD_ARGUMENT), "message": str(error)}
    return json_response(body, status=422)


async def _script_text(request: web.Request) -> tuple[bytes, FileFormat]:
    fmt: FileFormat = "yaml" if request.content_type in YAML_TYPES else "json"
    return await request.read(), fmt


class ChatbotApi:
    def __init__(
        self, scripts: ScriptStore, faq: FaqStore, states: BotStates, verifier: JwksVerifier, readers: ConversationReaders
    ) -> None:
        self.scripts = scripts
        self.faq = faq
        self.states = states
        self.verifier = verifier
        self.readers = readers

    def routes(self) -> list[web.RouteDef]:
        return [web.route(endpoint.method, endpoint.path, self._guarded(endpoint)) for endpoint in ENDPOINTS]

    def _guarded(self, endpoint: Endpoint) -> Any:
        handler = getattr(self, endpoint.handler)

        async def guarded(request: web.Request) -> web.StreamResponse:
            request[CALLER] = await bearer_claims(request, self.verifier, *endpoint.roles)
            return await handler(request)

        return guarded

    async def list_scripts(self, _request: web.Request) -> web.Response:
        summaries = [ScriptSummary.model_validate(entry) for entry in await self.scripts.list()]
        return json_response(ScriptList(scripts=summaries))

    async def validate_script(self, request: web.Request) -> web.Response:
        try:
            parse_text(*await _script_text(request))
        except ScriptInvalid as error:
            return invalid_response(error)
        return json_response(Validation(valid=True, problems=[]))

    async def put_script(self, request: web.Request) -> web.Response:
        try:
            script = parse_text(*await _script_text(request))
        except ScriptInvalid as error:
            return invalid_response(error)
        path_id = request.match_info.get("script_id")
        if path_id is not None and path_id != script.id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"the script's id {script.id!r} is not {path_id!r}")
        created = await self.scripts.get(script.id) is None
        await self.scripts.put(script)
        return json_response(script, status=201 if created else 200)

    async def get_script(self, request: web.Request) -> web.Response:
        script = await self.scripts.require(request.match_info["script_id"])
        fmt = request.query.get("format")
        if fmt in ("yaml", "json"):
            content_type = "application/yaml" if fmt == "yaml" else "application/json"
            return web.Response(text=dump_script(script, fmt), content_type=content_type)
        return json_response(script)

    async def delete_script(self, request: web.Request) -> web.Response:
        await self.scripts.delete(request.match_info["script_id"])
        return web.Response(status=204)

    async def list_faq(self, request: web.Request) -> web.Response:
        return json_response(FaqList(entries=await self.faq.of_channel(request.match_info["channel_id"])))

    async def add_faq(self, request: web.Request) -> web.Response:
        spec = await read_json(request, FaqEntrySpec)
        return json_response(await self.faq.add(request.match_info["channel_id"], spec), status=201)

    async def delete_faq(self, request: web.Request) -> web.Response:
        await self.faq.remove(request.match_info["channel_id"], request.match_info["entry_id"])
        return web.Response(status=204)

    async def conversation_bot(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        await self.readers.check(request[CALLER], conversation_id)
        state = await self.states.get(conversation_id)
        if state is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, "this conversation has no chatbot state")
        return json_response(conversation_view(state, time.time()))


def conversation_view(state: BotState, now: float) -> ConversationBot:
    status = robots.status_of(state.robot, now)
    progress = state.progress
    return ConversationBot(
        conversation_id=state.conversation_id,
        script_id=state.script_id,
        bot_id=state.bot_id,
        channel_id=state.channel_id,
        step_id=progress.step_id,
        waiting_for=progress.waiting_for,
        finished=progress.finished,
        handed_over=state.human_present,
        answers=progress.answers,
        contact=progress.contact,
        robot=RobotView(status=status.status, offline_seconds=status.offline_seconds),
    )
