"""chat_session's mail: the one SMTP server it sends through (transcripts to visitors, offline
messages to a channel's team). Blocking (smtplib): callers run :func:`send_mail` in a thread, from
a bus consumer, so a failing server means the event is retried."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from parley_chat_session.settings import ChatSessionSettings

# An SMTP server that has not answered within this long is treated as down (the event is retried).
SMTP_TIMEOUT_SECONDS = 10.0


def mail_enabled(settings: ChatSessionSettings) -> bool:
    """Whether an SMTP server is configured (PARLEY_CHAT_SMTP_HOST); without one nothing is mailed."""
    return bool(settings.chat_smtp_host)


def send_mail(settings: ChatSessionSettings, mail: EmailMessage) -> None:
    """One mail through the configured SMTP server (blocking: run it in a thread). Raises when the
    server is down or refuses it, so the event being handled is retried."""
    with smtplib.SMTP(settings.chat_smtp_host, settings.chat_smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.chat_smtp_starttls:
            smtp.starttls()
        if settings.chat_smtp_username:
            smtp.login(settings.chat_smtp_username, settings.chat_smtp_password.get_secret_value())
        smtp.send_message(mail)
