"""Erase or export one person's data across the fleet (GDPR articles 15, 17 and 20; docs/privacy.md).

auth owns identities, so it finds the person (by account id, a verified visitor's external id, or
e-mail) and coordinates: every service holding their data does its own part on a bus command
(:mod:`parley.contracts.privacy`) and answers with counts.

An erase is a request document in ``privacy_requests`` with one entry per part (pending, done or
failed, and its attempts). Parts run in phases: auth's own first (the sessions revoked and the
account marked erased, so nothing new is written by the person meanwhile), then the services'
stores, then Redis (whose keys are found by the conversation ids chat_session reported). A part
that fails is retried with a doubling backoff, up to a number of attempts, then marked failed.
Every part is idempotent, so asking one again (a lost reply, a resumed request) is safe. The
coordinator works through a lease on the document (``lease_until``, ``lease_owner``): a request
whose coordinator died is taken up again when its lease ends, or at once by the same node
restarted (the resumer runs at start). The audit log records who asked, and what each part
erased in counts, never the erased content.

An export is answered in the call: every part is asked at once (chat_session first, for the
conversation ids) and the answers are one JSON document. It changes nothing, so it is not tracked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from parley.audit import SYSTEM_ACTOR, AuditLog
from parley.bus import Bus
from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import TokenRevoked
from parley.contracts.privacy import (
    EraseBotData,
    EraseChatData,
    EraseNotificationData,
    ErasePart,
    EraseRedisData,
    ExportBotData,
    ExportChatData,
    ExportNotificationData,
    ExportPart,
    ExportRedisData,
    PartErased,
    PrivacySubject,
)
from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley_auth.accounts import VISITOR_PERSONAL_FIELDS
from parley_auth.privacy_schemas import PartProgress, PersonExport, PersonLookup, PrivacyRequestView
from parley_auth.sessions import Sessions
from parley_auth.settings import AuthSettings

log = get_logger("parley.auth")

AUTH_PART = "auth"
# The parts of a request in the order they run; the parts of one phase run at once. Attachments
# are chat_session's (it owns the files): its part erases and exports them with the messages.
PHASES: tuple[tuple[str, ...], ...] = ((AUTH_PART,), ("chat_session", "chatbot_engine", "notification"), ("presence",))
PARTS = tuple(part for phase in PHASES for part in phase)
ERASE_COMMANDS: dict[str, type[ErasePart]] = {
    "chat_session": EraseChatData,
    "chatbot_engine": EraseBotData,
    "notification": EraseNotificationData,
    "presence": EraseRedisData,
}
EXPORT_COMMANDS: dict[str, type[ExportPart]] = {
    "chat_session": ExportChatData,
    "chatbot_engine": ExportBotData,
    "notification": ExportNotificationData,
    "presence": ExportRedisData,
}
# The longest wait between two attempts of a part.
MAX_BACKOFF_SECONDS = 300.0
# What an erased account is called from then on (transcripts read "Erased visitor").
ERASED_NAME = "Erased visitor"
# The account fields that are personal data: removed from an erased account.
PERSONAL_FIELDS = (*VISITOR_PERSONAL_FIELDS, "password_hash")


def _now() -> datetime:
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class PrivacyRequests:
    """The coordinator: finds the person, runs and resumes erase requests, answers exports."""

    def __init__(
        self, db: MongoDatabase, sessions: Sessions, bus: Bus, audit: AuditLog, settings: AuthSettings
    ) -> None:
        self._requests = db["privacy_requests"]
        self._users = db["users"]
        self._sessions = sessions
        self._bus = bus
        self._audit = audit
        self._settings = settings
        self._owner = settings.node_id
        self._wake = asyncio.Event()

    async def create_indexes(self) -> None:
        await self._requests.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due")
        await self._requests.create_index([("user_id", ASCENDING), ("status", ASCENDING)], name="user_status")
        await self._users.create_index([("email", ASCENDING)], name="email", sparse=True)
        # A lookup by external id uses the accounts' (external_id, channel_id) index.

    # ---- who -----------------------------------------------------------------------------------

    async def person(self, lookup: PersonLookup) -> dict[str, Any]:
        """The visitor account named; 404-like BAD_ARGUMENT when none, or when the name is ambiguous."""
        if lookup.user_id is not None:
            query: dict[str, Any] = {"_id": lookup.user_id}
        elif lookup.external_id is not None:
            query = {"external_id": lookup.external_id}
            if lookup.channel_id is not None:
                query["channel_id"] = lookup.channel_id
        else:
            query = {"email": lookup.email}
        found = await self._users.find(query).limit(11).to_list()
        if not found:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no account has this {lookup.way}")
        if len(found) > 1:
            ids = ", ".join(doc["_id"] for doc in found[:10])
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, f"several accounts have this {lookup.way} ({ids}): name one by user_id"
            )
        account = found[0]
        if account.get("role") != "visitor":
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, "only a visitor's data is erased or exported here; staff accounts are managed"
            )
        return account

    # ---- erase ---------------------------------------------------------------------------------

    async def request_erase(self, lookup: PersonLookup, requested_by: str) -> PrivacyRequestView:
        """Start erasing the person's data (or answer the request already under way for them)."""
        account = await self.person(lookup)
        user_id = account["_id"]
        running = await self._requests.find_one({"user_id": user_id, "status": "pending"})
        if running is not None:
            return _view(running)
        stamp = _now()
        doc = {
            "_id": f"pr_{new_id()[:24]}",
            "action": "erase",
            "user_id": user_id,
            "status": "pending",
            "requested_by": requested_by,
            "created_at": stamp,
            "finished_at": None,
            "next_attempt_at": stamp,
            "lease_until": None,
            "lease_owner": None,
            "conversation_ids": [],
            "parts": {part: {"state": "pending", "attempts": 0, "last_error": None, "erased": {}} for part in PARTS},
        }
        await self._requests.insert_one(doc)
        await self._audit.record(
            actor=requested_by,
            action="privacy.erase_requested",
            target=user_id,
            details={"request_id": doc["_id"], "named_by": lookup.way},
        )
        log.info("auth.privacy_erase_requested", request_id=doc["_id"], user_id=user_id, by=requested_by)
        self._wake.set()
        return _view(doc)

    async def view(self, request_id: str) -> PrivacyRequestView:
        doc = await self._requests.find_one({"_id": request_id})
        if doc is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no privacy request {request_id!r}")
        return _view(doc)

    async def run(self) -> None:
        """The resumer: takes up every unfinished request that is due (at start: every one this
        node held before a restart), then waits for a new one or the next retry."""
        poll = self._settings.auth_privacy_poll_seconds
        while True:
            while await self._drive_next():
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll)
            self._wake.clear()

    async def _drive_next(self) -> bool:
        """Claim one due request and drive it as far as it goes now; False when none is due. One
        loop per node drives one request at a time, so a lease this node holds is one its previous
        life (before a restart) left behind: it is taken again at once."""
        stamp = _now()
        lease = timedelta(seconds=self._settings.auth_privacy_lease_seconds)
        claimed = await self._requests.find_one_and_update(
            {
                "status": "pending",
                "next_attempt_at": {"$lte": stamp},
                "$or": [{"lease_until": None}, {"lease_until": {"$lt": stamp}}, {"lease_owner": self._owner}],
            },
            {"$set": {"lease_until": stamp + lease, "lease_owner": self._owner}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            return False
        await self._drive(claimed)
        return True

    async def _drive(self, doc: dict[str, Any]) -> None:
        request_id = doc["_id"]
        for phase in PHASES:
            waiting = [part for part in phase if doc["parts"][part]["state"] == "pending"]
            if any(doc["parts"][part]["state"] == "failed" for part in phase):
                await self._finish(doc, "failed")
                return
            if waiting:
                await self._requests.update_one(
                    {"_id": request_id},
                    {"$set": {"lease_until": _now() + timedelta(seconds=self._settings.auth_privacy_lease_seconds)}},
                )
                await asyncio.gather(*(self._attempt(doc, part) for part in waiting))
                refreshed = await self._requests.find_one({"_id": request_id})
                assert refreshed is not None
                doc = refreshed
            states = [doc["parts"][part]["state"] for part in phase]
            if "failed" in states:
                await self._finish(doc, "failed")
                return
            if "pending" in states:
                await self._retry_later(doc, phase)
                return
        await self._finish(doc, "done")

    async def _attempt(self, doc: dict[str, Any], part: str) -> None:
        subject = PrivacySubject(
            request_id=doc["_id"], user_id=doc["user_id"], conversation_ids=doc.get("conversation_ids", [])
        )
        attempts = doc["parts"][part]["attempts"] + 1
        prefix = f"parts.{part}"
        try:
            if part == AUTH_PART:
                erased = await self.erase_account(subject.user_id)
            else:
                command = ERASE_COMMANDS[part](subject=subject)
                erased = await self._bus.request(command, timeout=self._settings.auth_privacy_part_timeout_seconds)
        except Exception as error:  # noqa: BLE001 - any failure of a part is an attempt, retried later
            state = "failed" if attempts >= self._settings.auth_privacy_max_attempts else "pending"
            # The code and the refusal's text, which names ids and causes, never the erased values.
            if isinstance(error, ParleyError):
                problem = f"{error.code.name}: {error.message[:200]}"
            else:
                problem = type(error).__name__
            log.warning("auth.privacy_part_failed", request_id=doc["_id"], part=part, attempts=attempts, error=problem)
            await self._requests.update_one(
                {"_id": doc["_id"]},
                {"$set": {f"{prefix}.state": state, f"{prefix}.attempts": attempts, f"{prefix}.last_error": problem}},
            )
            return
        changes: dict[str, Any] = {
            f"{prefix}.state": "done",
            f"{prefix}.attempts": attempts,
            f"{prefix}.last_error": None,
            f"{prefix}.erased": erased.erased,
        }
        if erased.conversation_ids:
            changes["conversation_ids"] = erased.conversation_ids
        await self._requests.update_one({"_id": doc["_id"]}, {"$set": changes})

    async def _retry_later(self, doc: dict[str, Any], phase: tuple[str, ...]) -> None:
        attempts = max(doc["parts"][part]["attempts"] for part in phase)
        delay = min(MAX_BACKOFF_SECONDS, self._settings.auth_privacy_retry_seconds * 2 ** max(0, attempts - 1))
        await self._requests.update_one(
            {"_id": doc["_id"]},
            {"$set": {"next_attempt_at": _now() + timedelta(seconds=delay), "lease_until": None, "lease_owner": None}},
        )

    async def _finish(self, doc: dict[str, Any], status: str) -> None:
        """The audit entry first, then the status: whoever sees the request finished finds it in
        the audit log too, and a coordinator gone between the two leaves the request to be
        finished again (an entry twice), never a finished erase without its entry."""
        parts = {part: {"state": p["state"], "erased": p.get("erased", {})} for part, p in doc["parts"].items()}
        await self._audit.record(
            actor=SYSTEM_ACTOR,
            action=f"privacy.erase_{status}",
            target=doc["user_id"],
            details={"request_id": doc["_id"], "requested_by": doc["requested_by"], "parts": parts},
        )
        await self._requests.update_one(
            {"_id": doc["_id"]},
            {"$set": {"status": status, "finished_at": _now(), "lease_until": None, "lease_owner": None}},
        )
        log.info("auth.privacy_erase_finished", request_id=doc["_id"], status=status)

    async def erase_account(self, user_id: str) -> PartErased:
        """auth's own part: every session revoked (live sockets closed by the gateways) and the
        account stripped of its personal fields and marked erased (it can never log in again)."""
        codes = await self._sessions.live_codes(user_id)
        for code in codes:
            await self._sessions.revoke(code, "the account's data was erased")
            expires_at = int(time.time()) + self._sessions.access_tokens_live_seconds
            await self._bus.publish_event(TokenRevoked(user_id=user_id, session_code=code, expires_at=expires_at))
        result = await self._users.update_one(
            {"_id": user_id},
            {
                "$set": {"name": ERASED_NAME, "username": f"erased:{user_id}", "erased_at": _now()},
                "$unset": dict.fromkeys(PERSONAL_FIELDS, ""),
            },
        )
        return PartErased(erased={"sessions_revoked": len(codes), "accounts": result.modified_count})

    # ---- export --------------------------------------------------------------------------------

    async def export(self, lookup: PersonLookup, requested_by: str) -> PersonExport:
        account = await self.person(lookup)
        user_id = account["_id"]
        timeout = self._settings.auth_privacy_part_timeout_seconds
        subject = PrivacySubject(request_id=f"export_{new_id()[:16]}", user_id=user_id)
        chat = await self._bus.request(ExportChatData(subject=subject), timeout=timeout)
        subject = subject.model_copy(update={"conversation_ids": chat.conversation_ids})
        others = ("chatbot_engine", "notification", "presence")
        answers = await asyncio.gather(
            *(self._bus.request(EXPORT_COMMANDS[part](subject=subject), timeout=timeout) for part in others)
        )
        parts = {AUTH_PART: await self._account_items(account), "chat_session": chat.items}
        parts.update({part: answer.items for part, answer in zip(others, answers, strict=True)})
        counts = {part: {kind: len(items) for kind, items in kinds.items()} for part, kinds in parts.items()}
        await self._audit.record(actor=requested_by, action="privacy.export", target=user_id, details={"items": counts})
        return PersonExport(user_id=user_id, exported_at=_now(), parts=parts)

    async def _account_items(self, account: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        fields = {key: _iso(value) for key, value in account.items() if key not in ("_id", "password_hash")}
        sessions = [
            {
                "session_code": doc["_id"],
                "client_kind": doc.get("client_kind"),
                "created_at": _iso(doc.get("created_at")),
                "expires_at": _iso(doc.get("expires_at")),
                "revoked_at": _iso(doc.get("revoked_at")),
            }
            async for doc in self._sessions.of_user(account["_id"])
        ]
        return {"account": [{"id": account["_id"], **fields}], "sessions": sessions}


def _view(doc: dict[str, Any]) -> PrivacyRequestView:
    return PrivacyRequestView(
        id=doc["_id"],
        action=doc["action"],
        user_id=doc["user_id"],
        status=doc["status"],
        requested_by=doc["requested_by"],
        created_at=doc["created_at"],
        finished_at=doc.get("finished_at"),
        parts={
            part: PartProgress(
                state=p["state"], attempts=p["attempts"], last_error=p.get("last_error"), erased=p.get("erased", {})
            )
            for part, p in doc["parts"].items()
        },
    )
