from pydantic import Field, SecretStr, field_validator

from parley.settings import ServiceSettings
from parley_chat_session.files.limits import MAX_FILE_BYTES_CEILING, FileType


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
    chat_files_max_bytes: int = Field(
        10 * 1024**2,
        ge=1,
        le=MAX_FILE_BYTES_CEILING,
        description="Largest attachment, in bytes, of a channel that sets none (a phone photo is 2-6 MB).",
    )
    chat_files_per_message: int = Field(
        5, ge=1, le=10, description="Files one message may carry, in a channel that sets none."
    )
    chat_files_allowed_types: list[FileType] = Field(
        ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"],
        description="Attachment types (sniffed from the content) of a channel that sets none, as a JSON list.",
    )
    chat_files_uploads_per_minute: int = Field(
        20, ge=1, description="Uploads one user may start per minute (bursts of as many); more are refused with 9003."
    )
    chat_files_daily_quota_bytes: int = Field(
        200 * 1024**2, ge=1, description="Bytes one user may upload per UTC day; more are refused with 9109."
    )
    chat_files_unsent_ttl_seconds: float = Field(
        3600.0,
        gt=0,
        description="An upload not sent in a message within this long is deleted (a visitor who attached and left).",
    )
    chat_files_sweep_seconds: float = Field(
        300.0, gt=0, description="Interval of the pass that deletes unsent uploads and rescans pending ones."
    )
    chat_files_link_ttl_seconds: int = Field(
        300,
        ge=10,
        le=24 * 3600,
        description="How long a download link works: minutes, so a link copied out of a conversation soon dies.",
    )
    chat_files_url_secret: SecretStr = Field(
        SecretStr(""),
        description="Key of the HMAC that signs download links; the same on every replica. Empty: a random key "
        "per process (one replica only: links of one replica fail on another).",
    )
    chat_files_download_base_url: str = Field(
        "",
        pattern=r"^(https?://[^\s]+)?$",
        description="Origin (and path prefix) download links are built on, e.g. https://files.chat.example: a "
        "separate origin keeps uploaded content away from the application's. Empty: links are relative "
        "(/files/...), served by the same edge.",
    )
    chat_files_clamd_socket: str = Field(
        "",
        description="Unix socket of a clamd virus scanner; files stay pending until it answers clean, infected "
        "ones are refused (9108). Empty: no scanning.",
    )
    chat_files_clamd_timeout_seconds: float = Field(
        30.0, gt=0, description="How long clamd may take to answer for one file before it stays pending."
    )

    @field_validator("chat_files_download_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
