"""chat_session's OpenAPI document, generated from the endpoint table (parley.http_api), with
chat_session's own wording of the refusals whose meaning is its own (its body limit; 422 is a
sensitive word here, not a script).

``docs/chat-session-openapi.yaml`` holds the same text (a test compares them); after changing
the API, regenerate it: ``python -m parley_chat_session.http.openapi > docs/chat-session-openapi.yaml``.
"""

from __future__ import annotations

import sys
from typing import Any

from parley.http import MAX_BODY_BYTES
from parley.http_api import ERROR_REF, openapi_document, render_yaml
from parley_chat_session.http.endpoints import ENDPOINTS

TITLE = "Parley chat_session API"
VERSION = "1.0.0"


def _refusal(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}


RESPONSES = {
    "413": _refusal(
        f"Body larger than {MAX_BODY_BYTES // 1024} KiB (9002); an upload larger than its channel accepts (9106)"
    ),
    "422": _refusal("A sensitive word (8001); an upload that is not what its bytes say, or infected (9108)"),
}


def openapi_yaml() -> str:
    """The document as served at ``/openapi.yaml``."""
    return render_yaml(openapi_document(ENDPOINTS, TITLE, VERSION, components={"responses": RESPONSES}))


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
