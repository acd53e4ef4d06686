"""The gateway's OpenAPI document, generated from its endpoint table.

``docs/gateway-openapi.yaml`` holds the same text (a test compares them); after changing the
API, regenerate it: ``python -m parley_gateway.openapi > docs/gateway-openapi.yaml``. The
WebSocket protocol is docs/protocol.md.
"""

from __future__ import annotations

import sys

from parley.http_api import openapi_document, render_yaml
from parley_gateway.http_endpoints import ENDPOINTS

TITLE = "Parley gateway HTTP API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The client protocol's WebSocket (what is spoken on it: docs/protocol.md), the widget's and the console's "
    "files, and maintenance mode for every gateway node."
)


def openapi_yaml() -> str:
    return render_yaml(openapi_document(ENDPOINTS, TITLE, VERSION, DESCRIPTION))


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
