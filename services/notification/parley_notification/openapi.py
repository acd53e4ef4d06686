"""The web push API's OpenAPI document, generated from the endpoint table (parley.http_api), with
what a reader needs beyond the endpoints: the payload a push carries (``PushNotice``, which no
endpoint answers: the service worker receives it) and how pushes are sent.

``docs/notification-openapi.yaml`` holds the same text (a test compares them); after changing the
API, regenerate it: ``python -m parley_notification.openapi > docs/notification-openapi.yaml``.
"""

from __future__ import annotations

import sys
from typing import Any

from parley.http_api import ERROR_REF, openapi_document, render_yaml
from parley_notification.push_api import ENDPOINTS, paragraphs
from parley_notification.push_payload import MAX_PAYLOAD_BYTES, PushNotice
from parley_notification.settings import NotificationSettings

TITLE = "Parley notification - web push API"
VERSION = "1"
PORT = NotificationSettings.model_fields["http_port"].default
DESCRIPTION = paragraphs(f"""Browsers (the widget, the operator console) register their web push subscription here, so
that a member with no live connection gets a push (RFC 8030, VAPID RFC 8292, payload
encrypted per RFC 8291) when a message arrives in one of their conversations.

Pushes are an escalation, not a flood: a member with a live WebSocket gets the message
there and no push; unread messages of one conversation merge into one push with a count;
a push that is out of date when it is due (read on another device, or older than
PARLEY_NOTIFICATION_PUSH_TTL_SECONDS) is not sent. The decrypted payload the service worker
receives is `PushNotice` (in the schemas), at most {MAX_PAYLOAD_BYTES} bytes (its `body` is cut to fit one push
record); `tag` lets the worker replace the previous notice of the same conversation.

Served by the notification service on its HTTP port ({PORT}). Every call but the public key
needs the user's access token (from auth's login) as `Authorization: Bearer <token>`;
a subscription always belongs to the token's user.
""")
UNAVAILABLE = {
    "description": "Unavailable (9503): web push is not configured on this server (no VAPID key), "
    "or a store does not answer",
    "content": {"application/json": {"schema": ERROR_REF}},
}


def openapi_document_of_pushes() -> dict[str, Any]:
    components = {
        "schemas": {"PushNotice": PushNotice.model_json_schema(mode="serialization")},
        "responses": {"503": UNAVAILABLE},
    }
    document = openapi_document(ENDPOINTS, TITLE, VERSION, DESCRIPTION, components=components)
    # Where a developer's notification listens (the document's "try it" address).
    servers = [{"url": f"http://127.0.0.1:{PORT}"}]
    return {"openapi": document["openapi"], "info": document["info"], "servers": servers, **document}


def openapi_yaml() -> str:
    return render_yaml(openapi_document_of_pushes())


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
