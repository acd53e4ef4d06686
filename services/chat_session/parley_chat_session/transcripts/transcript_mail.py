"""E-mailing the transcript to the visitor when a conversation closes (if they gave an address).

Sent from chat_session's own ``conversation.closed`` consumer, so a failing SMTP server means
retries (and finally a dead letter), not a lost mail and not a slow close. The conversation
records that its mail went out; a redelivered event does not send it twice.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid

from parley.contracts.events import ConversationClosed
from parley.logs import get_logger
from parley_chat_session.channels.store import Channels
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.settings import ChatSessionSettings
from parley_chat_session.transcripts.reading import Transcripts
from parley_chat_session.transcripts.smtp import mail_enabled, send_mail
from parley_chat_session.transcripts.transcript_html import render_html, render_text

log = get_logger("parley.chat_session")


class TranscriptMailer:
    def __init__(
        self, settings: ChatSessionSettings, store: ConversationStore, channels: Channels, transcripts: Transcripts
    ) -> None:
        self._settings = settings
        self._store = store
        self._channels = channels
        self._transcripts = transcripts

    @property
    def enabled(self) -> bool:
        return mail_enabled(self._settings)

    async def on_closed(self, event: ConversationClosed) -> None:
        doc = await self._store.find(event.conversation_id)
        if not self.enabled or doc is None or not doc.visitor_email or doc.transcript_emailed_at:
            return
        channel = await self._channels.get(doc.channel_id, archived_too=True)
        transcript = await self._transcripts.transcript(doc)
        title = f"Your conversation with {channel.name}"
        mail = EmailMessage()
        mail["Subject"] = title
        mail["From"] = self._settings.chat_smtp_sender
        mail["To"] = doc.visitor_email
        mail["Message-ID"] = make_msgid(idstring=doc.id)
        mail.set_content(render_text(transcript.conversation, transcript.messages, title))
        mail.add_alternative(render_html(transcript.conversation, transcript.messages, title), subtype="html")
        await asyncio.to_thread(send_mail, self._settings, mail)
        await self._store.mark_emailed(doc.id)
        log.info("chat_session.transcript_mailed", conversation_id=doc.id)
