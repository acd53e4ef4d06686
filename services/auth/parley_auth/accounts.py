"""Accounts: anonymous visitors (by device id) and operators/admins (username + argon2 hash)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase
from parley.sweeps import sweep

# Checked against a dummy hash when the user does not exist, so a wrong username costs as much
# time as a wrong password and response times do not reveal which accounts exist.
_hasher = PasswordHasher()
# A visitor's personal fields: what an idle account loses to retention (and an erase, with more).
VISITOR_PERSONAL_FIELDS = ("email", "external_id", "attributes", "verified_name")
# What an account whose personal data expired is called.
IDLE_VISITOR_NAME = "Visitor"
STAFF_ROLES = ("operator", "admin")
# A reset code is handed over by an admin out of band and used at once; an hour covers a
# colleague reading it after a meeting, and bounds how long a leaked one is worth anything.
RESET_CODE_SECONDS = 3600
_DUMMY_HASH = _hasher.hash("parley-dummy-password")


class Accounts:
    def __init__(self, db: MongoDatabase) -> None:
        self._users = db["users"]

    async def create_indexes(self) -> None:
        await self._users.create_index([("username", ASCENDING)], unique=True, name="username_unique")
        # A verified visitor is found by the site's customer id (erase and export requests).
        await self._users.create_index([("external_id", ASCENDING), ("channel_id", ASCENDING)], name="external_id")

    async def visitor(self, device_id: str) -> dict[str, Any]:
        """The visitor of this device, created on first sight."""
        digest = hashlib.sha256(device_id.encode()).hexdigest()
        username, user_id = f"visitor:{digest[:32]}", f"v_{digest[:24]}"
        # By _id, which the device decides too: the one lookup every MongoDB-wire server
        # answers from its primary key (FerretDB scans the collection for any other field).
        existing = await self._users.find_one({"_id": user_id})
        if existing is not None:
            if existing.get("erased_at") is not None:
                # Erased on request (docs/privacy.md): the device's history is tombstones, its
                # account is nobody's; it never comes back to life.
                raise ParleyError(ErrorCode.TOKEN_INVALID, "this visitor's data was erased")
            return existing
        doc = {
            "_id": user_id,
            "username": username,
            "role": "visitor",
            "name": f"Visitor {digest[:6]}",
            "created_at": datetime.now(UTC),
        }
        try:
            await self._users.insert_one(doc)
        except DuplicateKeyError:  # two first logins of one device raced; both get the same account
            found = await self._users.find_one({"_id": user_id})
            assert found is not None
            return found
        return doc

    async def verified_visitor(self, channel_id: str, external_id: str, profile: dict[str, Any]) -> dict[str, Any]:
        """The one visitor account of the channel's customer ``external_id``, on every device,
        created on first sight; ``profile`` (name, email, attributes as the site signed them) is
        kept current. Its id derives from the channel and the external id, never from a device id,
        so no device id can reach it."""
        digest = hashlib.sha256(f"{channel_id}\n{external_id}".encode()).hexdigest()
        user_id = f"vv_{digest[:24]}"
        stamp = datetime.now(UTC)
        changes = {**profile, "name": profile.get("name") or f"Customer {digest[:6]}", "updated_at": stamp}
        created = {
            "username": f"verified:{digest[:32]}",
            "role": "visitor",
            "verified": True,
            "external_id": external_id,
            "channel_id": channel_id,
            "created_at": stamp,
        }
        for _attempt in range(2):  # two first logins racing: the loser's upsert finds the winner's account
            try:
                found = await self._users.find_one_and_update(
                    {"_id": user_id},
                    {"$set": changes, "$setOnInsert": created},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue
            assert found is not None
            return found
        return await self.by_id(user_id)

    async def create_staff(self, username: str, password: str, role: str, name: str) -> dict[str, Any]:
        doc = {
            "_id": f"u_{new_id()[:24]}",
            "username": username,
            "password_hash": _hasher.hash(password),
            "role": role,
            "name": name or username,
            "created_at": datetime.now(UTC),
        }
        try:
            await self._users.insert_one(doc)
        except DuplicateKeyError:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"username {username!r} is taken") from None
        return doc

    async def by_id(self, user_id: str) -> dict[str, Any]:
        user = await self._users.find_one({"_id": user_id})
        if user is None:
            raise ParleyError(ErrorCode.TOKEN_INVALID, "this account no longer exists")
        return user

    async def update_profile(self, user_id: str, changes: dict[str, str]) -> dict[str, Any]:
        """Set a display name and/or email (a visitor who introduces themselves); returns the account.
        A verified visitor's name and e-mail are the site's word, not theirs to change."""
        if changes and (await self.by_id(user_id)).get("verified"):
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, "a verified visitor's name and e-mail come from the site that signed them"
            )
        if changes:
            await self._users.update_one({"_id": user_id}, {"$set": {**changes, "updated_at": datetime.now(UTC)}})
        return await self.by_id(user_id)

    async def forget_idle_visitors(self, days: float, has_session: Callable[[str], Awaitable[bool]]) -> int:
        """One bounded, resumable pass (parley.sweeps) over the visitor accounts created more than
        ``days`` ago that have no session left: their personal fields (name, e-mail, external id,
        attributes) are removed. The account itself stays, holding only its id: the visitor's
        conversations still name it, and an erase or export by that id still finds them. How many."""
        if days <= 0:
            return 0
        cutoff = datetime.now(UTC) - timedelta(days=days)
        stamp = datetime.now(UTC)

        async def forget(docs: list[dict[str, Any]]) -> None:
            idle = [doc["_id"] for doc in docs if not await has_session(doc["_id"])]
            if idle:
                await self._users.update_many(
                    {"_id": {"$in": idle}, "role": "visitor"},
                    {
                        "$set": {"name": IDLE_VISITOR_NAME, "personal_data_expired_at": stamp},
                        "$unset": dict.fromkeys(VISITOR_PERSONAL_FIELDS, ""),
                    },
                )
                forgotten.extend(idle)

        forgotten: list[str] = []
        query = {
            "role": "visitor",
            "created_at": {"$lt": cutoff},
            "erased_at": {"$exists": False},
            "personal_data_expired_at": {"$exists": False},
        }
        await sweep(self._users.database, "users", query, forget, name="auth.visitor_accounts", projection={"_id": 1})
        return len(forgotten)

    async def exists(self, username: str) -> bool:
        return await self._users.count_documents({"username": username}, limit=1) > 0

    async def check_password(self, username: str, password: str) -> dict[str, Any]:
        user = await self._users.find_one({"username": username, "role": {"$in": ["operator", "admin"]}})
        stored = user.get("password_hash", _DUMMY_HASH) if user else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "wrong username or password") from None
        if user is None:
            raise ParleyError(ErrorCode.TOKEN_INVALID, "wrong username or password")
        if user.get("disabled"):  # said only to whoever knows the password
            raise ParleyError(ErrorCode.ACCOUNT_DISABLED, "this account is disabled; ask an admin")
        return user

    # ---- staff lifecycle ------------------------------------------------------------------------

    async def staff(self, user_id: str) -> dict[str, Any]:
        """A staff account that was not deleted; BAD_ARGUMENT otherwise (a visitor is not staff)."""
        user = await self._users.find_one({"_id": user_id, "role": {"$in": list(STAFF_ROLES)}})
        if user is None or user.get("deleted_at") is not None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no staff account {user_id!r}")
        return user

    async def list_staff(self, cursor: str | None, limit: int, role: str | None) -> list[dict[str, Any]]:
        """A page of staff accounts in id order, after ``cursor`` (deleted ones left out)."""
        query: dict[str, Any] = {"role": role or {"$in": list(STAFF_ROLES)}, "deleted_at": None}
        if cursor is not None:
            query["_id"] = {"$gt": cursor}
        return await self._users.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def enabled_admins(self) -> int:
        return await self._users.count_documents({"role": "admin", "disabled": {"$ne": True}, "deleted_at": None})

    async def update_staff(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        found = await self._users.find_one_and_update(
            {"_id": user_id, "deleted_at": None},
            {"$set": {**changes, "updated_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )
        if found is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no staff account {user_id!r}")
        return found

    async def delete_staff(self, user_id: str) -> None:
        """Keep the account's id and name (transcripts name them), drop the way in: the password,
        any reset code, and the username (free for a new account)."""
        await self._users.update_one(
            {"_id": user_id},
            {
                "$set": {"deleted_at": datetime.now(UTC), "disabled": True, "username": f"deleted:{user_id}"},
                "$unset": {"password_hash": "", "reset": ""},
            },
        )

    async def set_password(self, user_id: str, password: str) -> None:
        await self.update_staff(user_id, {"password_hash": _hasher.hash(password)})

    async def check_own_password(self, user_id: str, password: str) -> None:
        user = await self.staff(user_id)
        try:
            _hasher.verify(user.get("password_hash", _DUMMY_HASH), password)
        except (VerificationError, InvalidHashError):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "the current password is wrong") from None

    async def start_reset(self, user_id: str) -> tuple[str, datetime]:
        """A one-time reset code (only its hash is stored), valid ``RESET_CODE_SECONDS``."""
        code = secrets.token_urlsafe(16)
        expires_at = datetime.now(UTC) + timedelta(seconds=RESET_CODE_SECONDS)
        await self.update_staff(user_id, {"reset": {"hash": _code_hash(code), "expires_at": expires_at}})
        return code, expires_at

    async def redeem_reset(self, username: str, code: str, password: str) -> dict[str, Any]:
        """Set a new password with a reset code: once, before it expires, for an enabled account."""
        spent = await self._users.find_one_and_update(
            {
                "username": username,
                "deleted_at": None,
                "reset.hash": _code_hash(code),
                "reset.expires_at": {"$gt": datetime.now(UTC)},
            },
            {"$set": {"password_hash": _hasher.hash(password)}, "$unset": {"reset": ""}},
            return_document=ReturnDocument.AFTER,
        )
        if spent is None:
            raise ParleyError(ErrorCode.TOKEN_INVALID, "unknown, used or expired reset code")
        return spent


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
