"""The web push HTTP API (docs/notification-openapi.yaml): the VAPID public key and each user's
push subscriptions, authenticated with the user's own access token."""

from __future__ import annotations

from aiohttp import web

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json
from parley.tokens import JwksVerifier, bearer_claims
from parley_notification.subscriptions import RegisterSubscription, Subscriptions

# The public key never changes without a redeploy: browsers may cache it for a day.
PUBLIC_KEY_CACHE_SECONDS = 86_400


class PushApi:
    def __init__(self, subscriptions: Subscriptions, verifier: JwksVerifier, public_key: str | None) -> None:
        self.subscriptions = subscriptions
        self.verifier = verifier
        self.public_key = public_key

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/push/vapid-public-key", self.vapid_public_key),
            web.get("/push/subscriptions", self.list_subscriptions),
            web.put("/push/subscriptions", self.register),
            web.delete("/push/subscriptions/{device_id}", self.unregister),
        ]

    async def vapid_public_key(self, _request: web.Request) -> web.Response:
        """The applicationServerKey for ``PushManager.subscribe``."""
        if self.public_key is None:
            raise ParleyError(ErrorCode.UNAVAILABLE, "web push is not configured on this server")
        return json_response(
            {"public_key": self.public_key}, headers={"Cache-Control": f"public, max-age={PUBLIC_KEY_CACHE_SECONDS}"}
        )

    async def register(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier)
        body = await read_json(request, RegisterSubscription)
        return json_response(await self.subscriptions.register(claims.sub, body))

    async def list_subscriptions(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier)
        views = await self.subscriptions.of_user(claims.sub)
        return json_response({"subscriptions": [view.model_dump(mode="json") for view in views]})

    async def unregister(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier)
        if not await self.subscriptions.unregister(claims.sub, request.match_info["device_id"]):
            error = {"code": int(ErrorCode.BAD_ARGUMENT), "message": "no subscription of yours has this device id"}
            return json_response({"error": error}, status=404)
        return web.Response(status=204)
