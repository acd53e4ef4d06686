from pydantic import Field, SecretStr, field_validator, model_validator

from parley.settings import ServiceSettings
from parley_notification.vapid import load_vapid_key


class NotificationSettings(ServiceSettings):
    http_port: int = Field(8085, ge=0, le=65535, description="Port of notification's web push API and health/metrics.")
    notification_vapid_private_key: SecretStr = Field(
        SecretStr(""),
        description="VAPID private key (P-256) that signs web pushes: a PEM (PKCS#8 or SEC1 'EC PRIVATE KEY') or the "
        "base64url raw 32-byte key that `web-push generate-vapid-keys` prints. Empty: web push is off.",
    )
    notification_vapid_subject: str = Field(
        "",
        description="Contact the push services may write to about our pushes (VAPID 'sub'): mailto: or https: URL. "
        "Required with a key.",
    )
    notification_max_direct_push: int = Field(
        5,
        ge=0,
        description="Pushes due together up to this many devices are sent at once; more go to the rate-limited "
        "queue (Odoo's MAX_DIRECT_PUSH).",
    )
    notification_push_queue_rate: float = Field(
        50.0,
        gt=0,
        description="Queued pushes each replica sends per second at most: a large fan-out drains steadily instead "
        "of tripping the push services' rate limits.",
    )
    notification_push_merge_seconds: float = Field(
        10.0,
        ge=0,
        description="Unread messages of one conversation within this long merge into one push: a burst of lines "
        "typed one after another is one notice.",
    )
    notification_push_ttl_seconds: int = Field(
        3600,
        ge=1,
        description="A notice older than this is not sent, and push services drop it when the device stays "
        "offline this long: an hour-old chat line is better found in the conversation.",
    )
    notification_push_max_attempts: int = Field(
        4, ge=1, le=10, description="Attempts of one push answered 429 or 5xx (with backoff) before it is given up."
    )
    notification_push_timeout_seconds: float = Field(
        10.0, gt=0, description="How long one push request to a push service may take."
    )
    notification_push_allow_insecure_endpoints: bool = Field(
        False,
        description="Accept http:// push endpoints (local tests and development only; browsers' push services "
        "are always https).",
    )
    notification_subscription_retention_days: float = Field(
        180.0,
        ge=0,
        description="A push subscription its device has not registered again for this many days is deleted "
        "(the widget registers on every visit); 0 keeps them until the push service says they are gone.",
    )
    notification_retention_sweep_seconds: float = Field(
        3600.0, gt=0, description="Interval of the push subscriptions' retention pass."
    )
    notification_push_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (names or IP addresses, JSON list) push endpoints may name although they are not public, "
        "on any port: a local push service in tests and development only. Empty: every endpoint must be a public "
        "https host on port 443 without user or password, and its name must resolve to public addresses only "
        "(no requests to internal services), checked when it is stored and again when a push is sent.",
    )

    @field_validator("notification_vapid_private_key")
    @classmethod
    def _key_loads(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value().strip():
            load_vapid_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _subject_with_key(self) -> "NotificationSettings":
        if self.push_enabled and not self.notification_vapid_subject.startswith(("mailto:", "https://")):
            raise ValueError("notification_vapid_subject must be a mailto: or https: URL when a VAPID key is set")
        return self

    @property
    def push_enabled(self) -> bool:
        return bool(self.notification_vapid_private_key.get_secret_value().strip())
