"""The audit log: who did what to whom, and when, for every admin action and privacy request.

One collection (``audit_log``) that any service appends to and the auth service reads back
through its admin API. An entry names the actor (the account id that acted, or ``system`` for
a sweep), the action (a dotted verb such as ``staff.disable`` or ``privacy.erase``), the target
(an account, channel or request id) and small details. Details never carry the content an
action removed: an erase request is logged with its id and its parts, not with the erased text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from parley.stores import Document, MongoDatabase

AUDIT_COLLECTION = "audit_log"
# The actor of an entry written by the platform itself (a retention sweep, a resumed request).
SYSTEM_ACTOR = "system"
# Bounds of one page read through the API; the log itself is append-only and never trimmed here.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any] = Field(default_factory=dict)


class AuditLog:
    def __init__(self, db: MongoDatabase) -> None:
        self._entries = db[AUDIT_COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._entries.create_index([("at", -1)])
        await self._entries.create_index([("target", 1), ("at", -1)])

    async def record(
        self, *, actor: str, action: str, target: str, details: Mapping[str, Any] | None = None
    ) -> AuditEntry:
        entry = AuditEntry(at=datetime.now(UTC), actor=actor, action=action, target=target, details=dict(details or {}))
        await self._entries.insert_one(entry.model_dump())
        return entry

    async def newest(
        self, *, target: str | None = None, action: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> list[AuditEntry]:
        """The newest entries first, optionally only those about one target or of one action."""
        query: Document = {}
        if target is not None:
            query["target"] = target
        if action is not None:
            query["action"] = action
        # Stored times have millisecond precision: the ObjectId (increasing within a writer) breaks
        # ties between entries of the same millisecond.
        cursor = (
            self._entries.find(query, {"_id": 0})
            .sort([("at", -1), ("_id", -1)])
            .limit(max(1, min(limit, MAX_PAGE_SIZE)))
        )
        return [AuditEntry.model_validate(document) async for document in cursor]
