"""The auth HTTP API: login, refresh, logout, profile, JWKS and key rotation, staff accounts.

Served through parley.http_api from the table in :mod:`parley_auth.endpoints`; tokens are checked
by :class:`OwnKeysVerifier` (auth's own keys and the revocation list, not its own JWKS over HTTP).
"""

from __future__ import annotations

import re
import time
from typing import Any

import jwt
from aiohttp import web

from parley.audit import AuditLog
from parley.bus import Bus
from parley.contracts.base import Contract, new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import SessionReplaced, TokenRevoked
from parley.http import error_response, json_response
from parley.http_api import Call, bearer_token
from parley.logs import get_logger
from parley.revocations import RevocationList
from parley.tokens import ALGORITHM, AUDIENCE, ISSUER, Claims
from parley_auth.accounts import Accounts
from parley_auth.identity import CHANNEL_ID_PATTERN, SECRET_PREFIX_LENGTH, IdentitySecrets, IdentityVerifier
from parley_auth.keys import SigningKeys
from parley_auth.login_limits import LoginLimits, LoginRefused
from parley_auth.openapi import OPENAPI_JSON, OPENAPI_YAML
from parley_auth.privacy import PrivacyRequests
from parley_auth.privacy_schemas import PersonExport, PrivacyRequestView
from parley_auth.schemas import (
    IdentitySecretCreated,
    IdentitySecretList,
    IdentitySecretView,
    KeyRotated,
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    Profile,
    ProfileUpdate,
    RefreshRequest,
)
from parley_auth.sessions import RefreshReused, Session, Sessions
from parley_auth.settings import AuthSettings

log = get_logger("parley.auth")


class OwnKeysVerifier:
    """Checks the bearer tokens auth is shown with the keys it signs with (the other services fetch
    them as the JWKS; auth fetching its own over HTTP would be a loop through itself), then the
    session against the revocation list, as every verifier does."""

    def __init__(self, keys: SigningKeys, revocations: RevocationList) -> None:
        self.keys = keys
        self.revocations = revocations

    def signature(self, token: str) -> Claims:
        """The claims of a token auth signed (signature and expiry; not the revocation list)."""
        return self.keys.public.verify(token)

    async def verify(self, token: str) -> Claims:
        claims = self.signature(token)
        await self.revocations.check(claims.sid)
        return claims


