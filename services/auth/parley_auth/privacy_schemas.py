"""Bodies of the privacy endpoints (erase and export one person's data; docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from parley.contracts.base import Model
from parley.contracts.messages import UserId
from parley_auth.schemas import Email

# A site's own id of its customer (verified visitors): printable, no operator or path characters
# a store could read as anything but a value.
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\s$\x00][^\s\x00]*$")]
ChannelId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PartState = Literal["pending", "done", "failed"]
RequestStatus = Literal["pending", "done", "failed"]


class PersonLookup(Model):
    """Who: exactly one of an account id, a verified visitor's external id (with its channel when
    several channels know that id), or an e-mail address (refused when several accounts have it)."""

    user_id: UserId | None = None
    external_id: ExternalId | None = None
    channel_id: ChannelId | None = Field(None, description="With external_id only: the channel that verified it.")
    email: Email | None = None

    @model_validator(mode="after")
    def one_way(self) -> PersonLookup:
        given = [name for name in ("user_id", "external_id", "email") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of user_id, external_id or email")
        if self.channel_id is not None and self.external_id is None:
            raise ValueError("channel_id goes with external_id only")
        return self

    @property
    def way(self) -> str:
        """How the person was named (for the audit log: never the value itself)."""
        return "user_id" if self.user_id else "external_id" if self.external_id else "email"


class PartProgress(Model):
    state: PartState
    attempts: int = 0
    last_error: str | None = None
    erased: dict[str, int] = Field(default_factory=dict, description="Counts per kind of item, once done.")


class PrivacyRequestView(Model):
    id: str
    action: Literal["erase"]
    user_id: str
    status: RequestStatus
    requested_by: str
    created_at: datetime
    finished_at: datetime | None = None
    parts: dict[str, PartProgress] = Field(
        description="One per service holding the person's data: auth, chat_session, chatbot_engine, notification, "
        "presence (Redis). chat_session's part covers the files the person uploaded."
    )


class PersonExport(Model):
    """Every item the fleet holds of the person, by service part, then by kind of item."""

    user_id: str
    exported_at: datetime
    parts: dict[str, dict[str, list[dict[str, Any]]]]
