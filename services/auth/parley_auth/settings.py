from pydantic import Field, SecretStr

from parley.contracts.messages import Role
from parley.settings import ServiceSettings

SINGLE_SESSION_ROLES: tuple[Role, ...] = ("visitor", "admin")


class AuthSettings(ServiceSettings):
    http_port: int = Field(8081, ge=0, le=65535, description="Port of the auth HTTP API and health/metrics.")
    auth_access_token_ttl_seconds: int = Field(
        900, ge=5, description="Lifetime of an access token; short, because a stolen one is valid until it expires."
    )
    auth_session_ttl_seconds: int = Field(
        30 * 24 * 3600,
        ge=60,
        description="How long a login's refresh token can be used (a month: visitors come back to a site weeks later).",
    )
    auth_refresh_reuse_grace_seconds: float = Field(
        10.0,
        ge=0,
        description="A refresh token presented again this soon after it was spent gets the same successor instead of "
        "revoking the session: two tabs of one widget, or a retried request, refreshing at once. 0: strict.",
    )
    auth_admin_username: str = Field(
        "", description="If set with a password, an admin account created at start when missing."
    )
    auth_admin_password: SecretStr = Field(SecretStr(""), description="Password of the bootstrap admin account.")
    auth_single_session_roles: list[Role] = Field(
        default_factory=lambda: list(SINGLE_SESSION_ROLES),
        description="Roles allowed one session per client kind (JSON list): a new login replaces the older one, "
        "whose connections get a kickoff (4003). Operators are left out so they may keep several consoles.",
    )
    auth_login_account_burst: int = Field(
        10,
        ge=1,
        description="Login attempts for one account (username or device id) from one client address in a row before "
        "that address waits (429 with Retry-After) for that account; other addresses are not held, so a guesser "
        "cannot lock the owner out.",
    )
    auth_login_account_per_minute: float = Field(
        6.0,
        gt=0,
        description="Login attempts an account gets back per minute from one address: a guesser gets ~8600 tries a day "
        "per address at most.",
    )
    auth_login_address_burst: int = Field(
        60,
        ge=1,
        description="Login attempts one client address (an IPv6 client's /64) may make in a row (an office behind one "
        "NAT logs in together).",
    )
    auth_login_address_per_minute: float = Field(
        60.0, gt=0, description="Login attempts a client address gets back per minute."
    )
    auth_trusted_proxy_hops: int = Field(
        0,
        ge=0,
        le=10,
        description="Proxies in front of auth that append to X-Forwarded-For; the client address is the entry they "
        "were given. 0: the socket's peer address (never trust a header a client can write).",
    )
    auth_key_publish_seconds: float = Field(
        60.0,
        ge=0,
        description="A rotated signing key is published in the JWKS this long before tokens are signed with it, "
        "so every auth replica (re-reading keys every half of it) and every verifier knows it first. "
        "Keep it above 5 s, the verifiers' shortest JWKS refresh interval.",
    )
    auth_privacy_part_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="How long an erase or export waits for one service's part (a visitor with years of history "
        "takes a while); an erase part that does not answer is retried, an export answers 503.",
    )
    auth_privacy_retry_seconds: float = Field(
        2.0,
        gt=0,
        description="Wait before an erase part that failed is tried again, doubling with each attempt (at most 5 min).",
    )
    auth_privacy_max_attempts: int = Field(
        12, ge=1, description="Attempts of one erase part before it (and its request) is marked failed."
    )
    auth_privacy_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="An auth replica coordinating an erase request holds it this long per phase; another replica "
        "takes it up when the holder died (the holder itself at once, when restarted).",
    )
    auth_privacy_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="How often unfinished erase requests are looked for (retries that became due, requests whose "
        "coordinator died); a new request starts at once.",
    )
    auth_visitor_retention_days: float = Field(
        365.0,
        ge=0,
        description="A visitor account created this many days ago with no session left (none opened since its last "
        "one expired) loses its name, e-mail and external id (the id stays: their conversations name it); 0 keeps "
        "them forever.",
    )
    auth_retention_sweep_seconds: float = Field(
        3600.0, gt=0, description="Interval of the pass deleting ended sessions and idle visitor accounts."
    )
