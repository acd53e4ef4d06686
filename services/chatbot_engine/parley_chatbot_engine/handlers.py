"""The engine's bus handlers: which events and commands reach which reaction.

Only the messages of conversations with a bot member (a ``bot_<script id>`` user id) reach
the engine: its queue binds ``message.created.with_bot`` (``MessageCreated.routing_key``), so a
conversation between humans costs it nothing. The membership check stays, for messages
published before that qualifier existed.
"""

from __future__ import annotations

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.bot import GetRobotStatus, RobotStatus, script_id_of
from parley.contracts.commands import ChatbotAnswer, ControlTimers
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import (
    WITH_BOT,
    ClientFrameEvent,
    ClientStatusChanged,
    ConversationChanged,
    ConversationClosed,
    ConversationCreated,
    MessageCreated,
    VisitorTyping,
)
from parley.contracts.frames import RobotStatusFrame
from parley.logs import get_logger
from parley_chatbot_engine import metrics, reactions
from parley_chatbot_engine import robot as robots
from parley_chatbot_engine.engine import Engine
from parley_chatbot_engine.machine import StepClosed
from parley_chatbot_engine.states import BotState

log = get_logger("parley.chatbot_engine")
HUMAN_STAFF = ("operator", "admin")


def bot_member(member_ids: list[str]) -> str | None:
    return next((member for member in member_ids if script_id_of(member) is not None), None)


