"""The OpenAPI 3.1 document of the auth HTTP API, built from the models the handlers use.

Served at ``/auth/openapi.json`` and ``/auth/openapi.yaml``; ``docs/auth-openapi.yaml`` is the
YAML rendering (``python -m parley_auth.openapi > docs/auth-openapi.yaml``), and the tests check
that it is current and that its paths are exactly the routes of the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from parley.contracts.base import Model
from parley_auth.schemas import (
    CreateStaffRequest,
    ErrorBody,
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

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "Invalid body (code 9105, the message names the field).",
    401: "No, bad, expired or revoked token or credentials (code 7001 or 9004).",
    403: "The caller's role may not do this (code 9101).",
    429: "Too many attempts for this account from this client address, or from this address (code 9003); the "
    "Retry-After header says how many seconds to wait. Other addresses are not held: wrong passwords never lock "
    "the account.",
    503: "A store this needs does not answer (code 9503); retry.",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    ok: tuple[int, type[BaseModel] | None, str]
    body: type[BaseModel] | None = None
    bearer: bool = False
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default=("auth",))


OPERATIONS = (
    Operation(
        "post",
        "/auth/login",
        "Log in: a visitor by device id, staff by username and password; opens a session",
        (200, LoginResponse, "The session and its first tokens"),
        LoginRequest,
        errors=(400, 401, 429, 503),
    ),
    Operation(
        "post",
        "/auth/refresh",
        "Trade a refresh token (usable once) for new tokens; a reused one revokes the session",
        (200, LoginResponse, "The next tokens of the same session"),
        RefreshRequest,
        errors=(400, 401),
    ),
    Operation(
        "post",
        "/auth/logout",
        "End the session of the bearer token, or of the refresh token in the body; its live connections are closed",
        (204, None, "Logged out (also when it already was)"),
        LogoutRequest,
        errors=(400, 401),
    ),
    Operation("get", "/auth/me", "The caller's profile", (200, Profile, "The profile"), bearer=True, errors=(401,)),
    Operation(
        "patch",
        "/auth/me",
        "Set the caller's display name and/or email (a visitor introducing themselves)",
        (200, Profile, "The profile as stored"),
        ProfileUpdate,
        bearer=True,
        errors=(400, 401),
    ),
    Operation("get", "/auth/jwks.json", "The public keys that verify access tokens (by kid)", (200, Jwks, "JWKS")),
    Operation(
        "post",
        "/auth/keys/rotate",
        "Admins: add a signing key; older ones stay published until their tokens expire",
        (201, KeyRotated, "The new key"),
        bearer=True,
        errors=(401, 403),
    ),
    Operation(
        "post",
        "/auth/users",
        "Admins: create an operator or admin account",
        (201, StaffCreated, "The account"),
        CreateStaffRequest,
        bearer=True,
        errors=(400, 401, 403),
    ),
    Operation("get", "/auth/openapi.json", "This document (JSON)", (200, None, "OpenAPI 3.1"), tags=("meta",)),
    Operation("get", "/auth/openapi.yaml", "This document (YAML)", (200, None, "OpenAPI 3.1"), tags=("meta",)),
    Operation("get", "/healthz", "Alive", (200, None, "The process answers"), tags=("meta",)),
    Operation("get", "/readyz", "Ready: its stores answer", (200, None, "Ready; 503 when not"), tags=("meta",)),
    Operation("get", "/metrics", "Prometheus metrics", (200, None, "Exposition text"), tags=("meta",)),
)


def _schemas() -> dict[str, Any]:
    models: list[type[Model]] = [ErrorBody]
    for operation in OPERATIONS:
        models += [m for m in (operation.body, operation.ok[1]) if m is not None and m not in models]  # type: ignore[misc]
    _, top = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    return top["$defs"]


def _operation(operation: Operation) -> dict[str, Any]:
    status, model, description = operation.ok
    ok: dict[str, Any] = {"description": description}
    if model is not None:
        ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}
    responses = {str(status): ok}
    for code in operation.errors:
        error = {"description": ERRORS[code], "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}
        if code == 429:
            error["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
        responses[str(code)] = error
    spec: dict[str, Any] = {"summary": operation.summary, "tags": list(operation.tags), "responses": responses}
    if operation.body is not None:
        schema = {"$ref": REF.format(model=operation.body.__name__)}
        spec["requestBody"] = {"required": operation.body is not LogoutRequest, "content": {"application/json": {"schema": schema}}}
    if operation.bearer:
        spec["security"] = [{"bearer": []}]
    return spec


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parley auth",
            "version": "1.0.0",
            "description": "Accounts, sessions and tokens. Access tokens are ES256 JWTs verified against /auth/jwks.json; "
            "every error body is {\"error\": {\"code\", \"message\"}} with the codes of docs/protocol.md.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


OPENAPI = document()
OPENAPI_JSON = json.dumps(OPENAPI, indent=2)
OPENAPI_YAML = yaml.safe_dump(OPENAPI, sort_keys=False, width=120, allow_unicode=True)


if __name__ == "__main__":
    import sys

    sys.stdout.write(OPENAPI_YAML)
