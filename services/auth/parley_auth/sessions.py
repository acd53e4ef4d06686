"""Login sessions and their rotating refresh tokens.

A login opens a session (its id is the ``sessionCode`` every access token carries as ``sid``).
The refresh token is ``<session>.<generation>.<mac>``: the MAC (HMAC-SHA256 under a secret of
the session) proves auth issued it, and the generation says which one it is. Refreshing
moves the session to the next generation atomically, so each refresh token works once. A
token of an older generation coming back means it was copied: the whole session (the token
family) is revoked, and so is every access token of it, through the revocation list, unless
it is the token spent just before the current one and it was spent moments ago: that is two
tabs (or a retried request) refreshing at once, and it gets the same successor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from parley.contracts.errors import ErrorCode, ParleyError
from parley.revocations import RevocationList
from parley.stores import MongoDatabase

# A revocation entry outlives the session's last access token by this much, for clock skew.
REVOCATION_MARGIN_SECONDS = 5
# Ended sessions are deleted this long after their end (Sessions.forget_expired).
FORGET_EXPIRED_AFTER = timedelta(days=1)
# The only spelling of a refresh token auth issues: a session code (token_urlsafe(12): 16
# characters), a generation in ASCII digits without a leading zero (18 at most: it stays an
# int64 in the store), and the MAC (32 bytes in unpadded base64url: 43 characters). Explicit
# ASCII classes, because str.isdigit() and int() also take Arabic-Indic, fullwidth or superscript
# digits: a token spelled with them was read as the genuine one, or crashed the parse (500).
_REFRESH_TOKEN = re.compile(r"([A-Za-z0-9_-]{16})\.(0|[1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Session:
    code: str
    user_id: str
    client_kind: str
    refresh_token: str
    expires_at: datetime


class RefreshReused(ParleyError):
    """An already used refresh token came back: the session was revoked."""

    def __init__(self, user_id: str, session_code: str) -> None:
        super().__init__(
            ErrorCode.TOKEN_INVALID, "this refresh token was already used; the session is revoked, log in again"
        )
        self.user_id = user_id
        self.session_code = session_code


def _mac(secret: str, session_code: str, generation: int) -> str:
    digest = hmac.new(bytes.fromhex(secret), f"{session_code}.{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _parse(refresh_token: str) -> tuple[str, int, str]:
    matched = _REFRESH_TOKEN.fullmatch(refresh_token)
    if matched is None:
        raise ParleyError(ErrorCode.TOKEN_INVALID, "malformed refresh token")
    code, generation, mac = matched.groups()
    return code, int(generation), mac


class Sessions:
    def __init__(
        self,
        db: MongoDatabase,
        revocations: RevocationList,
        *,
        access_ttl: int,
        session_ttl: int,
        reuse_grace: float = 0.0,
    ) -> None:
        self._sessions = db["sessions"]
        self._reuse_grace = timedelta(seconds=reuse_grace)
        self._revocations = revocations
        self._access_ttl = access_ttl
        self._session_ttl = timedelta(seconds=session_ttl)

    async def create_indexes(self) -> None:
        await self._sessions.create_index([("user_id", ASCENDING), ("client_kind", ASCENDING)], name="user_kind")

    async def forget_expired(self) -> int:
        """Delete the sessions that ended (expired) a day or more ago; how many went.

        Not a TTL index: FerretDB has none, and the code runs on both. The day of grace keeps an
        ended session readable for a while, so its refresh token still gets "session expired"
        instead of "unknown refresh token"."""
        cutoff = datetime.now(UTC) - FORGET_EXPIRED_AFTER
        result = await self._sessions.delete_many({"expires_at": {"$lt": cutoff}})
        return result.deleted_count

    async def start(self, user: dict[str, Any], client_kind: str) -> Session:
        now = datetime.now(UTC)
        doc = {
            "_id": secrets.token_urlsafe(12),
            "user_id": user["_id"],
            "role": user["role"],
            "client_kind": client_kind,
            "secret": secrets.token_hex(32),
            "generation": 0,
            "created_at": now,
            "expires_at": now + self._session_ttl,
            "revoked_at": None,
        }
        await self._sessions.insert_one(doc)
        return self._session(doc)

    def _session(self, doc: dict[str, Any]) -> Session:
        token = f"{doc['_id']}.{doc['generation']}.{_mac(doc['secret'], doc['_id'], doc['generation'])}"
        return Session(doc["_id"], doc["user_id"], doc["client_kind"], token, doc["expires_at"])

    async def _authentic(self, refresh_token: str) -> tuple[dict[str, Any], int]:
        """The session a refresh token belongs to, and its generation, if auth issued it."""
        code, generation, mac = _parse(refresh_token)
        doc = await self._sessions.find_one({"_id": code})
        if (
            doc is None
            or generation > doc["generation"]
            or not hmac.compare_digest(mac, _mac(doc["secret"], code, generation))
        ):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "unknown refresh token")
        return doc, generation

    async def rotate(self, refresh_token: str) -> Session:
        """Spend a refresh token for the next one; an old one coming back revokes the session."""
        doc, generation = await self._authentic(refresh_token)
        now = datetime.now(UTC)
        if doc["revoked_at"] is not None:
            raise ParleyError(
                ErrorCode.TOKEN_INVALID, f"session revoked ({doc.get('revoked_reason', 'logged out')}); log in again"
            )
        if doc["expires_at"] <= now:
            raise ParleyError(ErrorCode.TOKEN_INVALID, "session expired; log in again")
        moved = await self._sessions.find_one_and_update(
            {"_id": doc["_id"], "generation": generation, "revoked_at": None},
            {"$inc": {"generation": 1}, "$set": {"refreshed_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        if moved is None:  # this generation was spent already (or concurrently)
            current = await self._sessions.find_one({"_id": doc["_id"]})
            if current is not None and self._just_spent(current, generation, now):
                return self._session(current)
            await self.revoke(doc["_id"], "refresh token reused")
            raise RefreshReused(doc["user_id"], doc["_id"])
        return self._session(moved)

    def _just_spent(self, current: dict[str, Any], generation: int, now: datetime) -> bool:
        """Whether ``generation`` is the one spent last, within the reuse grace (not a copied token)."""
        refreshed_at = current.get("refreshed_at")
        return (
            current["revoked_at"] is None
            and current["generation"] == generation + 1
            and refreshed_at is not None
            and now - refreshed_at <= self._reuse_grace
        )

    async def session_of(self, refresh_token: str) -> dict[str, Any]:
        """The session of an authentic refresh token of any generation (logout with a refresh token)."""
        doc, _ = await self._authentic(refresh_token)
        return doc

    async def revoke(self, session_code: str, reason: str) -> None:
        """Revoke the session: its refresh tokens stop at once, its access tokens via the revocation list."""
        await self._sessions.update_one(
            {"_id": session_code, "revoked_at": None},
            {"$set": {"revoked_at": datetime.now(UTC), "revoked_reason": reason}},
        )
        await self._revocations.revoke(session_code, self.access_tokens_live_seconds, reason)

    async def revoke_others(self, user_id: str, client_kind: str, keep: str, reason: str) -> list[str]:
        """Revoke the user's other live sessions of this client kind; returns their codes."""
        now = datetime.now(UTC)
        others = [
            doc["_id"]
            async for doc in self._sessions.find(
                {"user_id": user_id, "client_kind": client_kind, "revoked_at": None, "expires_at": {"$gt": now}}
            )
            if doc["_id"] != keep
        ]
        for code in others:
            await self.revoke(code, reason)
        return others

    async def any_of(self, user_id: str) -> bool:
        """Whether the user has a stored session (live, or ended less than a day ago)."""
        return await self._sessions.count_documents({"user_id": user_id}, limit=1) > 0

    async def live_codes(self, user_id: str) -> list[str]:
        """The codes of the user's sessions not revoked (expired ones included: revoking them is harmless)."""
        return [doc["_id"] async for doc in self._sessions.find({"user_id": user_id, "revoked_at": None}, {"_id": 1})]

    def of_user(self, user_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every stored session of the user, oldest first (an export)."""
        return aiter(self._sessions.find({"user_id": user_id}, {"secret": 0}).sort("created_at", ASCENDING))

    async def revoke_all(self, user_id: str, reason: str, keep: str | None = None) -> list[str]:
        """Revoke every live session of the user (but ``keep``), every client kind; their codes."""
        now = datetime.now(UTC)
        live = [
            doc["_id"]
            async for doc in self._sessions.find(
                {"user_id": user_id, "revoked_at": None, "expires_at": {"$gt": now}}, {"_id": 1}
            )
            if doc["_id"] != keep
        ]
        for code in live:
            await self.revoke(code, reason)
        return live

    @property
    def access_tokens_live_seconds(self) -> int:
        """How long an access token issued now can still be used: the revocation entries' lifetime."""
        return self._access_ttl + REVOCATION_MARGIN_SECONDS
