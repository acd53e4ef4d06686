"""Reply tokens: what a bot calls the bot API with (docs/bots.md, "The REST API").

Every delivery to a bot about a conversation carries one (``reply_token`` in the body), minted
when the attempt is sent: bound to that bot and that conversation, and expiring. The bot does not
hold a long-lived credential that reaches every conversation; a token copied out of one
conversation's webhook reaches only that conversation, and only until it expires. The bot is
checked again on every call (deleted or deactivated: refused), so a removed bot's tokens die
with it.

Format: ``pbt1.<base64url JSON {"b": bot id, "c": conversation id, "e": expiry}>.<base64url
HMAC-SHA256 over the first two parts>``, keyed by ``PARLEY_INTEGRATIONS_REPLY_TOKEN_KEY`` (every
replica must share it). Not a JWT: only this service mints and checks it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http_api import TokenVerifier
from parley.logs import get_logger
from parley.tokens import Claims

log = get_logger("parley.integrations.reply_tokens")
PREFIX = "pbt1."
ISSUER = "parley-integrations"
AUDIENCE = "parley-bot-api"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Grant:
    bot_id: str
    conversation_id: str
    expires_at: int


class ReplyTokens:
    def __init__(self, key: str, ttl_seconds: float) -> None:
        if not key:
            # One process alone (tests, make up): a key of its own. Replicas must share one.
            log.warning("integrations.reply_token_key_generated")
            key = secrets.token_urlsafe(32)
        self._key = key.encode()
        self.ttl_seconds = ttl_seconds

    def _mac(self, signed: str) -> str:
        return _b64(hmac.new(self._key, signed.encode(), hashlib.sha256).digest())

    def mint(self, bot_id: str, conversation_id: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        claims = _b64(orjson.dumps({"b": bot_id, "c": conversation_id, "e": expires}))
        signed = PREFIX + claims
        return f"{signed}.{self._mac(signed)}"

    def grant(self, token: str, now: float | None = None) -> Grant:
        """The bot and conversation a token is for; ParleyError(TOKEN_INVALID) when it is forged,
        altered or expired."""
        signed, _, mac = token.rpartition(".")
        if not signed.startswith(PREFIX) or not hmac.compare_digest(self._mac(signed), mac):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "the reply token is not one Parley issued")
        try:
            claims = orjson.loads(_unb64(signed.removeprefix(PREFIX)))
            grant = Grant(str(claims["b"]), str(claims["c"]), int(claims["e"]))
        except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "the reply token is malformed") from None
        if grant.expires_at <= (now if now is not None else time.time()):
            raise ParleyError(ErrorCode.TOKEN_INVALID, "the reply token has expired: use the one of the newest event")
        return grant


class BotOrUserVerifier:
    """The integrations API's token check: a reply token gives the caller the role ``bot``
    (``sub`` the bot, ``sid`` the conversation); any other bearer token is a user's, checked by
    auth's keys and the revocation list as everywhere else."""

    def __init__(self, tokens: ReplyTokens, users: TokenVerifier) -> None:
        self.tokens = tokens
        self.users = users

    async def verify(self, token: str) -> Claims:
        if not token.startswith(PREFIX):
            return await self.users.verify(token)
        grant = self.tokens.grant(token)
        return Claims(
            sub=grant.bot_id,
            role="bot",
            sid=grant.conversation_id,
            iat=grant.expires_at - int(self.tokens.ttl_seconds),
            exp=grant.expires_at,
            iss=ISSUER,
            aud=AUDIENCE,
            jti="",
            kind="api",
        )
