"""Who answers the visitor of a conversation an external bot serves: its **controller**.

One stored fact decides it, ``bot_in_control`` (set when the conversation starts on a bot's
channel and when the bot takes it back, cleared by a hand-off), read with the conversation's
status and operator, which routing already keeps: ``controller_of`` derives the rest, so no
second copy of "who holds it" can disagree with the operator routing assigned.
"""

from __future__ import annotations

from parley.contracts.agents import Controller, agent_bot_id
from parley.contracts.bot import script_id_of
from parley.contracts.errors import ErrorCode, ParleyError
from parley_chat_session.conversations.conversation import Conversation


def agent_of(doc: Conversation) -> str | None:
    """The bot id of the conversation's external bot, if one serves it."""
    return agent_bot_id(doc.agent_id) if doc.agent_id is not None else None


def has_script_bot(doc: Conversation) -> bool:
    return any(script_id_of(member) is not None for member in doc.member_ids)


def controller_of(doc: Conversation) -> Controller | None:
    """The conversation's controller; None when no bot serves it.

    A scripted bot (chatbot_engine) is the same model without the flag: it answers while the
    conversation is open and no operator holds it (its forward step queues it for a human)."""
    external = agent_of(doc) is not None
    if not external and not has_script_bot(doc):
        return None
    if doc.status == "closed":
        return "closed"
    if doc.operator_id:
        return "human"
    if doc.bot_in_control if external else doc.status == "open":
        return "bot"
    return "queued"


def bot_controlling(doc: Conversation) -> str | None:
    """The bot id when its bot controls the conversation now (it gets the visitor's events)."""
    return agent_of(doc) if controller_of(doc) == "bot" else None


def require_bot_member(doc: Conversation, bot_id: str) -> None:
    """Refuse (9201) a bot that is not this conversation's bot (or no longer a member of it)."""
    if agent_of(doc) != bot_id or f"agent_{bot_id}" not in doc.member_ids:
        raise ParleyError(ErrorCode.BOT_NOT_A_MEMBER, "this bot is not a member of the conversation")


def require_control(doc: Conversation, bot_id: str) -> None:
    """Refuse a bot that does not control the conversation now: closed (9104), or queued for or
    held by a human (9202). A bot never posts over an operator."""
    require_bot_member(doc, bot_id)
    controller = controller_of(doc)
    if controller == "closed":
        raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
    if controller != "bot":
        raise ParleyError(ErrorCode.BOT_NOT_IN_CONTROL, f"the conversation is {controller}: a human has it")


def take_back_refusal(doc: Conversation) -> ParleyError | None:
    """Why the bot may not take the conversation back now (None: it may)."""
    controller = controller_of(doc)
    if controller == "closed":
        return ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
    if controller == "human":
        return ParleyError(ErrorCode.HELD_BY_HUMAN, "an operator holds the conversation: wait for the release")
    return None
