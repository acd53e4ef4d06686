"""Bodies of the auth HTTP API: what each endpoint reads and answers (the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from parley.contracts.base import ClientKind, Model
from parley.contracts.messages import Role

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# A staff username is typed at a login form and shown in logs and consoles: letters, digits and
# . _ @ - (an e-mail address fits), starting with a letter or digit; no spaces, no control or
# invisible characters, and no ":" (visitors' internal usernames are "visitor:<digest>").
StaffUsername = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
# Loose on purpose: the address is confirmed by mail, not by a pattern; this only catches typos.
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


ChannelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class LoginRequest(Model):
    """Visitors log in with a device id (and, on a site that signs who its customer is, an identity
    token of the channel); operators and admins with username and password."""

    device_id: Annotated[str, StringConstraints(min_length=8, max_length=128)] | None = None
    identity: Annotated[str, StringConstraints(min_length=1, max_length=8192)] | None = Field(
        None,
        description="A visitor's identity signed by the site's server (HS256 JWT, docs/client.md): the visitor logs "
        "in as the channel's customer, on every device the same account. Needs device_id and channel_id.",
    )
    channel_id: ChannelId | None = Field(None, description="The channel whose secret signed `identity`.")
    username: Name | None = None
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    client_kind: ClientKind = Field("web", description="The session's kind: a new login of the same kind replaces it.")

    @model_validator(mode="after")
    def one_way_in(self) -> LoginRequest:
        if (self.device_id is None) == (self.username is None or self.password is None):
            raise ValueError("give either device_id, or username and password")
        if (self.identity is None) != (self.channel_id is None) or (self.identity and self.device_id is None):
            raise ValueError("identity goes with channel_id and device_id")
        return self


class RefreshRequest(Model):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class LogoutRequest(Model):
    """Without a bearer token, the session to end is named by one of its refresh tokens."""

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


class LoginResponse(Model):
    uid: str
    uname: str
    role: Role
    token: str = Field(description="ES256 access token (JWT); send it in the WebSocket's auth frame.")
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str = Field(description="Works once: POST /auth/refresh returns the next one.")
    refresh_expires_in: int = Field(description="Seconds until the session ends whatever the refreshes.")
    sessionCode: str  # noqa: N815 - the bm-aichat client's field name


class ProfileUpdate(Model):
    """A visitor introducing themselves (or staff renaming themselves); absent fields stay."""

    name: Name | None = None
    email: Email | None = None


class Profile(Model):
    uid: str
    uname: str
    role: Role
    email: str | None = None


class CreateStaffRequest(Model):
    username: StaffUsername
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Literal["operator", "admin"]
    name: str = Field("", max_length=100)


class StaffCreated(Model):
    uid: str
    username: str
    role: Role


class KeyRotated(Model):
    kid: str = Field(description="The new key's id; it is in the JWKS now.")
    active_from: str = Field(description="When tokens start being signed with it (ISO 8601).")


class IdentitySecretCreated(Model):
    id: str = Field(description="The secret's id: the `kid` header of the identity tokens it signs.")
    channel_id: str
    secret: str = Field(description="Shown this once: keep it on the site's server, never in a page.")
    created_at: datetime


class IdentitySecretView(Model):
    id: str
    channel_id: str
    prefix: str = Field(description="The secret's first characters, to tell which one a site holds.")
    created_at: datetime


class IdentitySecretList(Model):
    secrets: list[IdentitySecretView] = Field(description="The live secrets, oldest first (two during a rotation).")


class Jwk(Model):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str


class Jwks(Model):
    keys: list[Jwk]


class ErrorDetail(Model):
    code: int = Field(
        description="A Parley error code (docs/protocol.md): 7001 bad credentials or token, 9003 rate limited..."
    )
    message: str


class ErrorBody(Model):
    error: ErrorDetail


# ---- staff lifecycle ----------------------------------------------------------------------------

StaffRole = Literal["operator", "admin"]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class StaffQuery(Model):
    cursor: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        None, description="The `next_cursor` of the previous page."
    )
    limit: int = Field(50, ge=1, le=200)
    role: StaffRole | None = None


class StaffView(Model):
    uid: str
    username: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime


class StaffList(Model):
    users: list[StaffView]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last one.")


class StaffUpdate(Model):
    """Absent fields stay. A new role ends the account's sessions (their tokens carry the old one)."""

    name: Name | None = None
    role: StaffRole | None = None


class SessionsEnded(Model):
    ended: int = Field(description="Live sessions revoked; their connections are closed (4001).")


class ResetIssued(Model):
    code: str = Field(description="Works once, until `expires_at`; give it to the account's owner, not by chat.")
    expires_at: datetime


class PasswordReset(Model):
    username: StaffUsername
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    new_password: Password


class PasswordChange(Model):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


class AuditQuery(Model):
    target: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,200}$")] | None = None
    action: Annotated[str, StringConstraints(pattern=r"^[a-z_.]{1,64}$")] | None = None
    limit: int = Field(50, ge=1, le=500)


class AuditEntryView(Model):
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditPage(Model):
    entries: list[AuditEntryView] = Field(description="Newest first.")
