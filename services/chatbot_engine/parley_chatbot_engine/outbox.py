"""Carrying out a conversation's outbox: the bot's messages, frames, timers, contacts and step counts.

Every item can be carried out twice without a second effect showing: a message is posted with
its turn's ``client_msg_id`` (chat_session returns the stored one), timers are absolute
deadlines, a contact is an upsert, and a frame shown twice only repeats what the client has.
Asking for an operator is not in here: its answer changes the script, so the engine does it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from parley.bus import Bus
from parley.contracts.bot import ContactCollected
from parley.contracts.commands import Caller, SendMessage
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import ClientFrameEvent
from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley_chatbot_engine import metrics
from parley_chatbot_engine.states import BotState, ContactItem, FrameItem, OutboxItem, PostItem, StepsItem, TimersItem
from parley_chatbot_engine.timer_store import TimerStore

log = get_logger("parley.chatbot_engine")
# Refusals that will not change on a retry: the message is dropped (and logged), not retried.
FINAL_REFUSALS = frozenset(
    {ErrorCode.NOT_A_MEMBER, ErrorCode.CONVERSATION_CLOSED, ErrorCode.UNKNOWN_CONVERSATION, ErrorCode.BAD_ARGUMENT}
)


class Outbox:
    def __init__(self, bus: Bus, timers: TimerStore, db: MongoDatabase) -> None:
        self.bus = bus
        self.timers = timers
        self._contacts = db["chatbot_visitor_contacts"]

    async def carry_out(self, state: BotState, item: OutboxItem) -> None:
        """Do one item; raises ParleyError(UNAVAILABLE) when it should be tried again later."""
        match item:
            case PostItem():
                await self._post(state, item)
            case FrameItem():
                await self.bus.publish_event(ClientFrameEvent(user_ids=item.user_ids, frame=item.frame))
            case TimersItem():
                await self.timers.apply(state.conversation_id, item.set, item.clear)
            case ContactItem():
                await self._contact(state, item)
            case StepsItem():
                for step_type in item.step_types:
                    metrics.STEPS.labels(step_type).inc()

    async def _post(self, state: BotState, item: PostItem) -> None:
        bot_name = state.bot_name or "Bot"
        command = SendMessage(
            caller=Caller(user_id=state.bot_id, role="bot", name=bot_name),
            conversation_id=state.conversation_id,
            client_msg_id=item.client_msg_id,
            kind="bot",
            body=item.content,
        )
        try:
            await self.bus.request(command)
        except ParleyError as error:
            if error.code not in FINAL_REFUSALS:
                raise
            log.warning(
                "chatbot.post_refused",
                conversation_id=state.conversation_id,
                code=int(error.code),
                reason=error.message,
            )
            return
        metrics.BOT_MESSAGES.labels(item.content.kind, item.content.message_class).inc()

    async def _contact(self, state: BotState, item: ContactItem) -> None:
        """Kept on the visitor (``chatbot_visitor_contacts``) and announced for other services."""
        await self._contacts.update_one(
            {"_id": item.visitor_id},
            {
                "$set": {
                    item.field: item.value,
                    f"{item.field}_conversation_id": state.conversation_id,
                    "updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
        await self.bus.publish_event(
            ContactCollected(
                conversation_id=state.conversation_id,
                visitor_id=item.visitor_id,
                field=item.field,
                value=item.value,
                step_id=item.step_id,
            )
        )
