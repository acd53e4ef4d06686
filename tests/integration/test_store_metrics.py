"""Every MongoDB command a Parley client issues is timed, by command name, against the real server."""

from __future__ import annotations

from prometheus_client import REGISTRY

from parley.settings import ServiceSettings
from parley.stores import mongo_client, mongo_database
from tests.conftest import MONGO_URL, Infra


def commands_timed(command: str) -> float:
    return REGISTRY.get_sample_value("parley_mongodb_command_duration_seconds_count", {"command": command}) or 0.0


async def test_each_command_is_observed_in_the_command_histogram(infra: Infra) -> None:
    settings = ServiceSettings(mongo_url=MONGO_URL, mongo_db=infra.mongo_db)
    client = mongo_client(settings, "test/metrics")
    inserts, finds = commands_timed("insert"), commands_timed("find")
    try:
        collection = mongo_database(client, settings)["timed"]
        await collection.insert_one({"_id": "a"})
        assert await collection.find_one({"_id": "a"}) == {"_id": "a"}
        assert await collection.find_one({"_id": "missing"}) is None
    finally:
        await client.close()
    assert commands_timed("insert") == inserts + 1
    assert commands_timed("find") == finds + 2
    assert REGISTRY.get_sample_value("parley_mongodb_command_duration_seconds_sum", {"command": "find"}) > 0


async def test_writes_wait_for_a_majority_and_writes_and_reads_are_retried_once(infra: Infra) -> None:
    """What protects a write across a replica set's election (docs/operations.md); the local
    standalone server accepts the same settings."""
    settings = ServiceSettings(mongo_url=MONGO_URL, mongo_db=infra.mongo_db)
    client = mongo_client(settings, "test/durability")
    try:
        assert client.write_concern.document == {"w": "majority"}
        assert client.options.retry_writes and client.options.retry_reads
        collection = mongo_database(client, settings)["durable"]
        assert (await collection.insert_one({"_id": "kept"})).acknowledged
    finally:
        await client.close()
