from pydantic import Field, SecretStr

from parley.settings import ServiceSettings


class IntegrationsSettings(ServiceSettings):
    http_port: int = Field(
        8087,
        ge=0,
        le=65535,
        description="Port of integrations' admin API (bots, webhooks, deliveries) and health/metrics.",
    )
    integrations_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (names or IP addresses, JSON list) a webhook or bot URL may name although they are not "
        "public: a local receiver in tests and `make up` only. Empty: every URL must be a public https host without "
        "user or password, whose name resolves to public addresses only, checked when it is stored and again at "
        "every connection.",
    )
    integrations_allow_insecure_urls: bool = Field(
        False, description="Accept http:// webhook and bot URLs (local tests and `make up` only)."
    )
    integrations_delivery_timeout_seconds: float = Field(
        15.0,
        gt=0,
        le=120,
        description="How long one delivery attempt may take to be answered. A bot answers 2xx at once and replies "
        "later through the API, so this bounds a stuck receiver, not a slow model.",
    )
    integrations_max_attempts: int = Field(
        8,
        ge=1,
        le=30,
        description="Attempts of one delivery (timeouts, network errors, 429, 5xx) before it is dead-lettered; "
        "with the default backoff the last is about 2 h after the first.",
    )
    integrations_retry_base_seconds: float = Field(
        5.0, gt=0, description="Delay before the second attempt; each next one doubles it (with jitter)."
    )
    integrations_retry_max_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between two attempts (and the most a Retry-After is honoured for)."
    )
    integrations_endpoint_concurrency: int = Field(
        4, ge=1, le=100, description="Requests in flight to one endpoint at once, per replica."
    )
    integrations_endpoint_rate: float = Field(
        20.0, gt=0, description="Requests per second to one endpoint at most, per replica (bursts of the same size)."
    )
    integrations_max_in_flight: int = Field(
        64, ge=1, le=1000, description="Deliveries in flight at once over all endpoints, per replica."
    )
    integrations_breaker_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failed attempts to one endpoint that open its circuit: its deliveries wait instead "
        "of each spending an attempt on an endpoint that is down.",
    )
    integrations_breaker_open_seconds: float = Field(
        30.0, gt=0, description="How long an open circuit waits before one trial request (half-open)."
    )
    integrations_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the outbox is read for due deliveries when nothing new arrived (a new event wakes "
        "the sender at once; retries come due by this poll).",
    )
    integrations_claim_seconds: float = Field(
        60.0,
        gt=0,
        description="A claimed delivery is due again after this long unless its attempt is recorded: a replica "
        "that died mid-request leaves it to another (same id). Longer than the delivery timeout.",
    )
    integrations_secret_overlap_seconds: float = Field(
        86_400.0,
        ge=0,
        description="After a secret rotation, the previous secret still signs (beside the new one) this long, "
        "so receivers can switch without dropping a request.",
    )
    integrations_delivered_retention_days: float = Field(
        7.0, gt=0, description="Delivered deliveries are deleted after this long; dead-lettered ones are kept."
    )
    integrations_reply_token_key: SecretStr = Field(
        SecretStr(""),
        description="Key of the reply tokens bots call the bot API with (HMAC-SHA256; 32 random bytes or more, shared "
        "by every replica). Empty: a key of this process alone (one replica; tokens die with a restart).",
    )
    integrations_reply_token_seconds: float = Field(
        3600.0,
        gt=0,
        le=86_400,
        description="How long a reply token stays valid after the delivery that carried it was sent: a slow bot "
        "replies within it; every new event brings a fresh one.",
    )
    integrations_backlog_refresh_seconds: float = Field(
        5.0, gt=0, description="Interval of the backlog gauges (pending deliveries, age of the oldest)."
    )
