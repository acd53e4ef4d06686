"""The integrations admin API's OpenAPI document, generated from the endpoint table (parley.http_api).

``docs/integrations-openapi.yaml`` holds the same text (a test compares them); after changing the
API, regenerate it: ``python -m parley_integrations.openapi > docs/integrations-openapi.yaml``.
"""

from __future__ import annotations

import sys
from typing import Any

from parley.http_api import openapi_document, render_yaml
from parley_integrations.api import ENDPOINTS
from parley_integrations.settings import IntegrationsSettings

TITLE = "Parley integrations - external bots, webhooks and deliveries"
VERSION = "1"
PORT = IntegrationsSettings.model_fields["http_port"].default
DESCRIPTION = (
    "The registries of the outside parties Parley calls, and what was sent to them. An external bot "
    "(docs/bots.md) gets the events of the conversations it controls; a webhook subscription "
    "(docs/webhooks.md) gets the event types it chose, of its channels. Both are delivered by one "
    "machinery: a durable outbox, Standard Webhooks signatures, retries with backoff, dead letters "
    "listed and redelivered here.\n\n"
    f"Served by the integrations service on its HTTP port ({PORT}). The admin API (`/integrations/...`) "
    "is not routed by the ingress and needs an admin's access token as `Authorization: Bearer <token>`. "
    "The bot API (`/bot/v1/...`, routed by the ingress) needs the reply token of the conversation's newest "
    "webhook instead (`reply_token` in its body: bound to that bot and conversation, expiring) and an "
    "`Idempotency-Key` header."
)


def openapi_document_of_integrations() -> dict[str, Any]:
    document = openapi_document(ENDPOINTS, TITLE, VERSION, DESCRIPTION)
    servers = [{"url": f"http://127.0.0.1:{PORT}"}]
    return {"openapi": document["openapi"], "info": document["info"], "servers": servers, **document}


def openapi_yaml() -> str:
    return render_yaml(openapi_document_of_integrations())


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
