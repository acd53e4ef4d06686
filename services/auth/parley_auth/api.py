"""The auth HTTP API: login, JWKS, and staff account creation (admins only)."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Literal

import jwt
from aiohttp import web
from pydantic import Field, StringConstraints, model_validator

from parley.contracts.base import Model, new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json
from parley.tokens import ALGORITHM, AUDIENCE, ISSUER, Claims, KeySet
from parley_auth.accounts import Accounts
from parley_auth.keys import SigningKeys
from parley_auth.settings import AuthSettings

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class LoginRequest(Model):
    """Visitors log in with a device id; operators and admins with username and password."""

    device_id: Annotated[str, StringConstraints(min_length=8, max_length=128)] | None = None
    username: Name | None = None
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    client_kind: Literal["web", "mobile", "console", "api"] = "web"

    @model_validator(mode="after")
    def one_way_in(self) -> LoginRequest:
        if (self.device_id is None) == (self.username is None or self.password is None):
            raise ValueError("give either device_id, or username and password")
        return self


class LoginResponse(Model):
    uid: str
    uname: str
    role: str
    token: str
    sessionCode: str  # noqa: N815 - the bm-aichat client's field name
    expires_in: int


class CreateStaffRequest(Model):
    username: Name
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Literal["operator", "admin"]
    name: str = Field("", max_length=100)


class AuthApi:
    def __init__(self, settings: AuthSettings, accounts: Accounts, keys: SigningKeys) -> None:
        self.settings = settings
        self.accounts = accounts
        self.keys = keys

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/auth/login", self.login),
            web.get("/auth/jwks.json", self.jwks),
            web.post("/auth/users", self.create_user),
        ]

    async def login(self, request: web.Request) -> web.Response:
        body = await read_json(request, LoginRequest)
        if body.device_id is not None:
            user = await self.accounts.visitor(body.device_id)
        else:
            assert body.username is not None and body.password is not None
            user = await self.accounts.check_password(body.username, body.password)
        session_code = secrets.token_urlsafe(12)
        token = self.issue(user["_id"], user["role"], user["name"], session_code, body.client_kind)
        return json_response(
            LoginResponse(
                uid=user["_id"],
                uname=user["name"],
                role=user["role"],
                token=token,
                sessionCode=session_code,
                expires_in=self.settings.auth_access_token_ttl_seconds,
            )
        )

    def issue(self, uid: str, role: str, name: str, session_code: str, kind: str) -> str:
        now = int(time.time())
        kid, key = self.keys.current
        claims = {
            "sub": uid,
            "role": role,
            "name": name,
            "sid": session_code,
            "kind": kind,
            "iat": now,
            "exp": now + self.settings.auth_access_token_ttl_seconds,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": new_id(),
        }
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    async def jwks(self, _request: web.Request) -> web.Response:
        # Short cache: verifiers may keep it a minute; a rotation is picked up through unknown kids.
        return json_response(self.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})

    async def create_user(self, request: web.Request) -> web.Response:
        caller = self.bearer(request)
        if caller.role != "admin":
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "only admins create staff accounts")
        body = await read_json(request, CreateStaffRequest)
        user = await self.accounts.create_staff(body.username, body.password, body.role, body.name)
        return json_response({"uid": user["_id"], "username": user["username"], "role": user["role"]}, status=201)

    def bearer(self, request: web.Request) -> Claims:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ParleyError(ErrorCode.NOT_AUTHENTICATED, "missing bearer token")
        return KeySet(self.keys.jwks()).verify(header.removeprefix("Bearer "))
