"""The auth HTTP API's endpoint table (parley.http_api): what each endpoint takes and answers, and
who may call it. :class:`parley_auth.api.AuthApi` serves it; docs/auth-openapi.yaml is generated
from it (:mod:`parley_auth.openapi`)."""

from __future__ import annotations

from parley.http_api import PUBLIC, Endpoint, roles
from parley_auth.schemas import (
    CreateStaffRequest,
    IdentitySecretCreated,
    IdentitySecretList,
    Jwks,
    KeyRotated,
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    Profile,
    ProfileUpdate,
    RefreshRequest,
    StaffCreated,
)

ANY_USER = roles(rule="their own profile")
ADMIN = roles("admin")

ENDPOINTS = [
    Endpoint(
        "POST",
        "/auth/login",
        "login",
        "Log in: a visitor by device id, staff by username and password; opens a session",
        PUBLIC,
        tag="auth",
        body=LoginRequest,
        response=LoginResponse,
        extra_statuses=(401, 429, 503),
        description="401 (code 7001) for a wrong username or password. A visitor's signed identity refused: 401 "
        "with 7101 (forged: unknown or revoked secret, or a wrong signature), 7102 (a secret of another channel), "
        "7103 (expired), 7104 (replayed: its jti was used), or 400 with 7105 (malformed). Wrong passwords never "
        "lock the account: too many attempts for one account from one client address, or from one address, are "
        "refused with 429 for a while, other addresses are not held.",
    ),
    Endpoint(
        "POST",
        "/auth/refresh",
        "refresh",
        "Trade a refresh token (usable once) for new tokens; a reused one revokes the session",
        PUBLIC,
        tag="auth",
        body=RefreshRequest,
        response=LoginResponse,
        extra_statuses=(401,),
        description="401 (code 7001) for an unknown, used, expired or revoked refresh token.",
    ),
    # Not behind a bearer check of the layer: a session can be ended by one of its refresh tokens,
    # with no access token at all (an app whose access token expired).
    Endpoint(
        "POST",
        "/auth/logout",
        "logout",
        "End the session of the bearer token, or of the refresh token in the body; its live connections are closed",
        PUBLIC,
        tag="auth",
        body=LogoutRequest,
        status=204,
        extra_statuses=(401,),
        description="Give the session's access token as `Authorization: Bearer <token>`, or one of its refresh tokens "
        "in the body (then no bearer is needed). Logging out a session that already ended answers 204 too; "
        "401 without either, or with a bad one.",
    ),
    Endpoint("GET", "/auth/me", "profile", "The caller's profile", ANY_USER, tag="auth", response=Profile),
    Endpoint(
        "PATCH",
        "/auth/me",
        "update_profile",
        "Set the caller's display name and/or email (a visitor introducing themselves)",
        ANY_USER,
        tag="auth",
        body=ProfileUpdate,
        response=Profile,
    ),
    Endpoint(
        "GET",
        "/auth/jwks.json",
        "jwks",
        "The public keys that verify access tokens (by kid)",
        PUBLIC,
        tag="auth",
        response=Jwks,
    ),
    Endpoint(
        "POST",
        "/auth/keys/rotate",
        "rotate_keys",
        "Admins: add a signing key; older ones stay published until their tokens expire",
        ADMIN,
        tag="auth",
        response=KeyRotated,
        status=201,
    ),
    Endpoint(
        "POST",
        "/auth/users",
        "create_user",
        "Admins: create an operator or admin account",
        ADMIN,
        tag="auth",
        body=CreateStaffRequest,
        response=StaffCreated,
        status=201,
        description="400 (code 9105) when the username is taken.",
    ),
    Endpoint(
        "POST",
        "/auth/channels/{channel_id}/identity-secrets",
        "create_identity_secret",
        "Admins: a new secret the channel's site signs visitor identities with (shown once; two live at most)",
        ADMIN,
        tag="identity",
        response=IdentitySecretCreated,
        status=201,
        description="The answer is the only time the secret is shown. A rotation: create the next secret, move the "
        "site to it, revoke the old one; both verify meanwhile. 400 (code 9105) when two are live already.",
    ),
    Endpoint(
        "GET",
        "/auth/channels/{channel_id}/identity-secrets",
        "list_identity_secrets",
        "Admins: the channel's live identity secrets (id, first characters, creation time; never the secret)",
        ADMIN,
        tag="identity",
        response=IdentitySecretList,
    ),
    Endpoint(
        "DELETE",
        "/auth/channels/{channel_id}/identity-secrets/{secret_id}",
        "revoke_identity_secret",
        "Admins: revoke an identity secret; identity tokens it signs are refused from now on (7101)",
        ADMIN,
        tag="identity",
        status=204,
        description="400 (code 9105) for a secret that is not a live one of this channel.",
    ),
    Endpoint("GET", "/auth/openapi.json", "openapi_json", "This document (JSON)", PUBLIC, tag="meta"),
    Endpoint(
        "GET",
        "/auth/openapi.yaml",
        "openapi_yaml",
        "This document (YAML)",
        PUBLIC,
        tag="meta",
        content_type="application/yaml",
    ),
]
