"""Wiring of the chat_session service: bus handlers, background tasks and the HTTP API."""

from __future__ import annotations

import asyncio
import secrets

from parley.contracts.agents import (
    AgentAppendDraft,
    AgentFinishDraft,
    AgentHandoff,
    AgentOpenDraft,
    AgentPosted,
    AgentPostMessage,
    AgentProgramAction,
    AgentTakeBack,
    AgentTyping,
    BotFailed,
    ControlState,
    DraftState,
)
from parley.contracts.base import Envelope
from parley.contracts.bot import ContactCollected
from parley.contracts.commands import (
    AttachLocation,
    Caller,
    CloseConversation,
    MarkSeen,
    MessageAccepted,
    OpenSession,
    OperatorRequestResult,
    RateConversation,
    RequestOperator,
    SendMessage,
    SessionOpened,
    SetTyping,
    SubmitProgramResult,
)
from parley.contracts.errors import ParleyError
from parley.contracts.events import (
    ConversationClosed,
    OfflineRequestCreated,
    PresenceChanged,
    StaffRestored,
    StaffWithdrawn,
)
from parley.contracts.integrations import BotChanged
from parley.http_api import HttpApi
from parley.logs import get_logger
from parley.runtime import Service
from parley_chat_session.access import HttpChecks
from parley_chat_session.components import Components, build_components
from parley_chat_session.conversations import pending_closes
from parley_chat_session.conversations.conversation_access import register_conversation_access
from parley_chat_session.conversations.history import register_history
from parley_chat_session.conversations.newest_seqs import register_newest_seqs
from parley_chat_session.files.api import FilesApi
from parley_chat_session.files.signing import LinkSigner
from parley_chat_session.http.channel_api import ChannelApi
from parley_chat_session.http.conversation_api import ConversationApi
from parley_chat_session.http.endpoints import ENDPOINTS
from parley_chat_session.http.queue_api import QueueApi
from parley_chat_session.privacy import register_privacy
from parley_chat_session.routing.operator_removal import OperatorRemoval
from parley_chat_session.routing.staff_withdrawal import StaffWithdrawal
from parley_chat_session.settings import ChatSessionSettings

log = get_logger("parley.chat_session")


def build_service(settings: ChatSessionSettings) -> Service:
    service = Service("chat_session", settings, uses_redis=True, uses_mongo=True)
    parts = build_components(service, settings)
    removal = OperatorRemoval(parts.queue.routing, parts.queue)
    channel_api = ChannelApi(
        parts.channels,
        parts.canned,
        parts.profiles,
        parts.picker,
        parts.availability,
        removal,
        parts.satisfaction,
        parts.offline_requests,
        parts.announcer,
    )
    queue_api = QueueApi(parts.queue, parts.store, parts.channels)
    checks = HttpChecks(parts.store, parts.channels, parts.sessions)
    files_api = _files_api(settings, parts)
    conversation_api = ConversationApi(
        parts.transcripts, parts.members, parts.sessions, parts.channels, service.bus, files_api.link_maker
    )
    api = HttpApi(ENDPOINTS, parts.verifier, channel_api, conversation_api, queue_api, checks, files_api)
    service.http.add_routes(api.routes())
    service.on_startup(parts.create_indexes)
    service.on_stop(parts.verifier.close)
    _register_commands(service, parts)
    register_history(service, parts.drafts)
    register_newest_seqs(service)
    register_conversation_access(service)
    register_privacy(service, parts.closing, parts.uploads)
    _register_events(service, parts)
    _register_agents(service, parts)
    service.on_stop(parts.deltas.stop)
    _register_staff_events(
        service, StaffWithdrawal(parts.withdrawn, parts.channels, removal, parts.queue, parts.profiles)
    )
    _register_background(service, settings, parts)
    return service


