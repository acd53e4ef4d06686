from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from parley.stores import each_write_outcome


async def failing(error: BulkWriteError) -> None:
    raise error


async def succeeding() -> None:
    pass


async def test_each_write_gets_its_own_outcome() -> None:
    error = BulkWriteError(
        {
            "writeErrors": [
                {"index": 1, "code": 11000, "errmsg": "E11000 duplicate key"},
                {"index": 3, "code": 121, "errmsg": "validation failed"},
            ],
            "writeConcernErrors": [],
        }
    )
    outcomes = await each_write_outcome(failing(error), 4)
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], DuplicateKeyError)
    assert isinstance(outcomes[3], OperationFailure) and outcomes[3].code == 121


async def test_a_write_that_went_through_has_no_failures() -> None:
    assert await each_write_outcome(succeeding(), 3) == [None, None, None]


async def test_a_write_concern_failure_concerns_every_write() -> None:
    error = BulkWriteError(
        {"writeErrors": [], "writeConcernErrors": [{"code": 64, "errmsg": "waiting for replication timed out"}]}
    )
    with pytest.raises(BulkWriteError):
        await each_write_outcome(failing(error), 2)
