from pydantic import Field

from parley.settings import ServiceSettings


class ChatSessionSettings(ServiceSettings):
    http_port: int = Field(8082, ge=0, le=65535, description="Port of chat_session's HTTP API and health/metrics.")
    chat_temporary_session_ttl_seconds: int = Field(
        24 * 3600,
        ge=60,
        description="How long an opened but never-used session stays claimable (a visitor may idle a day on a page).",
    )
