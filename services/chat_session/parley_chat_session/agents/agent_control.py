"""Who controls a conversation an external bot serves: hand-off, take-back, and a bot that failed.

A hand-off clears ``bot_in_control`` first (from then on the bot gets none of the visitor's
messages and may not post), tells the visitor, and asks routing for an operator exactly as a
visitor asking for one does: assigned at once, or queued (controller ``human`` or ``queued``).
A channel with no operators at all cannot take it: the bot keeps the conversation.
"""

from __future__ import annotations

from typing import Any

from parley.contracts.agents import AgentHandoff, AgentTakeBack, BotFailed, ControlState, agent_user_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley_chat_session.agents.agent_commands import AgentCommands, author_name
from parley_chat_session.agents.controller import bot_controlling, controller_of, require_control, take_back_refusal
from parley_chat_session.agents.idempotency import IdempotencyKeys
from parley_chat_session.channels.store import Channels
from parley_chat_session.conversations import outbound
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.routing.operator_queue import OperatorQueue

log = get_logger("parley.chat_session")

# What the visitor reads when the bot hands over (a bot's own text comes with its registration).
HANDOFF_TEXT = "I'm handing you over to a colleague. Someone will be with you shortly."
APOLOGY_TEXT = "Sorry, I can't answer right now. Please try again in a moment."


def control_state(doc: Conversation, *, duplicate: bool = False) -> ControlState:
    controller = controller_of(doc) or "closed"
    return ControlState(
        conversation_id=doc.id,
        controller=controller,
        operator_id=doc.operator_id,
        queue_position=doc.queue_position if controller == "queued" else None,
        duplicate=duplicate,
    )


class AgentControl:
    def __init__(
        self,
        commands: AgentCommands,
        store: ConversationStore,
        channels: Channels,
        queue: OperatorQueue,
        announcer: Announcer,
        notices: Notices,
        keys: IdempotencyKeys,
    ) -> None:
        self._commands = commands
        self._store = store
        self._channels = channels
        self._queue = queue
        self._announce = announcer
        self._notices = notices
        self._keys = keys

    async def handoff(self, command: AgentHandoff, trace_id: str | None) -> ControlState:
        doc = await self._commands.conversation_of(command.bot_id, command.conversation_id)
        earlier = await self._keys.claim(command.bot_id, command.idempotency_key, command.TYPE, doc.id)
        if earlier is not None and earlier.get("done"):  # a retry: its event again (same id), the state now
            await self._announce.outbound(self._handoff_event(doc, command.idempotency_key, earlier), trace_id)
            return control_state(doc, duplicate=True)
        if earlier is not None and doc.handoff is not None and not doc.bot_in_control:
            # The first attempt died after its write: routing is asked again (it answers what it
            # did if it did), and the event goes out, instead of refusing the retry with 9202.
            await self._queue.request(doc.id, trace_id)
            handed = await self._store.get(doc.id)
        else:
            require_control(doc, command.bot_id)
            handed = await self._hand_off(doc, command.bot_id, command.reason, command.summary, trace_id)
        record = {"done": True, "reason": command.reason, "summary": command.summary}
        await self._keys.done(command.bot_id, command.idempotency_key, **record)
        await self._announce.outbound(self._handoff_event(handed, command.idempotency_key, record), trace_id)
        return control_state(handed)

    async def take_back(self, command: AgentTakeBack, trace_id: str | None) -> ControlState:
        doc = await self._commands.conversation_of(command.bot_id, command.conversation_id)
        await self._keys.claim(command.bot_id, command.idempotency_key, command.TYPE, doc.id)
        if controller_of(doc) == "bot":
            return control_state(doc, duplicate=True)
        refusal = take_back_refusal(doc)
        if refusal is not None:
            raise refusal
        taken = await self._store.take_back(doc.id, agent_user_id(command.bot_id))
        if taken is None:  # an operator took it meanwhile
            raise ParleyError(ErrorCode.HELD_BY_HUMAN, "an operator holds the conversation: wait for the release")
        await self._announce.updated(taken, "bot_took_back", trace_id=trace_id)
        await self._queue.tell_operators(taken.channel_id, trace_id)
        return control_state(taken)

    async def bot_failed(self, event: BotFailed, trace_id: str | None) -> None:
        """The integrations service gave up on the bot: its channel's failure policy applies."""
        doc = await self._store.find(event.conversation_id)
        if doc is None or bot_controlling(doc) != event.bot_id:
            return  # not the bot's to answer any more
        channel = await self._channels.of_message(doc.channel_id)
        policy = channel.agent.failure_policy if channel.agent is not None else "handoff"
        log.warning("chat_session.bot_failed", bot_id=event.bot_id, conversation_id=doc.id, policy=policy)
        if policy == "handoff" and channel.operator_ids:
            handed = await self._hand_off(doc, event.bot_id, "bot_failed", event.detail, trace_id)
            record = {"reason": "bot_failed", "summary": event.detail}
            await self._announce.outbound(self._handoff_event(handed, event.event_id, record), trace_id)
        elif policy != "wait":  # apologise, or a hand-off with nobody to hand to
            author = agent_user_id(event.bot_id)
            await self._notices.post(doc, author, "bot", author_name(doc, event.bot_id), APOLOGY_TEXT, trace_id)

    async def _hand_off(
        self, doc: Conversation, bot_id: str, reason: str, summary: str, trace_id: str | None
    ) -> Conversation:
        channel = await self._channels.of_message(doc.channel_id)
        if not channel.operator_ids:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "this channel has no operators to hand the conversation to")
        author = agent_user_id(bot_id)
        handed = await self._store.hand_off(doc.id, author, reason, summary)
        if handed is None:  # another hand-off (a failure, a retry) won the race
            return await self._store.get(doc.id)
        await self._announce.updated(handed, "bot_handoff", trace_id=trace_id)
        await self._notices.post(handed, author, "bot", author_name(handed, bot_id), HANDOFF_TEXT, trace_id)
        await self._queue.request(handed.id, trace_id)
        return await self._store.get(handed.id)

    @staticmethod
    def _handoff_event(doc: Conversation, happening: str, record: dict[str, Any]) -> Any:
        data = {"reason": record.get("reason", ""), "summary": record.get("summary", "")}
        return outbound.event(doc, "bot.handoff", happening.replace(":", "_"), data)
