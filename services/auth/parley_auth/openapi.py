"""The OpenAPI 3.1 document of the auth HTTP API, generated from its endpoint table (parley.http_api).

Served at ``/auth/openapi.json`` and ``/auth/openapi.yaml``; ``docs/auth-openapi.yaml`` is the
YAML rendering (a test compares them); after changing the API, regenerate it:
``python -m parley_auth.openapi > docs/auth-openapi.yaml``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from parley.http_api import ERROR_REF, openapi_document, render_yaml
from parley_auth.endpoints import ENDPOINTS

TITLE = "Parley auth"
VERSION = "1.0.0"
DESCRIPTION = (
    "Accounts, sessions and tokens. Access tokens are ES256 JWTs verified against /auth/jwks.json; "
    'every error body is {"error": {"code", "message"}} with the codes of docs/protocol.md.'
)
# Auth's own refusals, said the way its callers meet them.
RESPONSES: dict[str, Any] = {
    "401": {
        "description": "Missing (9004), invalid, expired or revoked token, or wrong credentials (7001)",
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "429": {
        "description": "Too many attempts for this account from this client address, or from this address (9003); the "
        "Retry-After header says how many seconds to wait. Other addresses are not held: wrong passwords never lock "
        "the account.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "503": {
        "description": "A store this needs does not answer (9503); retry.",
        "content": {"application/json": {"schema": ERROR_REF}},
    },
}

OPENAPI = openapi_document(ENDPOINTS, TITLE, VERSION, DESCRIPTION, components={"responses": RESPONSES})
OPENAPI_JSON = json.dumps(OPENAPI, indent=2)
OPENAPI_YAML = render_yaml(OPENAPI)


def openapi_yaml() -> str:
    return OPENAPI_YAML


if __name__ == "__main__":
    sys.stdout.write(OPENAPI_YAML)
