"""Wiring of the chat_session service."""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.commands import MessageAccepted, OpenSession, SendMessage, SessionOpened
from parley.contracts.events import ConversationCreated, MessageCreated
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_chat_session.assignment import OperatorPicker
from parley_chat_session.channels import ChannelApi, Channels
from parley_chat_session.conversations import Conversations
from parley_chat_session.settings import ChatSessionSettings


def build_service(settings: ChatSessionSettings) -> Service:
    service = Service("chat_session", settings, uses_redis=True, uses_mongo=True)
    assert service.redis is not None
    verifier = JwksVerifier(settings.auth_jwks_url)
    channels = Channels(service.db)
    conversations = Conversations(
        service.db,
        service.redis,
        channels,
        OperatorPicker(service.db, service.bus),
        key_prefix=settings.redis_key_prefix,
        temporary_ttl_seconds=settings.chat_temporary_session_ttl_seconds,
    )
    service.http.add_routes(ChannelApi(channels, verifier).routes())
    service.on_startup(conversations.create_indexes)
    service.on_stop(verifier.close)

    async def open_session(command: OpenSession, _envelope: Envelope) -> SessionOpened:
        return await conversations.open_session(command)

    async def send_message(command: SendMessage, envelope: Envelope) -> MessageAccepted:
        posted = await conversations.post(command)
        # Events go out after the write; on a retried send they go out again (at-least-once),
        # and the gateway drops a message.new whose seq a connection already has.
        if posted.created is not None:
            await service.bus.publish_event(
                ConversationCreated(
                    conversation_id=posted.created["_id"],
                    channel_id=posted.created["channel_id"],
                    member_ids=posted.member_ids,
                ),
                trace_id=envelope.trace_id,
            )
        await service.bus.publish_event(
            MessageCreated(message=posted.message, member_ids=posted.member_ids), trace_id=envelope.trace_id
        )
        return MessageAccepted(message=posted.message, duplicate=posted.duplicate)

    service.bus.on_command(OpenSession, open_session)
    service.bus.on_command(SendMessage, send_message)
    return service
