"""Wiring of the notification service: other services' ``client.frame`` events and presence
changes to the users' delivery channels, and web push for the members no live connection
reaches. Conversation frames (messages, updates, seen, typing) go from chat_session straight to
the members' delivery channels (docs/delivery.md); notification keeps only the memberships
(for presence partners) and the unread counts of web push from those events."""

from __future__ import annotations

import asyncio

from parley.contracts.base import Envelope
from parley.contracts.events import (
    ClientFrameEvent,
    ConversationChanged,
    ConversationClosed,
    ConversationCreated,
    MemberSeenEvent,
    MessageCreated,
    PresenceChanged,
)
from parley.deliveries import DeliveryPublisher
from parley.http_api import HttpApi
from parley.outbound_urls import EndpointRule
from parley.revocations import RevocationList
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_notification import event_frames
from parley_notification.escalation import Escalation
from parley_notification.fanout import Fanout
from parley_notification.memberships import Memberships
from parley_notification.pending_pushes import PendingPushes
from parley_notification.privacy import register_privacy, sweep_subscriptions
from parley_notification.push_api import ENDPOINTS, PushApi
from parley_notification.push_queue import PushQueue
from parley_notification.push_sender import PushSender
from parley_notification.settings import NotificationSettings
from parley_notification.subscriptions import Subscriptions
from parley_notification.vapid import load_vapid_key, public_key_b64


def build_service(settings: NotificationSettings) -> Service:
    service = Service("notification", settings, uses_redis=True, uses_mongo=True)
    assert service.redis is not None
    fanout = Fanout(service.bus, DeliveryPublisher(service.redis, settings.redis_key_prefix))
    memberships = Memberships(service.redis, settings.redis_key_prefix)
    endpoint_rule = EndpointRule.of(
        settings.notification_push_allowed_hosts, settings.notification_push_allow_insecure_endpoints
    )
    subscriptions = Subscriptions(service.db, endpoint_rule)
    verifier = JwksVerifier(settings.auth_jwks_url, RevocationList(service.redis, settings.redis_key_prefix))
    escalation = _web_push(service, settings, subscriptions, fanout) if settings.push_enabled else None
    public_key = public_key_b64(escalation.sender.vapid) if escalation else None
    service.http.add_routes(HttpApi(ENDPOINTS, verifier, PushApi(subscriptions, public_key)).routes())
    service.on_startup(subscriptions.create_indexes)
    service.on_stop(verifier.close)
    if escalation is not None:
        _push_handlers(service, escalation)
    _conversation_handlers(service, memberships)
    register_privacy(service.bus, service.db)

    @service.background
    async def retention() -> None:
        while True:
            await sweep_subscriptions(service.db, settings.notification_subscription_retention_days)
            await asyncio.sleep(settings.notification_retention_sweep_seconds)

    async def on_client_frame(event: ClientFrameEvent, _envelope: Envelope) -> None:
        await fanout.send(event.user_ids, event.frame)

    async def on_presence_changed(event: PresenceChanged, _envelope: Envelope) -> None:
        # The user's own connections too: an operator's other consoles follow their toggle.
        partners = await memberships.partners(event.user_id)
        await fanout.send([event.user_id, *partners], event_frames.presence(event))

    service.bus.on_event(ClientFrameEvent, on_client_frame)
    service.bus.on_event(PresenceChanged, on_presence_changed)
    return service


def _web_push(
    service: Service, settings: NotificationSettings, subscriptions: Subscriptions, fanout: Fanout
) -> Escalation:
    assert service.redis is not None
    sender = PushSender(
        load_vapid_key(settings.notification_vapid_private_key.get_secret_value()),
        settings.notification_vapid_subject,
        subscriptions,
        ttl_seconds=settings.notification_push_ttl_seconds,
        max_attempts=settings.notification_push_max_attempts,
        timeout=settings.notification_push_timeout_seconds,
    )
    escalation = Escalation(
        PendingPushes(
            service.redis,
            settings.redis_key_prefix,
            merge_seconds=settings.notification_push_merge_seconds,
            ttl_seconds=settings.notification_push_ttl_seconds,
        ),
        subscriptions,
        sender,
        PushQueue(service.redis, settings.redis_key_prefix, settings.notification_push_queue_rate),
        fanout,
        max_direct=settings.notification_max_direct_push,
        ttl_seconds=settings.notification_push_ttl_seconds,
    )

    @service.background
    async def dispatch_due_pushes() -> None:
        await escalation.run_due(service.stopping)

    @service.background
    async def drain_push_queue() -> None:
        await escalation.run_queue(service.stopping)

    @service.on_stop
    async def finish_pushes() -> None:
        await sender.close(timeout=settings.shutdown_timeout_seconds / 3)

    return escalation


def _push_handlers(service: Service, escalation: Escalation) -> None:
    """Unread counts for web push: a message for members no gateway held, cleared when read."""

    async def on_message_created(event: MessageCreated, _envelope: Envelope) -> None:
        await escalation.message_created(event, set(event.live_member_ids or ()))

    async def on_member_seen(event: MemberSeenEvent, _envelope: Envelope) -> None:
        await escalation.member_seen(event)

    service.bus.on_event(MessageCreated, on_message_created)
    service.bus.on_event(MemberSeenEvent, on_member_seen)


def _conversation_handlers(service: Service, memberships: Memberships) -> None:
    async def on_created(event: ConversationCreated, _envelope: Envelope) -> None:
        await memberships.conversation(event.conversation_id, "open", event.member_ids)

    async def on_updated(event: ConversationChanged, _envelope: Envelope) -> None:
        await memberships.conversation(event.conversation_id, event.status, event.member_ids)

    async def on_closed(event: ConversationClosed, _envelope: Envelope) -> None:
        await memberships.conversation(event.conversation_id, "closed", event.member_ids)

    service.bus.on_event(ConversationCreated, on_created)
    service.bus.on_event(ConversationChanged, on_updated)
    service.bus.on_event(ConversationClosed, on_closed)
