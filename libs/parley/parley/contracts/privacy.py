"""A person's data erased or exported (GDPR articles 15, 17 and 20): one command per service part.

auth coordinates a request (docs/privacy.md): it finds the person's account, then asks each
service holding their data to erase or export its own part, each on a command of its own queue
(``<service>.privacy_erase`` / ``<service>.privacy_export``). Every erase is idempotent: a part
asked again (a retry after a lost reply, a request resumed after a restart) finds less or nothing
left to erase and answers done again. Replies carry counts, never the erased content.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.contracts.base import Command, Model, contract
from parley.contracts.messages import ConversationId, UserId

# A person's conversations named in one command: far above any real visitor's, and it keeps
# the command one ordinary bus message.
MAX_SUBJECT_CONVERSATIONS = 20_000


class PrivacySubject(Model):
    """Whose data: the account id, and (for parts that need them) the conversations of it that
    chat_session reported, so a part keyed by conversation finds what it holds of the person."""

    request_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    conversation_ids: list[ConversationId] = Field(default_factory=list, max_length=MAX_SUBJECT_CONVERSATIONS)


class PartErased(Model):
    """What one part erased: a count per kind of item (``messages``, ``bot_states``...)."""

    erased: dict[str, int] = Field(default_factory=dict)
    conversation_ids: list[str] = Field(
        default_factory=list, description="chat_session only: the person's conversations, for the parts after it"
    )


class PartExported(Model):
    """Every item one part holds of the person, by kind, as JSON objects."""

    items: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    conversation_ids: list[str] = Field(default_factory=list)


class ErasePart(Command[PartErased]):
    """Base of the erase commands (one per service)."""

    subject: PrivacySubject


class ExportPart(Command[PartExported]):
    """Base of the export commands (one per service)."""

    subject: PrivacySubject


@contract("chat_session.privacy_erase")
class EraseChatData(ErasePart):
    """The person's messages become tombstones, their conversations lose the visitor's fields, their
    ratings go."""


@contract("chat_session.privacy_export")
class ExportChatData(ExportPart):
    pass


@contract("chatbot_engine.privacy_erase")
class EraseBotData(ErasePart):
    """The bot states of the person's conversations (stored answers) and their collected contacts."""


@contract("chatbot_engine.privacy_export")
class ExportBotData(ExportPart):
    pass


@contract("notification.privacy_erase")
class EraseNotificationData(ErasePart):
    """The person's push subscriptions."""


@contract("notification.privacy_export")
class ExportNotificationData(ExportPart):
    pass


@contract("presence.privacy_erase")
class EraseRedisData(ErasePart):
    """Every Redis key of the fleet that names the person or one of their conversations (presence,
    rate limits, recorded delivery frames, pending pushes, timers), run after the other parts."""


@contract("presence.privacy_export")
class ExportRedisData(ExportPart):
    pass
