"""The auth HTTP API's endpoint table (parley.http_api): what each endpoint takes and answers, and
who may call it. :class:`parley_auth.api.AuthApi` serves it; docs/auth-openapi.yaml is generated
from it (:mod:`parley_auth.openapi`)."""

from __future__ import annotations

from parley.http_api import PUBLIC, Endpoint, roles
from parley_auth.privacy_schemas import PersonExport, PersonLookup, PrivacyRequestView
from parley_auth.schemas import (
    CreateStaffRequest,
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
        description="401 (code 7001) for a wrong username or password. Wrong passwords never lock the account: "
        "too many attempts for one account from one client address, or from one address, are refused with 429 "
        "for a while, other addresses are not held.",
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
        "/privacy/erase",
        "request_erase",
        "Admins: erase a visitor's data across every service (GDPR art. 17); tracked as a request",
        ADMIN,
        tag="privacy",
        body=PersonLookup,
        response=PrivacyRequestView,
        status=202,
        description="Name the visitor by exactly one of user_id, external_id (with channel_id when several channels "
        "know it) or email. Answers at once with the request (status pending): each service erases its part and "
        "GET /privacy/requests/{request_id} follows it to done (or failed, with each part's last error). Asking "
        "again while one is pending answers that one. Their messages become tombstones (kind erased), their "
        "sessions are revoked (live connections closed) and the account can never log in again. 400 (9105) for "
        "an unknown, ambiguous or staff account.",
    ),
    Endpoint(
        "GET",
        "/privacy/requests/{request_id}",
        "privacy_request",
        "Admins: an erase request's progress, part by part",
        ADMIN,
        tag="privacy",
        response=PrivacyRequestView,
        description="400 (9105) for an unknown request id.",
    ),
    Endpoint(
        "GET",
        "/privacy/export",
        "export_person",
        "Admins: every item the fleet holds of a visitor, as one JSON document (GDPR art. 15 and 20)",
        ADMIN,
        tag="privacy",
        query=PersonLookup,
        response=PersonExport,
        extra_statuses=(503,),
        description="The visitor is named as for an erase (query parameters). Answered in the call: every service "
        "is asked for its part; 503 (9503) when one does not answer in time. The export is audit-logged (counts).",
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