def _files_api(settings: ChatSessionSettings, parts: Components) -> FilesApi:
    # Without a configured key, one per process: links work on the replica that made them only.
    secret = settings.chat_files_url_secret.get_secret_value().encode() or secrets.token_bytes(32)
    return FilesApi(
        uploads=parts.uploads,
        receiver=parts.receiver,
        sessions=parts.sessions,
        store=parts.store,
        channels=parts.channels,
        signer=LinkSigner(secret),
        revocations=parts.revocations,
        verifier=parts.verifier,
        limits=parts.file_limits,
        link_ttl_seconds=settings.chat_files_link_ttl_seconds,
        download_base_url=settings.chat_files_download_base_url,
    )


def _register_commands(service: Service, parts: Components) -> None:
    async def open_session(command: OpenSession, _envelope: Envelope) -> SessionOpened:
        return await parts.sessions.open(command)

    async def send_message(command: SendMessage, envelope: Envelope) -> MessageAccepted:
        return await parts.posting.send(command, envelope.trace_id)

    async def mark_seen(command: MarkSeen, envelope: Envelope) -> None:
        await parts.members.mark_seen(command, envelope.trace_id)

    async def typing(command: SetTyping, envelope: Envelope) -> None:
        await parts.members.typing(command, envelope.trace_id)

    async def close(command: CloseConversation, envelope: Envelope) -> None:
        await parts.closing.close_by_member(command.caller, command.conversation_id, command.reason, envelope.trace_id)

    async def rate(command: RateConversation, _envelope: Envelope) -> None:
        await parts.closing.rate(command.caller, command.conversation_id, command.rating, command.comment)

    async def request_operator(command: RequestOperator, envelope: Envelope) -> OperatorRequestResult:
        return await parts.queue.request(command.conversation_id, envelope.trace_id)

    service.bus.on_command(OpenSession, open_session)
    service.bus.on_command(SendMessage, send_message)  # the chatbot's and older gateways' sends
    service.on_stream_command(SendMessage, send_message)  # the gateways' (parley.command_streams)
    service.bus.on_command(MarkSeen, mark_seen)
    service.bus.on_command(SetTyping, typing)
    service.bus.on_command(CloseConversation, close)
    service.bus.on_command(RateConversation, rate)
    service.bus.on_command(RequestOperator, request_operator)


def _register_events(service: Service, parts: Components) -> None:
    async def on_presence(event: PresenceChanged, envelope: Envelope) -> None:
        # An operator came online or toggled available: their channels' queues may move.
        if event.status == "online" and event.available is not False:
            await parts.queue.drain_for_operator(event.user_id, envelope.trace_id)

    async def on_closed(event: ConversationClosed, _envelope: Envelope) -> None:
        await parts.mailer.on_closed(event)

    async def on_contact(event: ContactCollected, _envelope: Envelope) -> None:
        # The chatbot's question_email step: the address the transcript will be sent to.
        if event.field == "email":
            visitor = Caller(user_id=event.visitor_id, role="visitor")
            await parts.sessions.set_visitor_email(visitor, event.conversation_id, event.value)

    service.bus.on_event(PresenceChanged, on_presence)
    service.bus.on_event(ConversationClosed, on_closed)

    async def on_offline_request(event: OfflineRequestCreated, _envelope: Envelope) -> None:
        await parts.offline_mailer.on_created(event)

    service.bus.on_event(OfflineRequestCreated, on_offline_request)
    service.bus.on_event(ContactCollected, on_contact)


