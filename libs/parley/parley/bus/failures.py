"""Which handler failures can never succeed on a retry, and which mean a dependency is away.

A retry is for a dependency that is away for a while (a broker, Redis or MongoDB restarting, a
network blip). A failure that comes from the message itself (a value the database refuses, a
model that does not validate, a programming error that the same input will hit again) gives the
same answer every time: retrying it only holds the message back, and the caller waits for a
timeout instead of an answer. Those are answered at once and dead-lettered.

A failure that says a dependency cannot be reached (MongoDB, Redis or a peer's socket refusing
or timing out) is the opposite: the message is fine, the world is not. When one still fails that
way after the whole retry budget (~28 s), the outage outlasted it; the message is parked and
tried again by itself (``is_outage``, consumer.Subscription._park) instead of dead-lettered.
"""

from __future__ import annotations

from bson.errors import BSONError
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError, WriteError
from redis.exceptions import ClusterDownError, DataError, ReadOnlyError, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# MongoDB's codes for a command or document it refuses as such (not a state that may pass):
# BadValue, FailedToParse, TypeMismatch, DollarPrefixedFieldName, EmptyFieldName,
# DottedFieldName, ImmutableField, Location40 (conflicting update paths), InvalidLength.
REFUSED_INPUT_CODES = frozenset({2, 9, 14, 52, 56, 57, 66, 40, 16})

# The message's own content, or code that will fail the same way again.
DETERMINISTIC = (
    ValidationError,  # a model built from the message (a handler's, or a peer's reply) does not validate
    BSONError,  # a document BSON cannot encode
    OverflowError,  # an integer past BSON's 64 bits
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    AssertionError,
)


def is_permanent(error: BaseException) -> bool:
    """Whether retrying the message that raised ``error`` can never help. In doubt, no: a retry
    waits in a delay queue and costs the others nothing, a dead letter loses the work."""
    if isinstance(error, RedisError):
        # Redis's own errors (a replica turned read-only in a failover, a lock that expired
        # under a slow step: LockError is a ValueError) may pass; a value it cannot send will not.
        return isinstance(error, DataError)
    if isinstance(error, DETERMINISTIC):
        return True
    if isinstance(error, DuplicateKeyError):
        return False  # a race another writer won: the retry finds its document
    if isinstance(error, WriteError):
        # A write refused for this document (a bad field name, a value out of range): labelled
        # retryable only when the server says the condition may pass.
        return not error.has_error_label("RetryableWriteError")
    if isinstance(error, OperationFailure):
        return error.code in REFUSED_INPUT_CODES
    return False


# A dependency that cannot be reached right now: its connection refused, reset or timed out, no
# server selectable (pymongo's ConnectionFailure covers ServerSelectionTimeoutError, AutoReconnect
# and NetworkTimeout), a Redis without a primary (a failover, a cluster slot without its owner),
# or the socket's own error. Not the handler's own timeout: a handler that hangs on one input
# would hang again, and parking it would retry it forever.
UNREACHABLE = (
    ConnectionFailure,
    RedisConnectionError,  # also BusyLoadingError (loading its data) and MasterNotFoundError (sentinels)
    RedisTimeoutError,
    ReadOnlyError,  # a replica that was the primary before a failover
    ClusterDownError,
    TryAgainError,  # a cluster slot being migrated
    OSError,
)
# MongoDB's labels on an error that a later try on a (new) primary can pass.
PASSING_LABELS = ("RetryableWriteError", "TransientTransactionError")
# How deep ``is_outage`` follows ``raise ... from``: a store that wraps the driver's error.
CAUSE_DEPTH = 5


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says a dependency is away rather than the message bad:
    such a message is parked once its retries are spent, a bad one dead-lettered."""
    seen: BaseException | None = error
    for _ in range(CAUSE_DEPTH):
        if seen is None:
            return False
        # TimeoutError is an OSError, and what the handler's own time limit raises: not an outage.
        if isinstance(seen, UNREACHABLE) and not isinstance(seen, TimeoutError):
            return True
        if isinstance(seen, PyMongoError) and any(seen.has_error_label(label) for label in PASSING_LABELS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def parks(error: BaseException, *, outage_seen: bool) -> bool:
    """Whether work whose last counted attempt failed with ``error`` waits for its dependency
    (parked, tried again later, for as long as it takes) rather than being dead-lettered: the
    dependency is away, or the handler ran out of time after an earlier attempt of the same work
    met it away (``outage_seen``: the store came back slowly). A handler's own timeout alone is not
    an outage: a handler that hangs on one input would hang again."""
    return is_outage(error) or (outage_seen and isinstance(error, TimeoutError))
