"""notification's part of an erase or export request (docs/privacy.md): the person's push
subscriptions (their devices' push endpoints and keys). Unread counts waiting to become pushes
live in Redis and go with the Redis part. Deleting finds nothing the second time: safe to repeat.

Retention: a subscription its device has not registered again for
``notification_subscription_retention_days`` is deleted by a bounded, resumable sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.privacy import EraseNotificationData, ExportNotificationData, PartErased, PartExported
from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley.sweeps import sweep

log = get_logger("parley.notification")


def register_privacy(bus: Bus, db: MongoDatabase) -> None:
    """Serve ``notification.privacy_erase`` and ``notification.privacy_export`` on the bus."""
    subscriptions = db["push_subscriptions"]

    async def on_erase(command: EraseNotificationData, _envelope: Envelope) -> PartErased:
        deleted = await subscriptions.delete_many({"user_id": command.subject.user_id})
        log.info(
            "notification.privacy_erased",
            request_id=command.subject.request_id,
            push_subscriptions=deleted.deleted_count,
        )
        return PartErased(erased={"push_subscriptions": deleted.deleted_count})

    async def on_export(command: ExportNotificationData, _envelope: Envelope) -> PartExported:
        devices = [
            {
                "device_id": doc.get("device_id"),
                "endpoint": doc.get("endpoint"),
                "created_at": doc["created_at"].isoformat() if doc.get("created_at") else None,
                "updated_at": doc["updated_at"].isoformat() if doc.get("updated_at") else None,
            }
            async for doc in subscriptions.find({"user_id": command.subject.user_id})
        ]
        return PartExported(items={"push_subscriptions": devices})

    bus.on_command(EraseNotificationData, on_erase)
    bus.on_command(ExportNotificationData, on_export)


async def sweep_subscriptions(db: MongoDatabase, days: float) -> int:
    """One bounded pass deleting the subscriptions idle for ``days``; how many went."""
    if days <= 0:
        return 0
    subscriptions = db["push_subscriptions"]
    cutoff = datetime.now(UTC) - timedelta(days=days)

    async def forget(docs: list[dict[str, Any]]) -> None:
        ids = [doc["_id"] for doc in docs]
        await subscriptions.delete_many({"_id": {"$in": ids}, "updated_at": {"$lt": cutoff}})

    deleted = await sweep(
        db,
        "push_subscriptions",
        {"updated_at": {"$lt": cutoff}},
        forget,
        name="notification.push_subscriptions",
        projection={"_id": 1},
    )
    if deleted:
        log.info("notification.retention_deleted", push_subscriptions=deleted, older_than_days=days)
    return deleted
