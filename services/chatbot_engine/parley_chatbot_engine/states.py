"""A conversation's bot state in MongoDB (``bot_states``, one document per conversation).

The document holds everything the engine needs to carry on after a restart: the script
position and stored answers, the timers (the authority; Redis only indexes their deadlines),
the robot status, the keys of the triggers already handled (a redelivered message or answer
changes nothing), and an outbox of effects not yet carried out.

Writes are whole-document replacements conditioned on ``version``: a writer that finds the
version changed reloads and recomputes. Writers of one conversation are also serialised by a
Redis lock (:mod:`parley_chatbot_engine.conversation_locks`), because FerretDB v1 does not
apply conditional writes atomically under concurrency. No transactions are needed (FerretDB v1
has none), and no update operator beyond what every MongoDB-wire server implements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from pydantic import Field
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from parley.contracts.base import Model
from parley.contracts.bot import BotContent
from parley.contracts.frames import ServerFrame
from parley.stores import MongoDatabase, timed
from parley_chatbot_engine.machine import Progress
from parley_chatbot_engine.robot import RobotState
from parley_chatbot_engine.timer_rules import TIMER_KINDS, TimerKind, TimerState

# Trigger keys remembered per conversation: far more than can be in flight or redelivered at
# once, few enough that the document stays small.
MAX_HANDLED_KEYS = 200
# Attempts at a conflicting write before the handler gives up (and the bus retries it later):
# conflicts only happen when replicas race on one conversation, so a few always suffice.
MAX_WRITE_ATTEMPTS = 8


class PostItem(Model):
    id: str
    op: Literal["post"] = "post"
    client_msg_id: str
    content: BotContent


class FrameItem(Model):
    id: str
    op: Literal["frame"] = "frame"
    user_ids: list[str]
    frame: ServerFrame


class TimersItem(Model):
    id: str
    op: Literal["timers"] = "timers"
    set: dict[TimerKind, float] = Field(default_factory=dict)
    clear: list[TimerKind] = Field(default_factory=list)


class ContactItem(Model):
    id: str
    op: Literal["contact"] = "contact"
    visitor_id: str
    field: Literal["email", "phone"]
    value: str
    step_id: str


class StepsItem(Model):
    """The script steps a turn ran, counted once the turn is stored (a turn recomputed after a
    write conflict is not counted twice)."""

    id: str
    op: Literal["steps"] = "steps"
    step_types: list[str]


class OperatorItem(Model):
    """Ask chat_session for an operator (a forward step, or a FAQ question nobody could answer)."""

    id: str
    op: Literal["operator"] = "operator"


OutboxItem = Annotated[
    PostItem | FrameItem | TimersItem | ContactItem | StepsItem | OperatorItem, Field(discriminator="op")
]


class BotState(Model):
    conversation_id: str
    script_id: str
    bot_id: str
    bot_name: str = ""
    channel_id: str | None = None
    member_ids: list[str] = Field(default_factory=list)
    visitor_id: str | None = None
    operator_id: str | None = None
    started: bool = Field(False, description="the script started (on the visitor's first message)")
    closed: bool = False
    progress: Progress = Field(default_factory=Progress)
    timers: TimerState = Field(default_factory=TimerState)
    robot: RobotState = Field(default_factory=RobotState)
    handled: list[str] = Field(default_factory=list)
    outbox: list[OutboxItem] = Field(default_factory=list)
    outbox_since: float | None = None
    version: int = 0

    @property
    def human_present(self) -> bool:
        return self.operator_id is not None or self.progress.handed_over

    @property
    def bot_active(self) -> bool:
        """The bot still talks: no human took over and the conversation is open."""
        return not (self.closed or self.human_present)

    @property
    def humans(self) -> list[str]:
        return [member for member in self.member_ids if member != self.bot_id]

    def seen(self, key: str) -> bool:
        return key in self.handled

    def remember(self, key: str) -> list[str]:
        return [*self.handled, key][-MAX_HANDLED_KEYS:]


class WriteConflict(Exception):
    """Another replica kept changing the conversation; the bus will retry the message."""


class BotStates:
    def __init__(self, db: MongoDatabase) -> None:
        self._states = db["bot_states"]

    async def create_indexes(self) -> None:
        await self._states.create_index([("outbox_since", ASCENDING)], name="outbox_since", sparse=True)

    async def get(self, conversation_id: str) -> BotState | None:
        with timed("mongodb", "bot_state_get"):
            doc = await self._states.find_one({"_id": conversation_id})
        return _state(doc) if doc is not None else None

    async def insert(self, state: BotState) -> bool:
        """Store a new state; False when the conversation has one already (a race or a redelivery)."""
        try:
            with timed("mongodb", "bot_state_insert"):
                await self._states.insert_one(_document(state.model_copy(update={"version": 1})))
        except DuplicateKeyError:
            return False
        return True

    async def update(self, conversation_id: str, change: Callable[[BotState], BotState | None]) -> BotState | None:
        """Apply ``change`` to the stored state, recomputing it when another writer got there first.

        ``change`` returns the new state, or None for "nothing to change". Returns what is stored.
        """
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = await self.get(conversation_id)
            if current is None:
                return None
            changed = change(current)
            if changed is None:
                return current
            stored = changed.model_copy(update={"version": current.version + 1})
            with timed("mongodb", "bot_state_replace"):
                result = await self._states.replace_one(
                    {"_id": conversation_id, "version": current.version}, _document(stored)
                )
            if result.matched_count == 1:
                return stored
        raise WriteConflict(f"bot state of {conversation_id} kept changing under {MAX_WRITE_ATTEMPTS} attempts")

    async def pending_deadlines(self, batch: int = 500) -> AsyncIterator[dict[str, dict[TimerKind, float]]]:
        """Every conversation's pending timer deadlines, a batch at a time (to rebuild the index)."""
        query = {"$or": [{f"timers.deadlines.{kind}": {"$exists": True}} for kind in TIMER_KINDS]}
        page: dict[str, dict[TimerKind, float]] = {}
        async for doc in self._states.find(query, {"timers.deadlines": 1}).batch_size(batch):
            page[doc["_id"]] = doc["timers"]["deadlines"]
            if len(page) >= batch:
                yield page
                page = {}
        if page:
            yield page

    async def with_stale_outbox(self, older_than: float, limit: int = 100) -> list[str]:
        """Conversations whose outbox has waited since before ``older_than`` (their engine died)."""
        docs = await self._states.find({"outbox_since": {"$lt": older_than}}, {"_id": 1}).limit(limit).to_list()
        return [doc["_id"] for doc in docs]


def _document(state: BotState) -> dict[str, Any]:
    doc = state.model_dump(mode="json")
    doc["_id"] = doc.pop("conversation_id")
    if doc["outbox_since"] is None:
        del doc["outbox_since"]  # sparse index: only conversations with pending effects are in it
    return doc


def _state(doc: dict[str, Any]) -> BotState:
    fields = {key: value for key, value in doc.items() if key != "_id"}
    return BotState.model_validate({"conversation_id": doc["_id"], **fields})
