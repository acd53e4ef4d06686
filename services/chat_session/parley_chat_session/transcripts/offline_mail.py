"""E-mailing an offline-form message to the channel's team (the channel's ``offline_emails``).

Sent from chat_session's own ``OfflineRequestCreated`` consumer, as the transcript is from
``conversation.closed``: a failing SMTP server means retries (and finally a dead letter), never a
slow or failed request for the visitor. The request records that its mail went out, so a
redelivered event does not send it twice. Reply-To is the visitor's address: the team answers
from their mailbox, as the console's "Reply by e-mail" does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from parley.contracts.events import OfflineRequestCreated
from parley.logs import get_logger
from parley_chat_session.channels.store import Channels
from parley_chat_session.settings import ChatSessionSettings
from parley_chat_session.transcripts.offline_requests import OfflineRequests, OfflineRequestView
from parley_chat_session.transcripts.smtp import mail_enabled, send_mail

log = get_logger("parley.chat_session")


class OfflineRequestMailer:
    def __init__(self, settings: ChatSessionSettings, requests: OfflineRequests, channels: Channels) -> None:
        self._settings = settings
        self._requests = requests
        self._channels = channels

    async def on_created(self, event: OfflineRequestCreated) -> None:
        if not mail_enabled(self._settings):
            return
        channel = await self._channels.get(event.channel_id, archived_too=True)
        team = channel.offline_emails
        request = await self._requests.get(event.request_id)
        if not team or request is None or not await self._requests.claim_mail(event.request_id):
            return
        try:
            await asyncio.to_thread(send_mail, self._settings, mail_of(request, channel.name, team, self._settings))
        except BaseException:
            await self._requests.release_mail(event.request_id)  # the event's retry sends it
            raise
        log.info("chat_session.offline_request_mailed", request_id=event.request_id, to=len(team))


def mail_of(
    request: OfflineRequestView, channel_name: str, team: Sequence[str], settings: ChatSessionSettings
) -> EmailMessage:
    """The team's mail: who wrote, from which page, and what; replying answers the visitor."""
    name = one_line(request.name)
    mail = EmailMessage()
    mail["Subject"] = f"Offline message from {name or request.email} ({one_line(channel_name)})"
    mail["From"] = settings.chat_smtp_sender
    mail["To"] = ", ".join(team)
    mail["Reply-To"] = formataddr((name, request.email))
    mail["Message-ID"] = make_msgid(idstring=request.id)
    lines = [
        f"{name or 'A visitor'} <{request.email}> left a message on {channel_name}"
        + (" (identity verified by the site)" if request.verified else "")
        + ":",
        "",
        request.message,
        "",
        f"Page: {request.page_url}" if request.page_url else "",
        f"Sent: {request.created_at.isoformat()}",
        "Reply to this mail to answer the visitor.",
    ]
    mail.set_content("\n".join(lines))
    return mail


def one_line(text: str) -> str:
    """A visitor's words made fit for a mail header: one line (a newline there would be refused
    on every retry), at most 100 characters."""
    return " ".join(text.split())[:100]
