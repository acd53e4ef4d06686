"""Wiring of the integrations service: the registries of external bots and webhook subscriptions
(admin API), the outbox every ``OutboundEvent`` is written to before it is acknowledged, and the
sender that delivers it, signed and retried, to each endpoint it is for (docs/webhooks.md)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import get_args

from parley.bus import topology
from parley.contracts.base import Envelope
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import OutboundEvent, SubscribableEventType
from parley.http_api import HttpApi
from parley.logs import get_logger
from parley.outbound_urls import EndpointRule
from parley.revocations import RevocationList
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_integrations import metrics
from parley_integrations.api import ENDPOINTS, IntegrationsApi
from parley_integrations.bindings import MessagesBinding
from parley_integrations.bot_api import BotApi
from parley_integrations.outbox import EndpointKind, Outbox
from parley_integrations.registry import BOTS, WEBHOOKS, Registry, bot_changed, serving_bot, subscribed_webhooks
from parley_integrations.reply_tokens import BotOrUserVerifier, ReplyTokens
from parley_integrations.sender import Sender
from parley_integrations.settings import IntegrationsSettings

SUBSCRIBABLE = frozenset(get_args(SubscribableEventType))
# Delivered deliveries older than the retention are deleted this often: a scan of the whole
# history, so not on every backlog refresh (the retention is counted in days).
FORGET_EVERY_SECONDS = 3600.0
# How often each replica checks that the events queue takes the chat messages stream exactly
# while a webhook wants it (bindings.py); every registry change does so at once anyway.
RECONCILE_EVERY_SECONDS = 60.0
log = get_logger("parley.integrations")


def build_service(settings: IntegrationsSettings) -> Service:
    service = Service("integrations", settings, uses_redis=True, uses_mongo=True)
    assert service.redis is not None
    rule = EndpointRule.of(settings.integrations_allowed_hosts, settings.integrations_allow_insecure_urls)
    overlap = timedelta(seconds=settings.integrations_secret_overlap_seconds)
    bots = Registry(
        service.db,
        BOTS,
        id_prefix="bot_",
        url_field="webhook_url",
        unknown=ErrorCode.UNKNOWN_BOT,
        rule=rule,
        secret_overlap=overlap,
        redis_client=service.redis,
        key_prefix=settings.redis_key_prefix,
    )
    webhooks = Registry(
        service.db,
        WEBHOOKS,
        id_prefix="wh_",
        url_field="url",
        unknown=ErrorCode.UNKNOWN_WEBHOOK,
        rule=rule,
        secret_overlap=overlap,
        redis_client=service.redis,
        key_prefix=settings.redis_key_prefix,
    )
    outbox = Outbox(service.db)
    reply_tokens = ReplyTokens(
        settings.integrations_reply_token_key.get_secret_value(), settings.integrations_reply_token_seconds
    )
    sender = Sender(outbox, {"bot": bots, "webhook": webhooks}, rule, settings, reply_tokens, service.bus)
    users = JwksVerifier(settings.auth_jwks_url, RevocationList(service.redis, settings.redis_key_prefix))
    binding = MessagesBinding(service.bus, webhooks, service.redis, settings.redis_key_prefix)
    api = IntegrationsApi(bots, webhooks, binding, outbox, sender, service.bus)
    bot_api = BotApi(bots, service.bus)
    service.http.add_routes(HttpApi(ENDPOINTS, BotOrUserVerifier(reply_tokens, users), api, bot_api).routes())
    service.on_stop(users.close)

    @service.on_startup
    async def start() -> None:
        await outbox.create_indexes()
        missing = await outbox.rebuild_work()
        if missing:
            log.warning("integrations.work_list_rebuilt", entries=missing)
        # Every bot again, so a conversation side that missed a change converges.
        for document in await bots.all():
            await service.bus.publish_event(bot_changed(document))

    async def on_outbound(event: OutboundEvent, _envelope: Envelope) -> None:
        endpoints: list[tuple[EndpointKind, str]] = []
        if event.event_type in SUBSCRIBABLE:
            endpoints += [
                ("webhook", found) for found in await subscribed_webhooks(webhooks, event.event_type, event.channel_id)
            ]
        if event.bot_id is not None and await serving_bot(bots, event.bot_id) is not None:
            endpoints.append(("bot", event.bot_id))
        metrics.EVENTS.labels("yes" if endpoints else "no").inc()
        # Written before the handler returns, so before the ack: a crash here redelivers the
        # event, and its deliveries' ids make the second insert a no-op.
        if await outbox.add(event, endpoints):
            sender.wake()

    # Every event published with the bare key; the chat messages stream only while a webhook
    # wants it (bindings.py binds it to the same queue and handler).
    service.bus.on_event(OutboundEvent, on_outbound, only=topology.UNQUALIFIED)

    @service.background
    async def send() -> None:
        await sender.run(service.stopping)

    @service.background
    async def keep_binding_in_line() -> None:
        """At start (the queue exists once consuming began) and every minute: a registry write
        whose binding step failed (the API answered 503) is brought into line here."""
        while True:
            try:
                await binding.reconcile()
            except ParleyError as error:
                log.warning("integrations.binding_not_reconciled", error=error.message)
            await asyncio.sleep(RECONCILE_EVERY_SECONDS)

    @service.background
    async def watch_backlog() -> None:
        forgotten_at = -FORGET_EVERY_SECONDS
        while True:
            now = datetime.now(UTC)
            count, age = await outbox.backlog(now)
            metrics.BACKLOG.set(count)
            metrics.BACKLOG_AGE.set(age)
            metrics.DEAD_WAITING.set(await outbox.count_dead())
            if time.monotonic() - forgotten_at >= FORGET_EVERY_SECONDS:
                forgotten_at = time.monotonic()
                await outbox.forget_delivered(now - timedelta(days=settings.integrations_delivered_retention_days))
            await asyncio.sleep(settings.integrations_backlog_refresh_seconds)

    return service