class AuthApi:
    """Serves parley_auth.endpoints.ENDPOINTS (``HttpApi(ENDPOINTS, verifier, api).routes()``)."""

    def __init__(
        self,
        settings: AuthSettings,
        accounts: Accounts,
        keys: SigningKeys,
        sessions: Sessions,
        limits: LoginLimits,
        verifier: OwnKeysVerifier,
        bus: Bus,
        identities: IdentityVerifier,
        identity_secrets: IdentitySecrets,
        audit: AuditLog,
        privacy: PrivacyRequests,
    ) -> None:
        self.settings = settings
        self.accounts = accounts
        self.keys = keys
        self.sessions = sessions
        self.limits = limits
        self.verifier = verifier
        self.bus = bus
        self.identities = identities
        self.identity_secrets = identity_secrets
        self.audit = audit
        self.privacy = privacy

    # ---- sessions -----------------------------------------------------------------------------

    async def login(self, call: Call) -> web.Response | LoginResponse:
        body: LoginRequest = call.body
        account = f"device:{body.device_id}" if body.device_id is not None else f"user:{(body.username or '').lower()}"
        try:
            await self.limits.attempt(call.request, account)
        except LoginRefused as refused:
            log.warning("auth.login_rate_limited", reason=refused.message)
            return error_response(refused.code, refused.message, headers={"Retry-After": str(refused.retry_after)})
        if body.identity is not None:
            assert body.channel_id is not None
            user = await self._verified_visitor(body.identity, body.channel_id)
        elif body.device_id is not None:
            user = await self.accounts.visitor(body.device_id)
        else:
            assert body.username is not None and body.password is not None
            user = await self.accounts.check_password(body.username, body.password)
        session = await self.sessions.start(user, body.client_kind)
        # A verified customer is one account on all their devices: a login on the phone must not
        # log the laptop out (a device-id visitor's account is one browser, and it may).
        if user["role"] in self.settings.auth_single_session_roles and not user.get("verified"):
            replaced = await self.sessions.revoke_others(
                user["_id"], body.client_kind, session.code, "replaced by a newer login"
            )
            if replaced:
                log.info(
                    "auth.sessions_replaced", user_id=user["_id"], client_kind=body.client_kind, count=len(replaced)
                )
                await self._announce(
                    SessionReplaced(user_id=user["_id"], client_kind=body.client_kind, session_code=session.code)
                )
        return self._answer(user, session)

    async def _verified_visitor(self, token: str, channel_id: str) -> dict[str, Any]:
        try:
            claims = await self.identities.verify(token, channel_id)
        except ParleyError as refused:
            log.warning("auth.identity_refused", channel_id=channel_id, code=int(refused.code), reason=refused.message)
            raise
        profile: dict[str, Any] = {"name": claims.name}
        if claims.email is not None:
            profile["email"] = claims.email
        if claims.attributes:
            profile["attributes"] = claims.attributes
        return await self.accounts.verified_visitor(channel_id, claims.sub, profile)

    async def refresh(self, call: Call) -> LoginResponse:
        body: RefreshRequest = call.body
        try:
            session = await self.sessions.rotate(body.refresh_token)
        except RefreshReused as reused:
            log.warning("auth.refresh_token_reused", user_id=reused.user_id, session_code=reused.session_code)
            await self.announce_revoked(reused.user_id, reused.session_code)
            raise
        user = await self.accounts.by_id(session.user_id)
        if user.get("disabled"):  # its sessions were revoked; this closes a race with the disable
            await self.sessions.revoke(session.code, "account disabled")
            raise ParleyError(ErrorCode.ACCOUNT_DISABLED, "this account is disabled; ask an admin")
        return self._answer(user, session)

    async def logout(self, call: Call) -> None:
        """End a session: named by the bearer token, or else by a refresh token in the body. The
        bearer is checked here, not by the layer: a refresh token alone is enough, and a session
        already revoked may be logged out again (the signature is checked, not the revocation list)."""
        if call.request.headers.get("Authorization"):
            claims = self.verifier.signature(bearer_token(call.request))
            user_id, code = claims.sub, claims.sid
        else:
            body: LogoutRequest = call.body
            if body.refresh_token is None:
                raise ParleyError(ErrorCode.NOT_AUTHENTICATED, "give a bearer token or a refresh_token")
            session = await self.sessions.session_of(body.refresh_token)
            user_id, code = session["user_id"], session["_id"]
        await self.sessions.revoke(code, "logged out")
        await self.announce_revoked(user_id, code)

    def _answer(self, user: dict[str, Any], session: Session) -> LoginResponse:
        ttl = self.settings.auth_access_token_ttl_seconds
        return LoginResponse(
            uid=user["_id"],
            uname=user["name"],
            role=user["role"],
            token=self.issue(user, session),
            expires_in=ttl,
            refresh_token=session.refresh_token,
            refresh_expires_in=max(0, int(session.expires_at.timestamp() - time.time())),
            sessionCode=session.code,
        )

    def issue(self, user: dict[str, Any], session: Session) -> str:
        now = int(time.time())
        kid, key = self.keys.current
        claims = {
            "sub": user["_id"],
            "role": user["role"],
            "name": user["name"],
            "sid": session.code,
            "kind": session.client_kind,
            "iat": now,
            "exp": now + self.settings.auth_access_token_ttl_seconds,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": new_id(),
        }
        if user.get("verified"):
            claims["verified_channel"] = user["channel_id"]
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    async def announce_revoked(self, user_id: str, code: str) -> None:
        expires_at = int(time.time()) + self.sessions.access_tokens_live_seconds
        await self._announce(TokenRevoked(user_id=user_id, session_code=code, expires_at=expires_at))

    async def _announce(self, event: Contract) -> None:
        """Tell the gateways; the revocation list already refuses the session's tokens if this fails."""
        try:
            await self.bus.publish_event(event)
        except ParleyError as error:
            log.warning("auth.event_not_published", type=event.TYPE, error=error.message)

    # ---- accounts and keys --------------------------------------------------------------------

    async def profile(self, call: Call) -> Profile:
        return _profile(await self.accounts.by_id(call.user.sub))

    async def update_profile(self, call: Call) -> Profile:
        body: ProfileUpdate = call.body
        return _profile(await self.accounts.update_profile(call.user.sub, body.model_dump(exclude_none=True)))

    async def jwks(self, _call: Call) -> web.Response:
        # Short cache: verifiers may keep it a minute; a rotation is picked up through unknown kids.
        return json_response(self.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})

    async def rotate_keys(self, call: Call) -> KeyRotated:
        rotated = KeyRotated.model_validate(await self.keys.rotate())
        log.info("auth.key_rotated", kid=rotated.kid, active_from=rotated.active_from, by=call.user.sub)
        await self.audit.record(
            actor=call.user.sub,
            action="signing_key.rotate",
            target=rotated.kid,
            details={"active_from": rotated.active_from},
        )
        return rotated

    # ---- identity secrets (docs/client.md) ------------------------------------------------------

    async def create_identity_secret(self, call: Call) -> IdentitySecretCreated:
        channel_id = _channel_param(call)
        doc = await self.identity_secrets.create(channel_id)
        await self.audit.record(
            actor=call.user.sub, action="identity_secret.create", target=channel_id, details={"secret_id": doc["_id"]}
        )
        return IdentitySecretCreated(
            id=doc["_id"], channel_id=channel_id, secret=doc["secret"], created_at=doc["created_at"]
        )

    async def list_identity_secrets(self, call: Call) -> IdentitySecretList:
        live = await self.identity_secrets.live(_channel_param(call))
        return IdentitySecretList(
            secrets=[
                IdentitySecretView(
                    id=doc["_id"],
                    channel_id=doc["channel_id"],
                    prefix=doc["secret"][:SECRET_PREFIX_LENGTH],
                    created_at=doc["created_at"],
                )
                for doc in live
            ]
        )

    async def revoke_identity_secret(self, call: Call) -> None:
        channel_id = _channel_param(call)
        doc = await self.identity_secrets.revoke(channel_id, call.param("secret_id"))
        await self.audit.record(
            actor=call.user.sub, action="identity_secret.revoke", target=channel_id, details={"secret_id": doc["_id"]}
        )

    # ---- privacy (docs/privacy.md) -------------------------------------------------------------

    async def request_erase(self, call: Call) -> PrivacyRequestView:
        return await self.privacy.request_erase(call.body, call.user.sub)

    async def privacy_request(self, call: Call) -> PrivacyRequestView:
        return await self.privacy.view(call.param("request_id"))

    async def export_person(self, call: Call) -> PersonExport:
        return await self.privacy.export(call.query, call.user.sub)

    async def openapi_json(self, _call: Call) -> web.Response:
        return web.Response(text=OPENAPI_JSON, content_type="application/json")

    async def openapi_yaml(self, _call: Call) -> web.Response:
        return web.Response(text=OPENAPI_YAML, content_type="application/yaml")


def _channel_param(call: Call) -> str:
    channel_id = call.param("channel_id")
    if not re.fullmatch(CHANNEL_ID_PATTERN, channel_id):
        raise ParleyError(ErrorCode.BAD_ARGUMENT, "channel_id: letters, digits, _ and - (64 at most)")
    return channel_id


def _profile(user: dict[str, Any]) -> Profile:
    return Profile(uid=user["_id"], uname=user["name"], role=user["role"], email=user.get("email"))
