"""Who a token says the client is: verified locally against auth's JWKS and the revocation list."""

from __future__ import annotations

from parley.contracts.errors import ErrorCode, ParleyError
from parley.tokens import Claims, JwksVerifier


class Authenticator:
    """No call to auth per connection: the signature is checked against the cached JWKS, the
    session against Redis's revocation list. The two are separate steps here (unlike an HTTP
    request's): a connection is registered between them, so a revocation published meanwhile
    finds it."""

    def __init__(self, verifier: JwksVerifier) -> None:
        self.verifier = verifier

    async def verify(self, token: str, client_kind: str | None) -> Claims:
        """The token's claims; ``client_kind``, when the client gave one, must be the session's."""
        claims = await self.verifier.verify_signature(token)
        if client_kind is not None and client_kind != claims.kind:
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT,
                f"client_kind {client_kind!r} is not the kind this session logged in as ({claims.kind!r})",
            )
        return claims

    async def check_revoked(self, claims: Claims) -> None:
        """Raise ParleyError(TOKEN_INVALID) when the session was revoked (UNAVAILABLE without Redis)."""
        await self.verifier.revocations.check(claims.sid)
