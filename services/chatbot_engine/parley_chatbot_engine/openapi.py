"""The admin API's OpenAPI document, generated from the endpoint table (parley.http_api).

``docs/chatbot-openapi.yaml`` holds the same text (a test compares them); after changing the
API, regenerate it: ``python -m parley_chatbot_engine.openapi > docs/chatbot-openapi.yaml``.
The service serves it at ``/chatbot/openapi.yaml``.
"""

from __future__ import annotations

import sys

from parley.http_api import openapi_document, render_yaml
from parley_chatbot_engine.api import ENDPOINTS

TITLE = "Parley chatbot_engine admin API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Chatbot scripts (JSON or YAML), their validation, the FAQ entries of each channel, and a "
    "conversation's bot state. Every call needs a bearer token from auth (admin, or an operator of "
    "the conversation's channel for a conversation's bot state)."
)
# A refused script is answered with every problem found, beside the usual error.
INVALID_SCRIPT = {
    "description": "The script is invalid (code 9105): `problems` lists every problem found",
    "content": {
        "application/json": {
            "schema": {"allOf": [{"$ref": "#/components/schemas/Validation"}, {"$ref": "#/components/schemas/Error"}]}
        }
    },
}


def openapi_yaml() -> str:
    document = openapi_document(
        ENDPOINTS, TITLE, VERSION, DESCRIPTION, components={"responses": {"422": INVALID_SCRIPT}}
    )
    return render_yaml(document)


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
