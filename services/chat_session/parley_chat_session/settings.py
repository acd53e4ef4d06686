from pydantic import Field, SecretStr

from parley.settings import ServiceSettings


class ChatSessionSettings(ServiceSettings):
    http_port: int = Field(8082, ge=0, le=65535, description="Port of chat_session's HTTP API and health/metrics.")
    chat_temporary_session_ttl_seconds: int = Field(
        24 * 3600,
        ge=60,
        description="How long an opened but never-used session stays claimable (a visitor may idle a day on a page).",
    )
    chat_queue_sweep_seconds: float = Field(
        5.0,
        gt=0,
        description="Interval of the background pass that assigns waiting conversations and refreshes queue positions; "
        "events (operator online, conversation closed) assign at once, the pass catches whatever an event missed.",
    )
    chat_staffing_refresh_seconds: float = Field(
        15.0,
        gt=0,
        description="Interval at which parley_operators_available and parley_operator_load_ratio are recomputed "
        "(Prometheus' usual scrape interval).",
    )
    chat_timer_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="How often the response-time and inactivity deadlines (Redis sorted sets) are checked; "
        "a deadline fires at most this late.",
    )
    chat_retention_days: float = Field(
        365.0,
        ge=0,
        description="Closed conversations (their messages, rating, bot state and the contacts collected in them) "
        "with no activity for this many days are deleted, unless their channel sets its own retention_days; "
        "0 keeps them forever. Open and queued conversations are never deleted.",
    )
    chat_retention_sweep_seconds: float = Field(
        3600.0, gt=0, description="Interval of the retention pass (deleting old transcripts is never urgent)."
    )
    chat_smtp_host: str = Field(
        "",
        description="SMTP server that e-mails the transcript to a visitor who gave an address, when the conversation "
        "closes; empty: no e-mails.",
    )
    chat_smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    chat_smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before sending.")
    chat_smtp_username: str = Field("", description="SMTP login; empty: send without authenticating.")
    chat_smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    chat_smtp_sender: str = Field("Parley <no-reply@localhost>", description="From: address of transcript e-mails.")
