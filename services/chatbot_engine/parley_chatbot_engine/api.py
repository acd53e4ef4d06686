"""The engine's admin HTTP API: scripts (JSON or YAML), their validation, FAQ entries, and a
conversation's bot state, served through parley.http_api from :data:`ENDPOINTS`;
docs/chatbot-openapi.yaml is generated from the same table (:mod:`parley_chatbot_engine.openapi`).

Everything needs an admin's bearer token, except reading a conversation's bot state, which an
operator of the conversation's channel may do too (asked of chat_session: conversation_readers),
and the document itself.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response
from parley.http_api import PUBLIC, Call, Endpoint, roles
from parley_chatbot_engine import robot as robots
from parley_chatbot_engine.faq import FaqEntry, FaqEntrySpec, FaqStore
from parley_chatbot_engine.machine import StoredAnswer
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.script_checks import Problem, ScriptInvalid
from parley_chatbot_engine.script_store import FileFormat, ScriptStore, dump_script, parse_text
from parley_chatbot_engine.states import BotState, BotStates

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
# A script body is read by its handler, JSON as well as YAML: a refused script is answered 422
# with every problem (Validation), which the layer's own validation (400, one line) would not give.
SCRIPT_TYPES = ("application/json", *YAML_TYPES)
ADMIN = roles("admin")


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


class ScriptFormat(Model):
    format: Literal["yaml", "json"] | None = Field(
        None, description="Answer the script as a file of this format (the text an import reads back)."
    )


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


ENDPOINTS = [
    Endpoint("GET", "/chatbot/scripts", "list_scripts", "List the scripts", ADMIN, response=ScriptList),
    Endpoint(
        "POST",
        "/chatbot/scripts",
        "put_script",
        "Store a script (JSON, or YAML with a YAML content type)",
        ADMIN,
        body=Script,
        response=Script,
        status=201,
        raw_body_types=SCRIPT_TYPES,
        extra_statuses=(422,),
    ),
    Endpoint(
        "POST",
        "/chatbot/scripts/validate",
        "validate_script",
        "Check a script; 422 lists every problem",
        ADMIN,
        body=Script,
        response=Validation,
        raw_body_types=SCRIPT_TYPES,
        extra_statuses=(422,),
    ),
    Endpoint(
        "GET",
        "/chatbot/scripts/{script_id}",
        "get_script",
        "Read a script (?format=yaml|json: as a file)",
        ADMIN,
        query=ScriptFormat,
        response=Script,
    ),
    Endpoint(
        "PUT",
        "/chatbot/scripts/{script_id}",
        "put_script",
        "Replace a script (its id must be the path's)",
        ADMIN,
        body=Script,
        response=Script,
        raw_body_types=SCRIPT_TYPES,
        extra_statuses=(422,),
    ),
    Endpoint("DELETE", "/chatbot/scripts/{script_id}", "delete_script", "Delete a script", ADMIN, status=204),
    Endpoint(
        "GET", "/chatbot/channels/{channel_id}/faq", "list_faq", "A channel's FAQ entries", ADMIN, response=FaqList
    ),
    Endpoint(
        "POST",
        "/chatbot/channels/{channel_id}/faq",
        "add_faq",
        "Add a FAQ entry",
        ADMIN,
        body=FaqEntrySpec,
        response=FaqEntry,
        status=201,
    ),
    Endpoint(
        "DELETE", "/chatbot/channels/{channel_id}/faq/{entry_id}", "delete_faq", "Remove a FAQ entry", ADMIN, status=204
    ),
    Endpoint(
        "GET",
        "/chatbot/conversations/{conversation_id}",
        "conversation_bot",
        "A conversation's bot state (admins, and operators of the conversation's channel)",
        roles(
            "admin",
            "operator",
            rule="an operator of the conversation's channel (asked of chat_session)",
            check="may_read_bot_state",
        ),
        response=ConversationBot,
        description="404 (code 9102) when there is no such conversation, or it has no bot state.",
    ),
    Endpoint("GET", "/chatbot/openapi.yaml", "openapi_yaml", "This document", PUBLIC, content_type="application/yaml"),
]


def invalid_response(error: ScriptInvalid) -> web.Response:
    body = Validation(valid=False, problems=error.problems).model_dump(mode="json")
    body["error"] = {"code": int(ErrorCode.BAD_ARGUMENT), "message": str(error)}
    return json_response(body, status=422)


async def _script_text(request: web.Request) -> tuple[bytes, FileFormat]:
    fmt: FileFormat = "yaml" if request.content_type in YAML_TYPES else "json"
    return await request.read(), fmt  # one over the limit: aiohttp's 413, answered as 9002 by parley.http.observe


class ChatbotApi:
    """Serves :data:`ENDPOINTS` with ConversationReaders, whose check guards a conversation's bot
    state: ``HttpApi(ENDPOINTS, verifier, api, readers).routes()``."""

    def __init__(self, scripts: ScriptStore, faq: FaqStore, states: BotStates, document: str) -> None:
        self.scripts = scripts
        self.faq = faq
        self.states = states
        self.document = document  # the OpenAPI document's YAML (openapi.py builds it from ENDPOINTS)

    async def list_scripts(self, _call: Call) -> ScriptList:
        return ScriptList(scripts=[ScriptSummary.model_validate(entry) for entry in await self.scripts.list()])

    async def validate_script(self, call: Call) -> web.Response | Validation:
        try:
            parse_text(*await _script_text(call.request))
        except ScriptInvalid as error:
            return invalid_response(error)
        return Validation(valid=True, problems=[])

    async def put_script(self, call: Call) -> web.Response:
        try:
            script = parse_text(*await _script_text(call.request))
        except ScriptInvalid as error:
            return invalid_response(error)
        path_id = call.request.match_info.get("script_id")
        if path_id is not None and path_id != script.id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"the script's id {script.id!r} is not {path_id!r}")
        created = await self.scripts.get(script.id) is None
        await self.scripts.put(script)
        # POST answers 201 for a new script, and 200 when it replaced one, as PUT does.
        return json_response(script, status=201 if created else 200)

    async def get_script(self, call: Call) -> web.Response | Script:
        script = await self.scripts.require(call.param("script_id"))
        fmt = call.query.format
        if fmt is not None:
            content_type = "application/yaml" if fmt == "yaml" else "application/json"
            return web.Response(text=dump_script(script, fmt), content_type=content_type)
        return script

    async def delete_script(self, call: Call) -> None:
        await self.scripts.delete(call.param("script_id"))

    async def list_faq(self, call: Call) -> FaqList:
        return FaqList(entries=await self.faq.of_channel(call.param("channel_id")))

    async def add_faq(self, call: Call) -> FaqEntry:
        return await self.faq.add(call.param("channel_id"), call.body)

    async def delete_faq(self, call: Call) -> None:
        await self.faq.remove(call.param("channel_id"), call.param("entry_id"))

    async def conversation_bot(self, call: Call) -> ConversationBot:
        state = await self.states.get(call.param("conversation_id"))
        if state is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, "this conversation has no chatbot state")
        return conversation_view(state, time.time())

    async def openapi_yaml(self, _call: Call) -> web.Response:
        return web.Response(text=self.document, content_type="application/yaml")


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
