"""docs/webhooks.md and the REST half of docs/bots.md stay true (issue 20): every JSON example
validates against the model it names, the delivery example is exactly what the outbox sends for
the event it names, its signature is the example secret's, and every bot API request example is
a route of the table with a body its model accepts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parley.contracts.integrations import OutboundEvent
from parley_integrations import bot_api, outbox, registry, signing
from parley_integrations.api import ENDPOINTS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
WEBHOOKS = (ROOT / "docs" / "webhooks.md").read_text()
BOTS = (ROOT / "docs" / "bots.md").read_text()
MODELS = {
    "WebhookSpec": registry.WebhookSpec,
    "WebhookCreated": registry.WebhookCreated,
    "DeliveryView": outbox.DeliveryView,
}


def test_every_model_example_validates() -> None:
    examples = re.findall(r"<!-- model: (\w+) -->\n```json\n(.*?)```", WEBHOOKS, flags=re.DOTALL)
    assert {name for name, _ in examples} == set(MODELS)
    for name, text in examples:
        MODELS[name].model_validate(json.loads(text))


def test_the_delivery_example_is_what_the_outbox_sends_signed_with_the_example_secret() -> None:
    (event_text, body) = re.findall(r"<!-- payload of: (.*?) -->\n```json\n(.*?)\n```", WEBHOOKS, flags=re.DOTALL)[0]
    event = OutboundEvent.model_validate(json.loads(event_text))
    assert outbox.payload(event) == body.encode()
    secret = json.loads(re.findall(r"<!-- model: WebhookCreated -->\n```json\n(.*?)```", WEBHOOKS, flags=re.DOTALL)[0])
    headers = dict(re.findall(r"^(webhook-[a-z]+): (.+)$", WEBHOOKS, flags=re.MULTILINE))
    assert headers["webhook-id"] == outbox.delivery_id(event.event_id, "webhook", secret["id"])
    assert int(headers["webhook-timestamp"]) == int(event.occurred_at.timestamp())
    now = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC).timestamp()
    assert signing.verify(secret["secret"], headers, body.encode(), now)


def test_every_bot_api_request_example_is_a_route_with_a_body_its_model_takes() -> None:
    routes = {
        (endpoint.method, re.sub(r"{\w+}", "[^/]+", endpoint.path)): endpoint
        for endpoint in ENDPOINTS
        if endpoint.path.startswith("/bot/")
    }
    requests = re.findall(r"```http\n(POST /bot/\S+)\n(.*?)```", BOTS, flags=re.DOTALL)
    assert len(requests) >= 4
    for line, rest in requests:
        method, path = line.split(" ")
        matches = [e for (m, pattern), e in routes.items() if m == method and re.fullmatch(pattern, path)]
        assert len(matches) == 1, line
        assert "Idempotency-Key: " in rest, f"{line} without its key"
        body = rest.split("\n\n", 1)[1].strip() if "\n\n" in rest else ""
        if matches[0].body is None:
            assert not body, line
        else:
            matches[0].body.model_validate(json.loads(body))


def test_the_bot_api_table_lists_every_route() -> None:
    row = r"^\| `POST (?:/bot/v1/conversations/\{conversation_id\}|\.\.\.)(\S*)`"
    documented = set(re.findall(row, BOTS, re.MULTILINE))
    assert documented == {endpoint.path.removeprefix(bot_api.PREFIX) for endpoint in bot_api.BOT_ENDPOINTS}


def test_the_registration_example_is_a_bot_spec() -> None:
    text = re.findall(r"POST /integrations/bots\n.*?\n\n(\{.*?\})\n```", BOTS, flags=re.DOTALL)[0]
    registry.BotSpec.model_validate(json.loads(text))
