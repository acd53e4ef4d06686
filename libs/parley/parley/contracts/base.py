"""The envelope every bus message travels in, and the registry of versioned contracts.

A contract is a pydantic model with ``extra="forbid"`` (an undeclared field is a schema bug)
registered under a ``(type, v)`` pair. A new version of a contract is a new model registered
beside the old one, so consumers of both can run during a rolling upgrade.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# The kinds of client a session is for: a new login replaces the user's older session of the same
# kind (auth's kickoff), and a token names its kind (the gateway checks a client's claim against it).
ClientKind = Literal["web", "mobile", "console", "api"]


class Model(BaseModel):
    """Base of every contract model: strict about unknown fields, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Contract(Model):
    """A payload that travels on the bus under a registered ``TYPE`` and ``VERSION``."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def routing_key(self) -> str:
        """The event's topic routing key: its type, then for some events a qualifier that lets a
        subscriber take only part of them (``Bus.on_event(..., only=...)``)."""
        return self.TYPE


ResultT = TypeVar("ResultT", bound="Model | None")


class Command(Contract, Generic[ResultT]):
    """A contract asked with ``Bus.request``: ``class GetHistory(Command[History])`` says its
    handler answers with a ``History`` (``Command[None]``: nothing but success), so ``Bus.request``
    returns that model, validated, and ``Bus.on_command`` refuses a handler annotated otherwise."""

    @classmethod
    def result_model(cls) -> type[Model] | None:
        """The model the command is answered with (None: no result)."""
        for klass in cls.__mro__:
            metadata = getattr(klass, "__pydantic_generic_metadata__", None)
            if metadata and metadata["origin"] is Command and metadata["args"]:
                result = metadata["args"][0]
                return None if result is type(None) else result
        raise TypeError(f"{cls.__name__} does not say what it is answered with: subclass Command[ResultModel]")


ContractT = TypeVar("ContractT", bound=type[Contract])

REGISTRY: dict[tuple[str, int], type[Contract]] = {}


def contract(type_: str, version: int = 1) -> Callable[[ContractT], ContractT]:
    """Register a payload model under ``(type_, version)``; used as a class decorator."""

    def register(cls: ContractT) -> ContractT:
        key = (type_, version)
        if key in REGISTRY:
            raise RuntimeError(f"contract {key} registered twice")
        cls.TYPE = type_
        cls.VERSION = version
        REGISTRY[key] = cls
        return cls

    return register


class UnknownContract(Exception):
    """An envelope whose ``(type, v)`` no model is registered for."""


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(Model):
    """What every command, event, reply and delivery on the bus looks like on the wire."""

    id: str = Field(default_factory=new_id, description="Unique per message; consumers use it to drop redeliveries.")
    type: str = Field(description="Contract type, e.g. message.created or chat_session.send_message.")
    v: int = Field(1, ge=1, description="Contract version.")
    occurred_at: datetime = Field(default_factory=utcnow)
    source: str = Field(description="service/node that published it")
    trace_id: str = Field(default_factory=new_id, description="Carried from the client frame through every hop.")
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, body: Contract, *, source: str, trace_id: str | None = None) -> Envelope:
        return cls(
            type=body.TYPE,
            v=body.VERSION,
            source=source,
            trace_id=trace_id or new_id(),
            payload=body.model_dump(mode="json"),
        )

    def open(self) -> Contract:
        """Validate the payload against its registered model (raises UnknownContract or ValidationError)."""
        model = REGISTRY.get((self.type, self.v))
        if model is None:
            raise UnknownContract(f"no contract registered for {self.type} v{self.v}")
        return model.model_validate(self.payload)
