"""Text that is not a plain message: slash commands and an operator's canned-response lookups.

``/name [argument]`` is a command (``//`` at the start sends a literal ``/``); an operator's
``:shortcut`` expands to the canned response named exactly, or else answers with the ones
starting so. A command's answer goes to its sender only and is never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.contracts.commands import Caller, CommandResult
from parley.contracts.errors import ErrorCode, ParleyError
from parley_chat_session.channels.canned import CannedResponses
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.routing.handover import Handover

_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_-]*)(?:\s+(.*))?$", re.DOTALL)
_CANNED = re.compile(r"^:([A-Za-z0-9_-]*)$")
STAFF = ("operator", "admin")
# name -> (roles allowed, usage, what it does)
COMMANDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "help": (("visitor", *STAFF, "bot"), "/help", "list the commands you can use"),
    "close": (("visitor", *STAFF), "/close", "end the conversation"),
    "leave": (STAFF, "/leave", "leave the conversation; another operator takes it"),
    "transfer": (STAFF, "/transfer <operator>", "hand the conversation to another operator (name or id)"),
}


@dataclass(frozen=True)
class Plain:
    text: str


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


@dataclass(frozen=True)
class CannedLookup:
    typed: str


def classify(text: str, role: str) -> Plain | Command | CannedLookup:
    """What a text message is: a plain message (maybe unescaped), a command, or a canned lookup."""
    if text.startswith("//"):
        return Plain(text[1:])
    command = _COMMAND.match(text)
    if command:
        return Command(command.group(1).lower(), (command.group(2) or "").strip())
    if role in STAFF:
        canned = _CANNED.match(text.strip())
        if canned:
            return CannedLookup(canned.group(1))
    return Plain(text)


def help_text(role: str) -> str:
    lines = [f"{usage} - {what}" for roles, usage, what in COMMANDS.values() if role in roles]
    if role in STAFF:
        lines.append(":shortcut - insert a canned response (':' alone lists them)")
    lines.append("//text - send text that starts with /")
    return "\n".join(lines)


def _check(command: Command, caller: Caller, doc: Conversation | None) -> None:
    """Refuse (9105, or 9104 on a closed conversation) a command this caller cannot run here."""
    spec = COMMANDS.get(command.name)
    if spec is None:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"unknown command /{command.name}; /help lists them")
    roles, usage, _ = spec
    if caller.role not in roles:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"/{command.name} is for operators")
    takes_argument = "<" in usage
    if takes_argument != bool(command.argument):
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"usage: {usage}")
    if command.name == "help":
        return
    if doc is None:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"/{command.name}: the conversation has not started yet")
    if doc.status == "closed":
        raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")


class ChatCommands:
    def __init__(self, handover: Handover, closing: Closing, canned: CannedResponses) -> None:
        self._handover = handover
        self._closing = closing
        self._canned = canned

    async def run(
        self, command: Command, caller: Caller, doc: Conversation | None, trace_id: str | None
    ) -> CommandResult:
        """Run a command; ``doc`` is None for a session whose conversation has not started yet."""
        _check(command, caller, doc)
        text = await self._execute(command, caller, doc, trace_id)
        return CommandResult(command=command.name, text=text)

    async def _execute(self, command: Command, caller: Caller, doc: Conversation | None, trace_id: str | None) -> str:
        if command.name == "help":
            return help_text(caller.role)
        assert doc is not None
        match command.name:
            case "close":
                await self._closing.close(doc.id, caller.user_id, "closed", trace_id)
                return "The conversation is closed."
            case "leave":
                return await self._handover.leave(doc, caller.user_id, trace_id)
            case _:
                return await self._handover.transfer(doc, caller.user_id, command.argument, trace_id)

    async def lookup(self, lookup: CannedLookup, channel_id: str) -> tuple[str | None, CommandResult | None]:
        """The text an exact shortcut expands to, or else the suggestions to answer with."""
        text, suggestions = await self._canned.lookup(channel_id, lookup.typed)
        if text is not None:
            return text, None
        if suggestions:
            summary = f"{len(suggestions)} canned response(s) start with :{lookup.typed}"
        else:
            summary = f"no canned response starts with :{lookup.typed}"
        return None, CommandResult(command="canned", text=summary, suggestions=suggestions)
