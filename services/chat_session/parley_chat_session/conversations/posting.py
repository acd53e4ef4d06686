"""``chat_session.send_message``: from a member's text to a stored, announced message.

In order: the conversation (a temporary session is persisted, and queued for an operator, on
its first message), membership (before anything else: a non-member learns nothing, not even
whether a ``client_msg_id`` is known), idempotency (a ``client_msg_id`` the sender already used
in this conversation returns the stored message), closed conversations, commands and canned
responses, the sensitive-word filter, the gapless seq, the clocks, and finally the events.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from parley.contracts.commands import Caller, CommandResult, MessageAccepted, SendMessage
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import FileBody, Message, SentFileBody
from parley_chat_session.access import is_member, require_channel_operator, require_member
from parley_chat_session.channels.sensitive_words import SensitiveWords, texts_of
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.chat_commands import STAFF, CannedLookup, ChatCommands, Command, classify
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore, ReplyClock
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.conversations.sessions import Located, Sessions, is_channel_bot
from parley_chat_session.files.limits import FileLimits
from parley_chat_session.files.uploads import UploadStore
from parley_chat_session.routing.operator_profiles import OperatorProfiles
from parley_chat_session.routing.operator_queue import OperatorQueue

# A command's answer is kept this long so a retried send (same client_msg_id) gets the same
# answer instead of running the command again; retries come within seconds, a day is generous.
COMMAND_RESULT_TTL_SECONDS = 24 * 3600


def require_access(caller: Caller, located: Located) -> None:
    """Refuse (9101) a sender who may not post here: a stored conversation takes its members and
    its channel's chatbot; an operator also only while still an operator of its channel (a
    removal from the channel ends their access at once, whatever a conversation still lists).
    ``Sessions.locate`` already checked a temporary session's reservation."""
    doc, channel = located.doc, located.channel
    if doc is None or is_channel_bot(caller, channel):
        return
    require_member(doc, caller.user_id)
    if caller.role == "operator":
        require_channel_operator(
            channel, caller.user_id, "you are no longer an operator of this conversation's channel"
        )


def reply_clock(doc: Conversation, caller: Caller, kind: str) -> ReplyClock:
    """What this message does to the operator's response clock: the conversation's operator
    answering stops it; the visitor speaking to an assigned operator starts it, unless it runs."""
    if caller.user_id == doc.operator_id and kind in ("text", "action", "file"):
        return "stop"
    if caller.role == "visitor" and doc.status == "open" and doc.operator_id and doc.awaiting_reply_since is None:
        return "start"
    return None


def _claim(command: SendMessage) -> str:
    """What an upload is claimed by: the message, named by its idempotency key."""
    return f"{command.caller.user_id}:{command.client_msg_id}"