class BusHandlers:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(self, bus: Bus) -> None:
        bus.on_event(ConversationCreated, self.on_conversation_created)
        bus.on_event(MessageCreated, self.on_message_created, only=WITH_BOT)
        bus.on_event(ConversationChanged, self.on_conversation_changed)
        bus.on_event(ConversationClosed, self.on_conversation_closed)
        bus.on_event(ClientStatusChanged, self.on_client_status)
        bus.on_event(VisitorTyping, self.on_visitor_typing)
        bus.on_command(ChatbotAnswer, self.on_chatbot_answer)
        bus.on_command(ControlTimers, self.on_control_timers)
        bus.on_command(GetRobotStatus, self.on_robot_status)

    async def ensure_state(
        self, conversation_id: str, member_ids: list[str], channel_id: str | None = None
    ) -> BotState | None:
        """The conversation's bot state, created (not started) the first time its bot is seen."""
        bot_id = bot_member(member_ids)
        if bot_id is None:
            return None
        states = self.engine.states
        state = await states.get(conversation_id)
        if state is None:
            state = await self._create_state(conversation_id, bot_id, member_ids, channel_id)
        if state is not None and (state.member_ids != member_ids or (channel_id and not state.channel_id)):
            state = await states.update(
                conversation_id,
                lambda current: current.model_copy(
                    update={"member_ids": member_ids, "channel_id": current.channel_id or channel_id}
                ),
            )
        return state

    async def _create_state(
        self, conversation_id: str, bot_id: str, member_ids: list[str], channel_id: str | None
    ) -> BotState | None:
        script_id = script_id_of(bot_id) or ""
        script = await self.engine.scripts.get(script_id)
        if script is None:
            log.warning("chatbot.unknown_script", conversation_id=conversation_id, script_id=script_id)
            return None
        fresh = BotState(
            conversation_id=conversation_id,
            script_id=script_id,
            bot_id=bot_id,
            bot_name=script.bot_name,
            channel_id=channel_id,
            member_ids=member_ids,
        )
        if await self.engine.states.insert(fresh):
            return fresh
        return await self.engine.states.get(conversation_id)  # another replica created it just now

    async def on_conversation_created(self, event: ConversationCreated, _envelope: Envelope) -> None:
        async with self.engine.conversation(event.conversation_id):
            await self.ensure_state(event.conversation_id, event.member_ids, event.channel_id)

    async def on_message_created(self, event: MessageCreated, _envelope: Envelope) -> None:
        message = event.message
        if message.author_role == "bot" or bot_member(event.member_ids) is None:
            return
        cid = message.conversation_id
        async with self.engine.conversation(cid):
            state = await self.ensure_state(cid, event.member_ids)
            if state is None:
                return
            if message.author_role in HUMAN_STAFF:
                await self.engine.react(cid, lambda s, ctx: reactions.human_joined(s, ctx, message.author_id))
            elif not state.started:
                await self.engine.react(cid, lambda s, ctx: reactions.started(s, ctx, message))
                metrics.SCRIPTS_STARTED.inc()
            else:
                script = await self.engine.script_of(state)
                entries = []
                if state.channel_id and reactions.may_need_faq(state, script):
                    entries = await self.engine.faq.of_channel(state.channel_id)
                await self.engine.react(cid, lambda s, ctx: reactions.visitor_message(s, ctx, message, entries))

    async def on_conversation_changed(self, event: ConversationChanged, _envelope: Envelope) -> None:
        if bot_member(event.member_ids) is None:
            return
        async with self.engine.conversation(event.conversation_id):
            if event.status == "closed":
                await self.engine.react(event.conversation_id, reactions.closed)
            elif event.status == "open" and event.operator_id is not None:
                operator_id = event.operator_id
                await self.engine.react(
                    event.conversation_id, lambda s, ctx: reactions.human_joined(s, ctx, operator_id)
                )

    async def on_conversation_closed(self, event: ConversationClosed, _envelope: Envelope) -> None:
        if bot_member(event.member_ids) is None:
            return
        async with self.engine.conversation(event.conversation_id):
            await self.engine.react(event.conversation_id, reactions.closed)

    async def on_client_status(self, event: ClientStatusChanged, _envelope: Envelope) -> None:
        cid = event.conversation_id
        if cid is None or event.status == "hidden":
            return
        async with self.engine.conversation(cid):
            state = await self.engine.states.get(cid)
            if state is None:
                await self._push_status(self._robot_status(cid, None), event.user_id)
            elif event.user_id in state.member_ids:
                hold = self.engine.settings.chatbot_greeting_hold_seconds
                if event.status == "online":
                    await self.engine.react(cid, lambda s, ctx: reactions.user_online(s, ctx, hold, event.user_id))
                else:
                    await self._push_status(self._robot_status(cid, state), event.user_id)

    async def on_visitor_typing(self, event: VisitorTyping, _envelope: Envelope) -> None:
        cid = event.conversation_id
        async with self.engine.conversation(cid):
            state = await self.engine.states.get(cid)
            if state is not None and event.user_id in state.member_ids:
                await self.engine.react(cid, lambda s, ctx: reactions.visitor_typing(s, ctx, active=event.active))

    async def on_chatbot_answer(self, command: ChatbotAnswer, envelope: Envelope) -> None:
        cid = command.conversation_id
        async with self.engine.conversation(cid):
            await self._require_member(cid, command.caller.user_id)
            try:
                await self.engine.react(
                    cid,
                    lambda s, ctx: reactions.button(
                        s, ctx, step_id=command.step_id, answer_id=command.answer_id, key=f"a{envelope.id}"
                    ),
                )
            except StepClosed as closed:
                raise ParleyError(ErrorCode.BAD_ARGUMENT, str(closed)) from None

    async def on_control_timers(self, command: ControlTimers, _envelope: Envelope) -> None:
        cid = command.conversation_id
        async with self.engine.conversation(cid):
            await self._require_member(cid, command.caller.user_id)
            await self.engine.react(cid, lambda s, ctx: reactions.timers_controlled(s, ctx, command.action))

    async def on_robot_status(self, command: GetRobotStatus, _envelope: Envelope) -> RobotStatus:
        state = await self.engine.states.get(command.conversation_id)
        return self._robot_status(command.conversation_id, state)

    async def _require_member(self, conversation_id: str, user_id: str) -> BotState:
        state = await self.engine.states.get(conversation_id)
        if state is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, "this conversation has no chatbot")
        if user_id not in state.member_ids:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not a member of this conversation")
        return state

    def _robot_status(self, conversation_id: str, state: BotState | None) -> RobotStatus:
        """The status now; a conversation the engine has no state for has a bot never online."""
        if state is None:
            return RobotStatus(conversation_id=conversation_id, bot_id="", status=robots.UNKNOWN)
        now = robots.status_of(state.robot, self.engine.clock())
        return RobotStatus(
            conversation_id=conversation_id, bot_id=state.bot_id, status=now.status, offline_seconds=now.offline_seconds
        )

    async def _push_status(self, status: RobotStatus, user_id: str) -> None:
        await self.engine.bus.publish_event(ClientFrameEvent(user_ids=[user_id], frame=RobotStatusFrame(data=status)))
