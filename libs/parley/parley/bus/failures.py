"""Which handler failures can never succeed on a retry.

A retry is for a dependency that is away for a while (a broker, Redis or MongoDB restarting, a
network blip). A failure that comes from the message itself (a value the database refuses, a
model that does not validate, a programming error that the same input will hit again) gives the
same answer every time: retrying it only holds the message back, and the caller waits for a
timeout instead of an answer. Those are answered at once and dead-lettered.
"""

from __future__ import annotations

from bson.errors import BSONError
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError, OperationFailure, WriteError
from redis.exceptions import DataError, RedisError

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
