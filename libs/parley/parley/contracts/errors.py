"""Error codes and WebSocket close codes shared by the services and the clients.

1002, 7001 and 8001 come from the bm-aichat protocol; the 9xxx codes are Parley's own.
docs/protocol.md lists each with what a client should do about it.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    MAINTENANCE = 1002
    TOKEN_INVALID = 7001
    # A signed visitor identity (docs/client.md) refused at login, one code per reason, so a site
    # can tell a wrong secret from a clock problem or a page reload that replayed a token.
    IDENTITY_FORGED = 7101
    IDENTITY_OTHER_CHANNEL = 7102
    IDENTITY_EXPIRED = 7103
    IDENTITY_REPLAYED = 7104
    IDENTITY_MALFORMED = 7105
    ACCOUNT_DISABLED = 7110
    SENSITIVE_WORD = 8001
    INVALID_FRAME = 9001
    FRAME_TOO_LARGE = 9002
    RATE_LIMITED = 9003
    NOT_AUTHENTICATED = 9004
    NOT_A_MEMBER = 9101
    UNKNOWN_CONVERSATION = 9102
    UNKNOWN_CHANNEL = 9103
    CONVERSATION_CLOSED = 9104
    BAD_ARGUMENT = 9105
    FILE_TOO_LARGE = 9106
    FILE_TYPE_REFUSED = 9107
    FILE_REFUSED = 9108  # not what its sniffed type says (an image that does not decode), or infected
    FILE_QUOTA_EXCEEDED = 9109
    LINK_INVALID = 9110
    LINK_EXPIRED = 9111
    FILE_PENDING = 9112  # the virus scanner has not answered yet
    UNKNOWN_FILE = 9113
    ORIGIN_NOT_ALLOWED = 9114  # the page's origin is not one the channel lists
    # External bots (docs/bots.md): what chat_session refuses an agents command for.
    BOT_NOT_A_MEMBER = 9201  # the bot is not a member of the conversation (or not active on its channel)
    BOT_NOT_IN_CONTROL = 9202  # the conversation is queued for or held by a human, or closed
    UNKNOWN_DRAFT = 9203
    DRAFT_OUT_OF_ORDER = 9204  # a delta's index is past the next one: an earlier delta is missing
    DRAFT_TOO_LONG = 9205
    DRAFT_FINISHED = 9206  # appended to after it was finished (or after it expired)
    TOO_MANY_DRAFTS = 9207
    IDEMPOTENCY_KEY_REUSED = 9208  # the key was used for another command or another conversation
    HELD_BY_HUMAN = 9209  # take-back while an operator holds the conversation
    UNKNOWN_ACTION = 9210  # a program result for a seq that is no program action, or one answered already
    # The integrations service (issue 20): its registries of outside parties and their deliveries.
    ENDPOINT_REFUSED = 9301  # a webhook or bot URL that is not a public https host
    UNKNOWN_BOT = 9302
    UNKNOWN_WEBHOOK = 9303
    UNKNOWN_DELIVERY = 9304
    DELIVERY_PENDING = 9305  # a redelivery asked of a delivery still being attempted
    INTERNAL = 9500
    UNAVAILABLE = 9503


class CloseCode(IntEnum):
    SERVER_RESTARTING = 1012
    TRY_AGAIN_LATER = 1013  # maintenance, a dependency away, or a client too slow to keep up
    POLICY = 1008
    MESSAGE_TOO_BIG = 1009
    UNAUTHENTICATED = 4001
    TOKEN_EXPIRED = 4002
    KICKED_OFF = 4003
    HEARTBEAT_TIMEOUT = 4008
    UNSUPPORTED_PROTOCOL = 4010  # the client asked for a protocol version this gateway does not speak
    ORIGIN_NOT_ALLOWED = 4011  # a browser page on an origin the visitor's channel does not list


class ParleyError(Exception):
    """A domain error with a code a client understands; travels in bus replies and error frames."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message

    def __repr__(self) -> str:
        return f"ParleyError({self.code.name}, {self.message!r})"
