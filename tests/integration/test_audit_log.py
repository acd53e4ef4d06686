"""The audit log against the real MongoDB-wire server: entries come back newest first, filtered."""

from __future__ import annotations

from parley.audit import AuditLog
from parley.settings import ServiceSettings
from parley.stores import mongo_client, mongo_database
from tests.conftest import MONGO_URL, Infra


async def test_entries_are_read_back_newest_first_and_by_target(infra: Infra) -> None:
    settings = ServiceSettings(mongo_url=MONGO_URL, mongo_db=infra.mongo_db)
    client = mongo_client(settings, "test/audit")
    try:
        log = AuditLog(mongo_database(client, settings))
        await log.ensure_indexes()
        await log.record(actor="admin-1", action="staff.disable", target="op-1")
        await log.record(actor="admin-1", action="staff.enable", target="op-1", details={"reason": "back"})
        await log.record(actor="system", action="retention.sweep", target="channel-1")

        newest = await log.newest()
        assert [entry.action for entry in newest[:3]] == ["retention.sweep", "staff.enable", "staff.disable"]
        about_op = await log.newest(target="op-1")
        assert [(entry.action, entry.details) for entry in about_op] == [
            ("staff.enable", {"reason": "back"}),
            ("staff.disable", {}),
        ]
        assert [entry.target for entry in await log.newest(action="retention.sweep")] == ["channel-1"]
        assert len(await log.newest(limit=1)) == 1
    finally:
        await client.close()
