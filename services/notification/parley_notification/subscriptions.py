"""Web push subscriptions (MongoDB ``push_subscriptions``): one per user and device.

A browser's ``PushSubscription.toJSON()`` is stored as sent, under ``<user id>/<device id>``:
registering again from the same device replaces the old subscription (browsers rotate them).
An endpoint belongs to one user only: when another user registers it (a shared computer),
the previous owner's copy is removed, so nobody gets another person's notices.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ConfigDict, Field, StringConstraints, field_validator
from pydantic.config import JsonDict
from pymongo import ASCENDING

from parley.contracts.base import Model
from parley.contracts.bounded import MAX_SAFE_INTEGER
from parley.contracts.errors import ErrorCode, ParleyError
from parley.outbound_urls import EndpointRule
from parley.stores import MongoDatabase

DeviceId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"),
    Field(description="Chosen by the client, stable per browser or app install."),
]
# Push services' endpoint URLs are a few hundred characters; anything far longer is not one.
MAX_ENDPOINT_LENGTH = 2048
# Devices one user may register: a phone, a laptop, a few browsers; more is abuse.
MAX_DEVICES_PER_USER = 20


def _b64url(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


class PushKeys(Model):
    p256dh: str = Field(max_length=200, description="The browser's P-256 public key, base64url (65 bytes raw).")
    auth: str = Field(max_length=100, description="The browser's auth secret, base64url (16 bytes raw).")

    @field_validator("p256dh")
    @classmethod
    def _is_point(cls, value: str) -> str:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url(value))
        return value

    @field_validator("auth")
    @classmethod
    def _is_secret(cls, value: str) -> str:
        if len(_b64url(value)) != 16:
            raise ValueError("the auth secret is 16 bytes")
        return value


class BrowserSubscription(Model):
    """``PushSubscription.toJSON()`` as the browser gives it."""

    endpoint: str = Field(
        min_length=8,
        max_length=MAX_ENDPOINT_LENGTH,
        description="The push service URL (https, a public host on port 443).",
    )
    # The browser's own field name; milliseconds since the epoch, as JavaScript holds them exactly.
    expirationTime: int | None = Field(None, ge=0, le=MAX_SAFE_INTEGER)  # noqa: N815
    keys: PushKeys


# What a browser sends (the document's example; a test checks that it is accepted).
EXAMPLE_REGISTRATION: JsonDict = {
    "device_id": "laptop-firefox",
    "subscription": {
        "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk...",
        "expirationTime": None,
        "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    },
}


class RegisterSubscription(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_REGISTRATION]})

    device_id: DeviceId
    subscription: BrowserSubscription


class SubscriptionView(Model):
    device_id: str
    endpoint_origin: str = Field(
        description="The push service's origin (the full endpoint is a capability and is not echoed)."
    )
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Subscription:
    """One device to push to."""

    id: str
    user_id: str
    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict[str, Any]:
        """The subscription_info pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class Subscriptions:
    def __init__(self, db: MongoDatabase, endpoint_rule: EndpointRule) -> None:
        self._collection = db["push_subscriptions"]
        self.endpoint_rule = endpoint_rule

    async def create_indexes(self) -> None:
        await self._collection.create_index([("user_id", ASCENDING)])
        await self._collection.create_index([("endpoint", ASCENDING)])

    async def register(self, user_id: str, request: RegisterSubscription) -> SubscriptionView:
        endpoint = self._checked_endpoint(request.subscription.endpoint)
        key = f"{user_id}/{request.device_id}"
        if await self._collection.count_documents({"user_id": user_id, "_id": {"$ne": key}}) >= MAX_DEVICES_PER_USER:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"at most {MAX_DEVICES_PER_USER} devices per user")
        now = datetime.now(UTC)
        await self._collection.delete_many({"endpoint": endpoint, "_id": {"$ne": key}})
        document = {
            "user_id": user_id,
            "device_id": request.device_id,
            "endpoint": endpoint,
            "p256dh": request.subscription.keys.p256dh,
            "auth": request.subscription.keys.auth,
            "updated_at": now,
        }
        await self._collection.update_one(
            {"_id": key}, {"$set": document, "$setOnInsert": {"created_at": now}}, upsert=True
        )
        return _view(await self._collection.find_one({"_id": key}) or {})

    async def of_user(self, user_id: str) -> list[SubscriptionView]:
        cursor = self._collection.find({"user_id": user_id}).sort("created_at", ASCENDING)
        return [_view(document) async for document in cursor]

    async def unregister(self, user_id: str, device_id: str) -> bool:
        result = await self._collection.delete_one({"_id": f"{user_id}/{device_id}"})
        return result.deleted_count == 1

    async def of_users(self, user_ids: list[str]) -> list[Subscription]:
        """Every device of these users, in one query."""
        if not user_ids:
            return []
        cursor = self._collection.find({"user_id": {"$in": list(dict.fromkeys(user_ids))}})
        return [Subscription(d["_id"], d["user_id"], d["endpoint"], d["p256dh"], d["auth"]) async for d in cursor]

    async def forget(self, subscription: Subscription) -> None:
        """The push service says this endpoint is gone (404/410); a newer registration stays."""
        await self._collection.delete_one({"_id": subscription.id, "endpoint": subscription.endpoint})

    def _checked_endpoint(self, endpoint: str) -> str:
        """The endpoint, if notification may call it (parley.outbound_urls: no internal addresses)."""
        problem = self.endpoint_rule.problem(endpoint)
        if problem is not None:
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT,
                f"subscription.endpoint must be the https URL of a public push service: {problem}",
            )
        return endpoint


def _view(document: dict[str, Any]) -> SubscriptionView:
    parts = urlsplit(document["endpoint"])
    return SubscriptionView(
        device_id=document["device_id"],
        endpoint_origin=f"{parts.scheme}://{parts.netloc}",
        created_at=document["created_at"],
        updated_at=document["updated_at"],
    )
