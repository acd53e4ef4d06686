"""chatbot_engine's part of an erase or export request, and of retention (docs/privacy.md).

What the engine keeps of a visitor: the bot state of each of their conversations (its stored
answers, free text included, and the outbox, which may hold a contact not yet carried out) and
the contacts a script collected (``chatbot_visitor_contacts``: e-mail, phone). Erase deletes
both; the timers those states had in Redis go with the Redis part (they are named by the
conversation). Deleting finds nothing the second time: a part asked again is safe.

Retention: when chat_session's retention deletes closed conversations (``conversations.expired``),
their bot states go, and so does every contact collected in one of them.
"""

from __future__ import annotations

from typing import Any

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.events import ConversationsExpired
from parley.contracts.privacy import EraseBotData, ExportBotData, PartErased, PartExported, PrivacySubject
from parley.logs import get_logger
from parley.stores import MongoDatabase

log = get_logger("parley.chatbot_engine")
# What a script collects on the visitor (``question_email`` / ``question_phone`` steps).
CONTACT_FIELDS = ("email", "phone")


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in doc.items()}


class BotPrivacy:
    def __init__(self, db: MongoDatabase) -> None:
        self._states = db["bot_states"]
        self._contacts = db["chatbot_visitor_contacts"]

    def _states_of(self, subject: PrivacySubject) -> dict[str, Any]:
        # By visitor, and by the conversations chat_session named (a state written before the
        # visitor id was kept on it).
        return {"$or": [{"visitor_id": subject.user_id}, {"_id": {"$in": list(subject.conversation_ids)}}]}

    async def export(self, subject: PrivacySubject) -> PartExported:
        states = [
            {
                "conversation_id": doc["_id"],
                "script_id": doc.get("script_id"),
                "answers": doc.get("progress", {}).get("answers", []),
            }
            async for doc in self._states.find(self._states_of(subject))
        ]
        contacts = [
            _jsonable({key: value for key, value in doc.items() if key != "_id"})
            async for doc in self._contacts.find({"_id": subject.user_id})
        ]
        return PartExported(items={"bot_states": states, "contacts": contacts})

    async def expired(self, conversation_ids: list[str]) -> tuple[int, int]:
        """Forget what the engine kept of these conversations; (states, contact fields) deleted."""
        states = await self._states.delete_many({"_id": {"$in": conversation_ids}})
        fields = 0
        for field in CONTACT_FIELDS:
            changed = await self._contacts.update_many(
                {f"{field}_conversation_id": {"$in": conversation_ids}},
                {"$unset": {field: "", f"{field}_conversation_id": ""}},
            )
            fields += changed.modified_count
        if fields:
            await self._contacts.delete_many({field: {"$exists": False} for field in CONTACT_FIELDS})
        return states.deleted_count, fields

    async def erase(self, subject: PrivacySubject) -> PartErased:
        states = await self._states.delete_many(self._states_of(subject))
        contacts = await self._contacts.delete_many({"_id": subject.user_id})
        return PartErased(erased={"bot_states": states.deleted_count, "contacts": contacts.deleted_count})


def register_privacy(bus: Bus, db: MongoDatabase) -> BotPrivacy:
    """Serve ``chatbot_engine.privacy_erase`` and ``chatbot_engine.privacy_export`` on the bus."""
    privacy = BotPrivacy(db)

    async def on_erase(command: EraseBotData, _envelope: Envelope) -> PartErased:
        erased = await privacy.erase(command.subject)
        log.info("chatbot.privacy_erased", request_id=command.subject.request_id, **erased.erased)
        return erased

    async def on_export(command: ExportBotData, _envelope: Envelope) -> PartExported:
        return await privacy.export(command.subject)

    async def on_expired(event: ConversationsExpired, _envelope: Envelope) -> None:
        states, fields = await privacy.expired(list(event.conversation_ids))
        log.info("chatbot.retention_deleted", bot_states=states, contact_fields=fields)

    bus.on_command(EraseBotData, on_erase)
    bus.on_command(ExportBotData, on_export)
    bus.on_event(ConversationsExpired, on_expired)
    return privacy
