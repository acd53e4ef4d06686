"""Accounts: anonymous visitors (by device id) and operators/admins (username + argon2 hash)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ASCENDING
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
_DUMMY_HASH = _hasher.hash("parley-dummy-password")


class Accounts:
    def __init__(self, db: MongoDatabase) -> None:
        self._users = db["users"]

    async def create_indexes(self) -> None:
        await self._users.create_index([("username", ASCENDING)], unique=True, name="username_unique")

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
        """Set a display name and/or email (a visitor who introduces themselves); returns the account."""
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
        return user
