"""System notices in the conversation itself ("Olivia joined the conversation"): messages of kind
``notice``, stored with their seq like any message, so history, resume and transcripts show who
joined, left, took over or closed, in order with what was said."""

from __future__ import annotations

from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.message_store import MessageStore


class Notices:
    def __init__(self, messages: MessageStore, announcer: Announcer) -> None:
        self._messages = messages
        self._announce = announcer

    async def post(
        self, doc: Conversation, author_id: str, role: str, name: str, text: str, trace_id: str | None = None
    ) -> None:
        """Post ``text`` on behalf of ``author_id`` to the members of ``doc`` (the conversation after the change).

        Its idempotency key is the change's place in the conversation's log, so a retried change
        posts its notice once.
        """
        key = f"notice:{doc.id}:{len(doc.history)}"
        fields = {"author_id": author_id, "author_role": role, "author_name": name, "kind": "notice", "body": text}
        fields["client_msg_id"] = key
        await self._messages.append(
            doc.id, fields, lambda message: self._announce.message(message, doc.member_ids, trace_id, doc=doc)
        )
