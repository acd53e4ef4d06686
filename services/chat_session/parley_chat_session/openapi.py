"""chat_session's OpenAPI document, generated from the endpoint table and the models.

``docs/chat-session-openapi.yaml`` holds the same text (a test compares them); after changing
the API, regenerate it: ``python -m parley_chat_session.openapi > docs/chat-session-openapi.yaml``.
"""

from __future__ import annotations

import sys

from parley_chat_session.api_spec import openapi_document, render_yaml
from parley_chat_session.http_endpoints import ENDPOINTS

TITLE = "Parley chat_session API"
VERSION = "1.0.0"


def openapi_yaml() -> str:
    """The document as served at ``/openapi.yaml``."""
    return render_yaml(openapi_document(ENDPOINTS, TITLE, VERSION))


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