class Posting:
    def __init__(
        self,
        *,
        sessions: Sessions,
        store: ConversationStore,
        messages: MessageStore,
        channels: Channels,
        queue: OperatorQueue,
        commands: ChatCommands,
        clocks: ConversationClocks,
        announcer: Announcer,
        profiles: OperatorProfiles,
        notices: Notices,
        cache: redis.Redis,
        key_prefix: str,
        uploads: UploadStore,
        file_limits: FileLimits,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._messages = messages
        self._channels = channels
        self._queue = queue
        self._commands = commands
        self._clocks = clocks
        self._announce = announcer
        self._profiles = profiles
        self._notices = notices
        self._cache = cache
        self._prefix = key_prefix
        self._words = SensitiveWords()
        self._uploads = uploads
        self._file_limits = file_limits

    async def send(self, command: SendMessage, trace_id: str | None = None) -> MessageAccepted:
        located = await self._sessions.locate(command.caller, command.conversation_id)
        # Outside the retry below: a refused non-member must never be answered with a message.
        require_access(command.caller, located)
        try:
            return await self._post(command, located, trace_id)
        except ParleyError:
            earlier = await self._earlier_answer(command, located, trace_id)
            if earlier is None:
                raise
            return earlier

    async def _post(self, command: SendMessage, located: Located, trace_id: str | None) -> MessageAccepted:
        doc, channel = located.doc, located.channel
        if doc is not None and doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        body = await self._body(command, doc, channel, trace_id)
        if isinstance(body, CommandResult):
            return MessageAccepted(command=body)
        if doc is not None:
            doc = await self._ensure_member(command.caller, doc, channel)
            return await self._store_message(command, doc, channel, body, trace_id)
        return await self._first_message(command, located, body, trace_id)

    async def _earlier_answer(
        self, command: SendMessage, located: Located, trace_id: str | None
    ) -> MessageAccepted | None:
        """A refused send may be the retry of one that went through before (the conversation has
        closed since, ...): its stored message, or its command's answer, is the answer again.

        Looked up only on refusal: on the way in, the unique ``(conversation_id, author_id,
        client_msg_id)`` index catches a retried message at the insert, and a command's answer is
        looked up when the text is a command, which saves a read of every message (a collection
        scan on FerretDB). The caller is a member (``require_access`` ran first), and the lookup
        is of this conversation only: a key used elsewhere is another message."""
        caller = command.caller
        if located.doc is not None:
            existing = await self._messages.by_client_id(located.doc.id, caller.user_id, command.client_msg_id)
            if existing is not None:  # only ever the caller's own message of this conversation
                # Announced again: the first attempt may have died before its event went out.
                await self._announce.message(existing, located.doc.member_ids, trace_id, doc=located.doc)
                return MessageAccepted(message=existing, duplicate=True)
        answered = await self._answered_command(caller, command.conversation_id, command.client_msg_id)
        return MessageAccepted(command=answered) if answered is not None else None

    async def _body(
        self, command: SendMessage, doc: Conversation | None, channel: Channel, trace_id: str | None
    ) -> Any:
        """What to store (after commands, canned responses and the word filter), or a command's answer."""
        caller = command.caller
        if (command.kind == "bot") != (caller.role == "bot"):
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, "kind bot is for the channel's chatbot, which posts only kind bot"
            )
        if caller.role in STAFF:
            await self._profiles.remember(caller.user_id, caller.name)
        body: Any
        if isinstance(command.body, SentFileBody):
            body = await self._file_body(command, command.body, channel)
        else:
            body = command.body if isinstance(command.body, str) else command.body.model_dump(mode="json")
        if isinstance(body, str):
            interpreted = await self._interpret(
                body, caller, doc, command.conversation_id, command.client_msg_id, trace_id
            )
            if isinstance(interpreted, CommandResult):
                return interpreted
            body = interpreted
        if caller.role != "bot" and self._words.first_match(channel.sensitive_words, texts_of(body)):
            raise ParleyError(ErrorCode.SENSITIVE_WORD, "the message contains a word this channel does not accept")
        return body

    async def _file_body(self, command: SendMessage, sent: SentFileBody, channel: Channel) -> dict[str, Any]:
        """The files of a ``file`` message, read from the sender's uploads (claimed at the store)."""
        most = self._file_limits.of_channel(channel).max_per_message
        if len(sent.file_ids) > most:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"file_ids: this channel takes at most {most} files per message")
        files = await self._uploads.to_attach(
            command.conversation_id, command.caller.user_id, sent.file_ids, _claim(command)
        )
        return FileBody(files=files, text=sent.text).model_dump(mode="json")

    async def _first_message(
        self, command: SendMessage, located: Located, body: Any, trace_id: str | None
    ) -> MessageAccepted:
        """Every check passed: now, and only now, the temporary session becomes a conversation."""
        doc = await self._start(command.conversation_id, located, trace_id)
        doc = await self._ensure_member(command.caller, doc, located.channel)
        return await self._store_message(command, doc, located.channel, body, trace_id)

    async def _start(self, conversation_id: str, located: Located, trace_id: str | None) -> Conversation:
        doc, created = await self._sessions.persist(conversation_id, located)
        if created:
            await self._announce.created(doc, trace_id)
            # It needs a human: assign before the message, so they receive it (and are there from
            # the start: no "joined" notice; later arrivals get one).
            if doc.status == "queued":
                assigned = await self._queue.drain(doc.channel_id, trace_id, channel=located.channel)
                doc = assigned.get(doc.id, doc)
        return doc

    async def _interpret(
        self,
        text: str,
        caller: Caller,
        doc: Conversation | None,
        conversation_id: str,
        client_msg_id: str,
        trace_id: str | None,
    ) -> str | CommandResult:
        """The text to store, or the answer of a command or canned lookup (stored nowhere)."""
        what = classify(text, caller.role)
        if isinstance(what, Command):
            answered = await self._answered_command(caller, conversation_id, client_msg_id)
            if answered is not None:  # a retried command: it ran once, its answer is kept
                return answered
            result = await self._commands.run(what, caller, doc, trace_id)
            key = self._command_key(caller, conversation_id, client_msg_id)
            await self._cache.set(key, result.model_dump_json(), ex=COMMAND_RESULT_TTL_SECONDS)
            return result
        if isinstance(what, CannedLookup) and doc is not None:
            expanded, answer = await self._commands.lookup(what, doc.channel_id)
            return answer if answer is not None else str(expanded)
        return text if isinstance(what, CannedLookup) else what.text

    async def _store_message(
        self, command: SendMessage, doc: Conversation, channel: Channel, body: Any, trace_id: str | None
    ) -> MessageAccepted:
        caller = command.caller
        fields = {
            "author_id": caller.user_id,
            "author_role": caller.role,
            "author_name": caller.name,
            "kind": command.kind,
            "body": body,
            "client_msg_id": command.client_msg_id,
        }
        clock = reply_clock(doc, caller, command.kind)
        file_ids = [file["file_id"] for file in body["files"]] if command.kind == "file" else []
        if file_ids:  # each upload goes out in one message only: this one (its retries claim it again)
            await self._uploads.claim(file_ids, _claim(command))
        message, duplicate = await self._messages.append(
            doc.id,
            fields,
            lambda stored: self._announce.message(stored, doc.member_ids, trace_id, doc=doc),
            known_last_seq=doc.last_seq,
            reply_clock=clock,
        )
        if file_ids:
            await self._uploads.sent(file_ids, message.id)
        if not duplicate:
            await self._track_clocks(doc, channel, message, clock)
        return MessageAccepted(message=message, duplicate=duplicate)

    async def _track_clocks(self, doc: Conversation, channel: Channel, message: Message, clock: ReplyClock) -> None:
        """The Redis deadlines that follow the message's write (MessageStore.append)."""
        await self._clocks.after_message(
            doc.id, channel, open_=doc.status == "open", response=clock, at=message.created_at
        )

    async def _ensure_member(self, caller: Caller, doc: Conversation, channel: Channel) -> Conversation:
        """Members post; the channel's chatbot becomes a member by posting."""
        if is_member(doc, caller.user_id):
            return doc
        if is_channel_bot(caller, channel):
            await self._store.add_member(doc.id, caller.user_id, "bot", caller.name)
            return await self._store.get(doc.id)
        require_member(doc, caller.user_id)
        return doc

    def _command_key(self, caller: Caller, conversation_id: str, client_msg_id: str) -> str:
        return f"{self._prefix}chat:command:{conversation_id}:{caller.user_id}:{client_msg_id}"

    async def _answered_command(self, caller: Caller, conversation_id: str, client_msg_id: str) -> CommandResult | None:
        stored = await self._cache.get(self._command_key(caller, conversation_id, client_msg_id))
        return CommandResult.model_validate_json(stored) if stored else None
