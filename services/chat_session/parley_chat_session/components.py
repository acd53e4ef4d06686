"""chat_session's parts, built once and connected: stores, queue, clocks, commands, APIs."""

from __future__ import annotations

from dataclasses import dataclass

from parley.deliveries import DeliveryPublisher
from parley.ratelimit import RateLimiter
from parley.revocations import RevocationList
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_chat_session.agents.agent_commands import AgentCommands
from parley_chat_session.agents.agent_control import AgentControl
from parley_chat_session.agents.agent_registry import AgentRegistry
from parley_chat_session.agents.draft_stream import DeltaStream
from parley_chat_session.agents.drafts import DraftStore
from parley_chat_session.agents.idempotency import IdempotencyKeys
from parley_chat_session.agents.visitor_inputs import VisitorInputs
from parley_chat_session.channels.canned import CannedResponses
from parley_chat_session.channels.satisfaction import Satisfaction
from parley_chat_session.channels.store import Channels
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.clocks.deadline_watch import DeadlineWatch
from parley_chat_session.clocks.retention import Retention
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.chat_commands import ChatCommands
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation_copies import ConversationCopies
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.member_state import MemberState
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.conversations.posting import Posting
from parley_chat_session.conversations.sessions import Sessions
from parley_chat_session.files.limits import FileLimits
from parley_chat_session.files.quota import UploadQuota
from parley_chat_session.files.receiving import Receiver
from parley_chat_session.files.scanning import ClamdScanner
from parley_chat_session.files.storage import GridFsStorage
from parley_chat_session.files.uploads import UploadStore
from parley_chat_session.locks import RedisMutex
from parley_chat_session.routing.assignment import OperatorPicker
from parley_chat_session.routing.availability import Availability
from parley_chat_session.routing.handover import Handover
from parley_chat_session.routing.operator_profiles import OperatorProfiles
from parley_chat_session.routing.operator_queue import OperatorQueue, Routing
from parley_chat_session.routing.staffing import Staffing
from parley_chat_session.routing.withdrawn_staff import WithdrawnStaff
from parley_chat_session.settings import ChatSessionSettings
from parley_chat_session.transcripts.offline_mail import OfflineRequestMailer
from parley_chat_session.transcripts.offline_requests import OfflineRequests
from parley_chat_session.transcripts.reading import Transcripts
from parley_chat_session.transcripts.transcript_mail import TranscriptMailer

# Longest a replica may hold the assignment lock: a drain takes milliseconds per conversation,
# and a replica that dies holding it blocks assignment for at most this long.
ASSIGNMENT_LEASE_SECONDS = 10.0


@dataclass
class Components:
    channels: Channels
    canned: CannedResponses
    profiles: OperatorProfiles
    store: ConversationStore
    messages: MessageStore
    picker: OperatorPicker
    withdrawn: WithdrawnStaff
    availability: Availability
    sessions: Sessions
    queue: OperatorQueue
    closing: Closing
    satisfaction: Satisfaction
    handover: Handover
    posting: Posting
    members: MemberState
    transcripts: Transcripts
    mailer: TranscriptMailer
    offline_mailer: OfflineRequestMailer
    retention: Retention
    watch: DeadlineWatch
    staffing: Staffing
    verifier: JwksVerifier
    revocations: RevocationList
    uploads: UploadStore
    receiver: Receiver
    file_limits: FileLimits
    agents: AgentCommands
    agent_control: AgentControl
    agent_registry: AgentRegistry
    visitor_inputs: VisitorInputs
    drafts: DraftStore
    deltas: DeltaStream
    announcer: Announcer
    offline_requests: OfflineRequests

    async def create_indexes(self) -> None:
        await self.channels.create_indexes()
        await self.canned.create_indexes()
        await self.store.create_indexes()
        await self.messages.create_indexes()
        await self.uploads.create_indexes()
        await self.satisfaction.create_indexes()
        await self.offline_requests.create_indexes()


