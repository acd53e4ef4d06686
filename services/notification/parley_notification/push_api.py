"""The web push HTTP API: the VAPID public key and each user's push subscriptions, authenticated
with the user's own access token. Served through parley.http_api from :data:`ENDPOINTS`;
docs/notification-openapi.yaml is generated from the same table (:mod:`parley_notification.openapi`)."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response
from parley.http_api import PUBLIC, Call, Endpoint, roles
from parley_notification.subscriptions import (
    MAX_DEVICES_PER_USER,
    RegisterSubscription,
    Subscriptions,
    SubscriptionView,
)

# The public key never changes without a redeploy: browsers may cache it for a day.
PUBLIC_KEY_CACHE_SECONDS = 86_400
# Every role has devices; each caller reaches only their own (the token's user), so no resource check.
ANY_USER = roles(rule="only their own subscriptions")


def paragraphs(text: str) -> str:
    """Text wrapped to fit the source, as the document's paragraphs: each one a single line."""
    return "\n\n".join(" ".join(part.split()) for part in text.strip().split("\n\n"))


class VapidPublicKey(Model):
    public_key: str = Field(
        description="The key: an uncompressed P-256 point, base64url without padding.",
        examples=["BKk0lhwvOD1RaZxtxFiFZTSVMA-IQ6koNCm9BCEw_IOA7lsITTvQG-FLpT4u1-fk4gfbLN9w0dMZuCUAehLpt94"],
    )


class SubscriptionList(Model):
    subscriptions: list[SubscriptionView] = Field(description="One entry per device.")


REGISTER = paragraphs(f"""Registering again from the same `device_id` replaces the previous subscription (browsers
rotate them). An endpoint belongs to one user: registering one another user had (a shared computer) takes it
away from them. At most {MAX_DEVICES_PER_USER} devices per user. Subscriptions the push service later
answers 404 or 410 for are deleted.

The endpoint must be the https URL of a public push service: port 443, no user name or password, and a
host that is neither an internal address (loopback, private, link-local, CGNAT, multicast, ...) nor a
local name (`localhost`, `*.local`, `*.internal`, a name without a dot); anything else is refused with
400 (code 9105), as are too many devices, so that notification never calls internal services on a
caller's behalf. The check runs again when a push is sent, on the addresses the host name resolves to
(those are the ones connected to) and on every redirect; an endpoint that fails it then is deleted.""")

ENDPOINTS = [
    Endpoint(
        "GET",
        "/push/vapid-public-key",
        "vapid_public_key",
        "The VAPID public key, for PushManager.subscribe's applicationServerKey",
        PUBLIC,
        tag="push",
        response=VapidPublicKey,
        extra_statuses=(503,),
        description=f"Browsers may cache it for {PUBLIC_KEY_CACHE_SECONDS} s (Cache-Control).",
    ),
    Endpoint(
        "GET",
        "/push/subscriptions",
        "list_subscriptions",
        "The caller's registered devices",
        ANY_USER,
        tag="push",
        response=SubscriptionList,
    ),
    Endpoint(
        "PUT",
        "/push/subscriptions",
        "register",
        "Register (or replace) this device's push subscription",
        ANY_USER,
        tag="push",
        body=RegisterSubscription,
        response=SubscriptionView,
        description=REGISTER,
    ),
    Endpoint(
        "DELETE",
        "/push/subscriptions/{device_id}",
        "unregister",
        "Stop pushing to this device (logout, notifications turned off)",
        ANY_USER,
        tag="push",
        status=204,
        description="404 (code 9105) when the caller has no subscription with this device id.",
    ),
]


class PushApi:
    """Serves :data:`ENDPOINTS` (``HttpApi(ENDPOINTS, verifier, api).routes()``)."""

    def __init__(self, subscriptions: Subscriptions, public_key: str | None) -> None:
        self.subscriptions = subscriptions
        self.public_key = public_key

    async def vapid_public_key(self, _call: Call) -> web.Response:
        """The applicationServerKey for ``PushManager.subscribe``."""
        if self.public_key is None:
            raise ParleyError(ErrorCode.UNAVAILABLE, "web push is not configured on this server")
        return json_response(
            VapidPublicKey(public_key=self.public_key),
            headers={"Cache-Control": f"public, max-age={PUBLIC_KEY_CACHE_SECONDS}"},
        )

    async def register(self, call: Call) -> SubscriptionView:
        return await self.subscriptions.register(call.user.sub, call.body)

    async def list_subscriptions(self, call: Call) -> SubscriptionList:
        return SubscriptionList(subscriptions=await self.subscriptions.of_user(call.user.sub))

    async def unregister(self, call: Call) -> web.Response | None:
        if not await self.subscriptions.unregister(call.user.sub, call.param("device_id")):
            # 404 with the code of an argument naming nothing (9105), as before the shared layer.
            error = {"code": int(ErrorCode.BAD_ARGUMENT), "message": "no subscription of yours has this device id"}
            return json_response({"error": error}, status=404)
        return None
