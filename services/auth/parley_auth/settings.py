from pydantic import Field, SecretStr

from parley.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    http_port: int = Field(8081, ge=0, le=65535, description="Port of the auth HTTP API and health/metrics.")
    auth_access_token_ttl_seconds: int = Field(
        900, ge=30, description="Lifetime of an access token; short, because a stolen one is valid until it expires."
    )
    auth_admin_username: str = Field("", description="If set with a password, an admin account created at start when missing.")
    auth_admin_password: SecretStr = Field(SecretStr(""), description="Password of the bootstrap admin account.")