def build_components(service: Service, settings: ChatSessionSettings) -> Components:
    assert service.redis is not None
    db, cache, prefix = service.db, service.redis, settings.redis_key_prefix
    channels, canned, profiles = Channels(db), CannedResponses(db), OperatorProfiles(db)
    store = ConversationStore(db, ConversationCopies(cache, prefix))
    uploads = UploadStore(db, GridFsStorage(db))
    file_limits = FileLimits(
        settings.chat_files_max_bytes, settings.chat_files_per_message, frozenset(settings.chat_files_allowed_types)
    )
    messages = MessageStore(db, store)
    announcer = Announcer(service.bus, DeliveryPublisher(cache, prefix))
    clocks = ConversationClocks(cache, prefix)
    withdrawn = WithdrawnStaff(db)
    picker = OperatorPicker(service.bus, store, withdrawn)
    availability = Availability(picker)
    mutex = RedisMutex(cache, f"{prefix}chat:assignment-lock", ASSIGNMENT_LEASE_SECONDS)
    sessions = Sessions(
        cache, store, channels, availability, key_prefix=prefix, ttl_seconds=settings.chat_temporary_session_ttl_seconds
    )
    notices = Notices(messages, announcer)
    queue = OperatorQueue(Routing(store, channels, picker, profiles, clocks, announcer, notices, mutex))
    closing = Closing(db, store, clocks, announcer, notices, queue)
    handover = Handover(queue.routing, queue)
    posting = Posting(
        sessions=sessions,
        store=store,
        messages=messages,
        channels=channels,
        queue=queue,
        commands=ChatCommands(handover, closing, canned),
        clocks=clocks,
        announcer=announcer,
        profiles=profiles,
        notices=notices,
        cache=cache,
        key_prefix=prefix,
        uploads=uploads,
        file_limits=file_limits,
    )
    transcripts = Transcripts(db, store, messages, closing)
    drafts, deltas, keys = DraftStore(cache, prefix), DeltaStream(announcer), IdempotencyKeys(cache, prefix)
    agents = AgentCommands(store, messages, announcer, drafts, deltas, keys)
    revocations = RevocationList(cache, prefix)
    scanner = (
        ClamdScanner(settings.chat_files_clamd_socket, settings.chat_files_clamd_timeout_seconds)
        if settings.chat_files_clamd_socket
        else None
    )
    quota = UploadQuota(
        cache,
        prefix,
        uploads_per_minute=settings.chat_files_uploads_per_minute,
        daily_bytes=settings.chat_files_daily_quota_bytes,
    )
    offline_requests = OfflineRequests(db, RateLimiter(cache, prefix))
    return Components(
        channels=channels,
        canned=canned,
        profiles=profiles,
        store=store,
        messages=messages,
        picker=picker,
        withdrawn=withdrawn,
        availability=availability,
        sessions=sessions,
        queue=queue,
        closing=closing,
        satisfaction=Satisfaction(db, profiles),
        handover=handover,
        posting=posting,
        members=MemberState(store, announcer),
        transcripts=transcripts,
        mailer=TranscriptMailer(settings, store, channels, transcripts),
        retention=Retention(db, messages, closing, uploads, service.bus, settings.chat_retention_days),
        watch=DeadlineWatch(clocks, store, channels, handover, closing, settings.chat_timer_poll_seconds),
        staffing=Staffing(channels, picker, store),
        verifier=JwksVerifier(settings.auth_jwks_url, revocations),
        revocations=revocations,
        uploads=uploads,
        receiver=Receiver(uploads, quota, scanner),
        file_limits=file_limits,
        agents=agents,
        agent_control=AgentControl(agents, store, channels, queue, announcer, notices, keys),
        agent_registry=AgentRegistry(channels),
        visitor_inputs=VisitorInputs(store, messages, announcer, cache, prefix),
        drafts=drafts,
        deltas=deltas,
        announcer=announcer,
        offline_requests=offline_requests,
        offline_mailer=OfflineRequestMailer(settings, offline_requests, channels),
    )