def _register_agents(service: Service, parts: Components) -> None:
    """The agents commands an external bot's API calls become (docs/bots.md), what the visitor's
    client sends for the bot, and what the integrations service reports."""
    agents, control, inputs = parts.agents, parts.agent_control, parts.visitor_inputs

    async def post(command: AgentPostMessage, envelope: Envelope) -> AgentPosted:
        return await agents.post(command, envelope.trace_id)

    async def program_action(command: AgentProgramAction, envelope: Envelope) -> AgentPosted:
        return await agents.program_action(command, envelope.trace_id)

    async def open_draft(command: AgentOpenDraft, _envelope: Envelope) -> DraftState:
        return await agents.open_draft(command)

    async def append(command: AgentAppendDraft, _envelope: Envelope) -> DraftState:
        return await agents.append(command)

    async def finish(command: AgentFinishDraft, envelope: Envelope) -> AgentPosted:
        return await agents.finish(command, envelope.trace_id)

    async def typing(command: AgentTyping, _envelope: Envelope) -> None:
        await agents.typing(command)

    async def handoff(command: AgentHandoff, envelope: Envelope) -> ControlState:
        return await control.handoff(command, envelope.trace_id)

    async def take_back(command: AgentTakeBack, envelope: Envelope) -> ControlState:
        return await control.take_back(command, envelope.trace_id)

    async def program_result(command: SubmitProgramResult, envelope: Envelope) -> None:
        await inputs.program_result(command, envelope.trace_id)

    async def location(command: AttachLocation, envelope: Envelope) -> None:
        await inputs.location(command, envelope.trace_id)

    async def on_bot_changed(event: BotChanged, _envelope: Envelope) -> None:
        await parts.agent_registry.apply(event)

    async def on_bot_failed(event: BotFailed, envelope: Envelope) -> None:
        await control.bot_failed(event, envelope.trace_id)

    service.bus.on_command(AgentPostMessage, post)
    service.bus.on_command(AgentProgramAction, program_action)
    service.bus.on_command(AgentOpenDraft, open_draft)
    service.bus.on_command(AgentAppendDraft, append)
    service.bus.on_command(AgentFinishDraft, finish)
    service.bus.on_command(AgentTyping, typing)
    service.bus.on_command(AgentHandoff, handoff)
    service.bus.on_command(AgentTakeBack, take_back)
    service.bus.on_command(SubmitProgramResult, program_result)
    service.bus.on_command(AttachLocation, location)
    service.bus.on_event(BotChanged, on_bot_changed)
    service.bus.on_event(BotFailed, on_bot_failed)


def _register_staff_events(service: Service, withdrawal: StaffWithdrawal) -> None:
    async def on_withdrawn(event: StaffWithdrawn, envelope: Envelope) -> None:
        await withdrawal.withdrawn(event, envelope.trace_id)

    async def on_restored(event: StaffRestored, envelope: Envelope) -> None:
        await withdrawal.restored(event, envelope.trace_id)

    service.bus.on_event(StaffWithdrawn, on_withdrawn)
    service.bus.on_event(StaffRestored, on_restored)


def _register_background(service: Service, settings: ChatSessionSettings, parts: Components) -> None:
    @service.background
    async def sweep_queues() -> None:
        while True:
            await asyncio.sleep(settings.chat_queue_sweep_seconds)
            await parts.queue.sweep()

    @service.background
    async def staffing_gauges() -> None:
        while True:
            await parts.staffing.refresh()
            await asyncio.sleep(settings.chat_staffing_refresh_seconds)

    @service.background
    async def retention() -> None:
        while True:
            try:
                await parts.retention.sweep()
            except ParleyError as error:  # the bus is away: the next pass goes on from the checkpoint
                log.warning("chat_session.retention_interrupted", error=error.message)
            await asyncio.sleep(settings.chat_retention_sweep_seconds)

    @service.background
    async def unsent_files() -> None:
        while True:
            await asyncio.sleep(settings.chat_files_sweep_seconds)
            await parts.uploads.sweep_unsent(settings.chat_files_unsent_ttl_seconds)
            await parts.receiver.rescan_pending()

    @service.background
    async def finish_pending_closes() -> None:
        while True:
            await asyncio.sleep(pending_closes.SWEEP_EVERY_SECONDS)
            await parts.closing.finish_pending()

    service.background(parts.watch.run)
