"""The admin HTTP API: external bots, webhook subscriptions and their deliveries, served through
parley.http_api from :data:`ENDPOINTS`; docs/integrations-openapi.yaml is generated from the same
table (:mod:`parley_integrations.openapi`). Every endpoint needs an admin's token: a bot or a
webhook sees every conversation of its channels, which no operator may grant."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.bus import Bus
from parley.contracts.base import Model
from parley.http_api import Call, Endpoint, roles
from parley_integrations import outbox as deliveries
from parley_integrations.bindings import MessagesBinding
from parley_integrations.bot_api import BOT_ENDPOINTS
from parley_integrations.outbox import DeliveryState, DeliveryView, Outbox
from parley_integrations.registry import (
    BotCreated,
    BotPatch,
    BotSpec,
    BotView,
    Registry,
    SecretAnswer,
    WebhookCreated,
    WebhookPatch,
    WebhookSpec,
    WebhookView,
    bot_changed,
    bot_view,
    webhook_view,
)
from parley_integrations.sender import Sender

ADMIN = roles("admin")
MAX_LISTED = 500


class BotList(Model):
    bots: list[BotView]


class WebhookList(Model):
    webhooks: list[WebhookView]


class DeliveryQuery(Model):
    state: DeliveryState | None = Field(None, description="Only deliveries in this state.")
    endpoint_id: str | None = Field(
        None, max_length=200, pattern=r"^[A-Za-z0-9_]+$", description="Only deliveries to this bot or webhook."
    )
    limit: int = Field(100, ge=1, le=MAX_LISTED, description="Newest first, at most this many.")


class DeliveryList(Model):
    deliveries: list[DeliveryView]


class BulkRedelivery(Model):
    endpoint_id: str | None = Field(
        None, max_length=200, pattern=r"^[A-Za-z0-9_]+$", description="Only this endpoint's dead letters; none: all."
    )


class Redelivered(Model):
    count: int = Field(description="Dead-lettered deliveries put back in the queue.")


URL_RULE = (
    "The URL must be https on a public host: no user name or password, no internal address (loopback, private, "
    "link-local, CGNAT, multicast...) in any spelling and no local name (`localhost`, `*.local`, `*.internal`, a "
    "name without a dot); anything else is refused with 400 (code 9301). The check runs again at every "
    "connection on the addresses the name resolves to; a delivery refused then is dead-lettered."
)
SIGNING_NOTE = (
    "The answer carries the signing secret (`whsec_...`) once; it is never shown again (rotate it to get a new "
    "one). Every request Parley sends is signed as Standard Webhooks says (docs/webhooks.md)."
)


ADMIN_ENDPOINTS = [
    Endpoint("GET", "/integrations/bots", "list_bots", "List the external bots", ADMIN, tag="bots", response=BotList),
    Endpoint(
        "POST",
        "/integrations/bots",
        "create_bot",
        "Register an external bot",
        ADMIN,
        tag="bots",
        body=BotSpec,
        response=BotCreated,
        status=201,
        description=f"{URL_RULE}\n\n{SIGNING_NOTE}\n\nThe bot joins conversations of its channels as `agent_<id>`.",
    ),
    Endpoint("GET", "/integrations/bots/{bot_id}", "get_bot", "Read a bot", ADMIN, tag="bots", response=BotView),
    Endpoint(
        "PATCH",
        "/integrations/bots/{bot_id}",
        "change_bot",
        "Change a bot (the fields given)",
        ADMIN,
        tag="bots",
        body=BotPatch,
        response=BotView,
        description=URL_RULE,
    ),
    Endpoint(
        "DELETE",
        "/integrations/bots/{bot_id}",
        "delete_bot",
        "Remove a bot (its channels no longer have it)",
        ADMIN,
        tag="bots",
        status=204,
    ),
    Endpoint(
        "POST",
        "/integrations/bots/{bot_id}/secret",
        "rotate_bot_secret",
        "Rotate a bot's signing secret",
        ADMIN,
        tag="bots",
        response=SecretAnswer,
        description="The previous secret keeps signing beside the new one for "
        "PARLEY_INTEGRATIONS_SECRET_OVERLAP_SECONDS (a day by default).",
    ),
    Endpoint(
        "GET",
        "/integrations/webhooks",
        "list_webhooks",
        "List the webhook subscriptions",
        ADMIN,
        tag="webhooks",
        response=WebhookList,
    ),
    Endpoint(
        "POST",
        "/integrations/webhooks",
        "create_webhook",
        "Subscribe a URL to event types",
        ADMIN,
        tag="webhooks",
        body=WebhookSpec,
        response=WebhookCreated,
        status=201,
        description=f"{URL_RULE}\n\n{SIGNING_NOTE}",
    ),
    Endpoint(
        "GET",
        "/integrations/webhooks/{webhook_id}",
        "get_webhook",
        "Read a subscription",
        ADMIN,
        tag="webhooks",
        response=WebhookView,
    ),
    Endpoint(
        "PATCH",
        "/integrations/webhooks/{webhook_id}",
        "change_webhook",
        "Change a subscription (the fields given)",
        ADMIN,
        tag="webhooks",
        body=WebhookPatch,
        response=WebhookView,
        description=URL_RULE,
    ),
    Endpoint(
        "DELETE",
        "/integrations/webhooks/{webhook_id}",
        "delete_webhook",
        "Remove a subscription",
        ADMIN,
        tag="webhooks",
        status=204,
    ),
    Endpoint(
        "POST",
        "/integrations/webhooks/{webhook_id}/secret",
        "rotate_webhook_secret",
        "Rotate a subscription's signing secret",
        ADMIN,
        tag="webhooks",
        response=SecretAnswer,
        description="The previous secret keeps signing beside the new one for "
        "PARLEY_INTEGRATIONS_SECRET_OVERLAP_SECONDS (a day by default).",
    ),
    Endpoint(
        "GET",
        "/integrations/deliveries",
        "list_deliveries",
        "List deliveries (state=dead: the dead letters), with their attempts and responses",
        ADMIN,
        tag="deliveries",
        query=DeliveryQuery,
        response=DeliveryList,
    ),
    Endpoint(
        "GET",
        "/integrations/deliveries/{delivery_id}",
        "get_delivery",
        "Read a delivery and its attempts",
        ADMIN,
        tag="deliveries",
        response=DeliveryView,
    ),
    Endpoint(
        "POST",
        "/integrations/deliveries/{delivery_id}/redeliver",
        "redeliver",
        "Send a dead-lettered (or delivered) delivery again, same id",
        ADMIN,
        tag="deliveries",
        response=DeliveryView,
        extra_statuses=(409,),
        description="Its attempts count from zero again. A delivery still being attempted is refused with 409 "
        "(code 9305).",
    ),
    Endpoint(
        "POST",
        "/integrations/deliveries/redeliver",
        "redeliver_dead",
        "Send every dead letter (of one endpoint) again",
        ADMIN,
        tag="deliveries",
        body=BulkRedelivery,
        response=Redelivered,
        description=f"At most {deliveries.MAX_BULK_REDELIVERY} at once; call again for the rest.",
    ),
]

ENDPOINTS = ADMIN_ENDPOINTS + BOT_ENDPOINTS


class IntegrationsApi:
    """Serves :data:`ENDPOINTS` (``HttpApi(ENDPOINTS, verifier, api).routes()``)."""

    def __init__(
        self, bots: Registry, webhooks: Registry, binding: MessagesBinding, outbox: Outbox, sender: Sender, bus: Bus
    ) -> None:
        self.bots = bots
        self.webhooks = webhooks
        self.binding = binding
        self.outbox = outbox
        self.sender = sender
        self.bus = bus

    async def _announce(self, document: dict[str, Any], *, removed: bool = False) -> None:
        await self.bus.publish_event(bot_changed(document, removed=removed))

    # ---- bots

    async def list_bots(self, _call: Call) -> BotList:
        return BotList(bots=[bot_view(document) for document in await self.bots.all()])

    async def create_bot(self, call: Call) -> BotCreated:
        document = await self.bots.create(call.body.model_dump())
        await self._announce(document)
        return BotCreated(secret=document["secret"], **bot_view(document).model_dump())

    async def get_bot(self, call: Call) -> BotView:
        return bot_view(await self.bots.get(call.param("bot_id")))

    async def change_bot(self, call: Call) -> BotView:
        document = await self.bots.change(call.param("bot_id"), call.body.model_dump())
        await self._announce(document)
        return bot_view(document)

    async def delete_bot(self, call: Call) -> None:
        await self._announce(await self.bots.delete(call.param("bot_id")), removed=True)

    async def rotate_bot_secret(self, call: Call) -> SecretAnswer:
        _document, secret = await self.bots.rotate_secret(call.param("bot_id"))
        return SecretAnswer(secret=secret)

    # ---- webhooks

    async def list_webhooks(self, _call: Call) -> WebhookList:
        return WebhookList(webhooks=[webhook_view(document) for document in await self.webhooks.all()])

    async def create_webhook(self, call: Call) -> WebhookCreated:
        async with self.binding.changing():
            document = await self.webhooks.create(call.body.model_dump())
        return WebhookCreated(secret=document["secret"], **webhook_view(document).model_dump())

    async def get_webhook(self, call: Call) -> WebhookView:
        return webhook_view(await self.webhooks.get(call.param("webhook_id")))

    async def change_webhook(self, call: Call) -> WebhookView:
        async with self.binding.changing():
            document = await self.webhooks.change(call.param("webhook_id"), call.body.model_dump())
        return webhook_view(document)

    async def delete_webhook(self, call: Call) -> None:
        async with self.binding.changing():
            await self.webhooks.delete(call.param("webhook_id"))

    async def rotate_webhook_secret(self, call: Call) -> SecretAnswer:
        _document, secret = await self.webhooks.rotate_secret(call.param("webhook_id"))
        return SecretAnswer(secret=secret)

    # ---- deliveries

    async def list_deliveries(self, call: Call) -> DeliveryList:
        query: DeliveryQuery = call.query
        documents = await self.outbox.listed(query.state, query.endpoint_id, query.limit)
        return DeliveryList(deliveries=[deliveries.view(document) for document in documents])

    async def get_delivery(self, call: Call) -> DeliveryView:
        return deliveries.view(await self.outbox.get(call.param("delivery_id")))

    async def redeliver(self, call: Call) -> DeliveryView:
        document = await self.outbox.redeliver(call.param("delivery_id"))
        self.sender.wake()
        return deliveries.view(document)

    async def redeliver_dead(self, call: Call) -> Redelivered:
        count = await self.outbox.redeliver_dead(call.body.endpoint_id)
        self.sender.wake()
        return Redelivered(count=count)
